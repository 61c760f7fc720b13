# shellcheck shell=bash
# scripts/lib/dockerd.sh — run a private, sandboxed dockerd for dood-guard's
# integration tests and demo. Source it; do not execute it.
#
# The daemon never touches the host's Docker: it gets its own data root,
# exec root, API socket, pid file, daemon.json, key file and its own
# containerd, and it runs inside new network, PID and mount namespaces:
#
#   unshare --net --pid --mount --fork --mount-proc --kill-child=SIGKILL \
#     tini -- bash dockerd-ns-init.sh DIR [PLUGIN]
#
#   --net    its bridge, iptables rules and "host network" containers live in
#            a namespace with only a loopback (brought up) and docker0;
#   --pid    when the namespace's init dies the kernel kills everything in it
#            (dockerd, containerd, shims, containers): nothing can leak;
#   --mount  the overlay mounts of images and containers live and die with
#            the namespace, and /run/containerd is a private tmpfs there, so
#            a system containerd is never used and no shim socket is left.
#
# State lives in one directory DIR (made by dg_dockerd_prepare, marked with
# the file .dood-guard-dockerd): DIR/docker.sock is the API socket,
# DIR/dockerd.log and DIR/containerd.log the logs.
#
# Engine: DG_ENGINE (20.10 or 29, default 20.10; scripts/lib/engine.sh) picks
# the dockerd and runc: the namespace runs with that engine's binaries first
# in PATH (Debian's for 20.10; the cached build for 29, which
# scripts/build-engine.sh makes). DIR/engine records which one runs.
#
# Functions:
#   dg_dockerd_prereqs             check root and the commands needed
#   dg_dockerd_prepare DIR         make DIR and the daemon's config files
#   dg_dockerd_exec DIR [PLUGIN]   exec the namespaced daemon (foreground)
#   dg_dockerd_start DIR [PLUGIN]  start it in the background, wait for /_ping
#   dg_dockerd_wait DIR [SECONDS]  wait until /_ping answers
#   dg_dockerd_stop DIR            stop it, clean mounts/cgroups, remove DIR
#   dg_make_image DIR [TAG]        import the busybox test image
#   dg_docker DIR ARGS...          the docker CLI against the private daemon

DG_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib/engine.sh
. "$DG_LIB_DIR/engine.sh"
: "${DG_ENGINE:=$DG_ENGINE_DEFAULT}"
# Debian's docker.io CLI; another docker binary earlier in PATH (e.g. a newer
# CLI in /usr/local/bin) is not what the package installs.
: "${DG_DOCKER_CLI:=/usr/bin/docker}"
: "${DG_IMAGE:=dood-guard-busybox:latest}"
DG_MARKER=.dood-guard-dockerd

dg_log() { printf '[dockerd.sh] %s\n' "$*" >&2; }
dg_err() { printf '[dockerd.sh] ERROR: %s\n' "$*" >&2; }

# dg_find_busybox prints the path of a statically linked busybox.
dg_find_busybox() {
	local b
	for b in /bin/busybox /usr/bin/busybox "$(command -v busybox 2>/dev/null)"; do
		[ -n "$b" ] && [ -x "$b" ] || continue
		# Debian's busybox-static is static; a dynamic one would not run in
		# a rootfs without libc.
		if ! command -v file >/dev/null 2>&1 || ! LC_ALL=C file -L "$b" 2>/dev/null | grep -q 'dynamically linked'; then
			printf '%s\n' "$b"
			return 0
		fi
	done
	return 1
}

# dg_find_init prints tini (docker.io ships it as docker-init), if any.
dg_find_init() {
	local t
	for t in /usr/bin/docker-init /usr/bin/tini-static /usr/bin/tini "$(command -v docker-init 2>/dev/null)" "$(command -v tini 2>/dev/null)"; do
		[ -n "$t" ] && [ -x "$t" ] && { printf '%s\n' "$t"; return 0; }
	done
	return 1
}

dg_dockerd_prereqs() {
	local missing=() c
	if [ "$(id -u)" != 0 ]; then
		dg_err "must run as root (dockerd, namespaces and mounts need it)"
		return 1
	fi
	for c in dockerd containerd containerd-shim-runc-v2 runc unshare ip mount umount; do
		command -v "$c" >/dev/null 2>&1 || missing+=("$c")
	done
	[ -x "$DG_DOCKER_CLI" ] || missing+=("$DG_DOCKER_CLI (docker CLI)")
	dg_engine_check "$DG_ENGINE" || return 1
	dg_engine_built "$DG_ENGINE" || missing+=("engine $DG_ENGINE (run: scripts/build-engine.sh $DG_ENGINE)")
	dg_find_busybox >/dev/null || missing+=("static busybox (busybox-static)")
	if [ ${#missing[@]} -gt 0 ]; then
		dg_err "missing: ${missing[*]} — install: apt-get install -y docker.io busybox-static iproute2"
		return 1
	fi
}

# dg_dockerd_prepare DIR: create the state directory and config files.
dg_dockerd_prepare() {
	local dir=$1
	[ -n "$dir" ] || { dg_err "dg_dockerd_prepare: no directory"; return 1; }
	mkdir -p "$dir" || return 1
	dir=$(cd "$dir" && pwd) || return 1
	case "$dir" in
	/ | /var/lib/docker | /var/lib/docker/* | /var/run | /run | /var/lib/containerd*)
		dg_err "refusing to use $dir as a private daemon directory"
		return 1
		;;
	esac
	# Unix socket paths are limited to 108 bytes; containerd's lives deepest.
	if [ ${#dir} -gt 60 ]; then
		dg_err "state directory path too long for unix sockets: $dir"
		return 1
	fi
	touch "$dir/$DG_MARKER"
	# e.g. /tmp/dg-it.123/dockerd -> dood-guard_tmp_dg-it.123_dockerd
	printf 'dood-guard%s\n' "$(printf '%s' "$dir" | tr -c 'A-Za-z0-9_.-' _)" >"$dir/cgroup-parent"
	mkdir -p "$dir/data" "$dir/exec" "$dir/cli"
	chmod 0711 "$dir"
	# Our own daemon.json, so that /etc/docker/daemon.json is never read; it
	# also keeps dockerd 20.10's identity key out of /etc/docker/key.json.
	printf '{"deprecated-key-path": "%s/key.json"}\n' "$dir" >"$dir/daemon.json"
	cat >"$dir/containerd.toml" <<EOF
version = 2
root = "$dir/data/containerd"
state = "$dir/exec/containerd"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$dir/exec/containerd/containerd.sock"
[ttrpc]
  address = "$dir/exec/containerd/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
EOF
}

# dg_dockerd_cmd DIR [PLUGIN]: print nothing, set the array DG_CMD.
dg_dockerd_cmd() {
	local dir=$1 plugin=${2:-} init path
	path=$(dg_engine_path "$DG_ENGINE") || return 1
	printf '%s\n' "$DG_ENGINE" >"$dir/engine"
	DG_CMD=(env "PATH=$path" unshare --net --pid --mount --fork --mount-proc --propagation private --kill-child=SIGKILL --)
	if init=$(dg_find_init); then
		# tini as the namespace's PID 1 reaps the shims' zombies and forwards
		# SIGTERM to the init script, which shuts dockerd down gracefully.
		DG_CMD+=("$init" --)
	fi
	DG_CMD+=(bash "$DG_LIB_DIR/dockerd-ns-init.sh" "$dir" "$plugin")
}

# dg_dockerd_exec DIR [PLUGIN]: replace the shell with the namespaced daemon.
# Used by callers that own its lifetime (the Go test harness runs this with
# a parent-death signal: if the harness dies, the whole namespace dies).
dg_dockerd_exec() {
	local dir=$1 plugin=${2:-}
	[ -f "$dir/$DG_MARKER" ] || dg_dockerd_prepare "$dir" || return 1
	dir=$(cd "$dir" && pwd)
	dg_dockerd_cmd "$dir" "$plugin" || return 1
	echo $$ >"$dir/unshare.pid"
	exec "${DG_CMD[@]}" </dev/null >>"$dir/ns.log" 2>&1
}

# dg_dockerd_start DIR [PLUGIN]: start in the background (survives the
# calling shell) and wait until the API answers.
dg_dockerd_start() {
	local dir=$1 plugin=${2:-}
	dg_dockerd_prereqs || return 1
	dg_dockerd_prepare "$dir" || return 1
	dir=$(cd "$dir" && pwd)
	if [ -n "$plugin" ] && [ ! -S "/run/docker/plugins/$plugin.sock" ]; then
		dg_err "authorization plugin socket /run/docker/plugins/$plugin.sock does not exist (start the plugin first)"
		return 1
	fi
	dg_dockerd_cmd "$dir" "$plugin" || return 1
	setsid "${DG_CMD[@]}" </dev/null >>"$dir/ns.log" 2>&1 &
	echo $! >"$dir/unshare.pid"
	if ! dg_dockerd_wait "$dir" 60; then
		dg_err "dockerd did not answer /_ping; last lines of $dir/dockerd.log:"
		tail -n 30 "$dir/dockerd.log" >&2 2>/dev/null
		tail -n 10 "$dir/ns.log" >&2 2>/dev/null
		return 1
	fi
}

# dg_ping DIR: succeed when GET /_ping answers OK.
dg_ping() {
	local dir=$1
	[ -S "$dir/docker.sock" ] || return 1
	if command -v curl >/dev/null 2>&1; then
		[ "$(curl -fsS --max-time 5 --unix-socket "$dir/docker.sock" http://localhost/_ping 2>/dev/null)" = OK ]
	else
		DOCKER_CONFIG=$dir/cli timeout 10 "$DG_DOCKER_CLI" -H "unix://$dir/docker.sock" version >/dev/null 2>&1
	fi
}

dg_dockerd_wait() {
	local dir=$1 secs=${2:-60} i pid
	for ((i = 0; i < secs * 5; i++)); do
		dg_ping "$dir" && return 0
		pid=$(cat "$dir/unshare.pid" 2>/dev/null) || true
		if [ -n "$pid" ] && ! dg_alive "$pid"; then
			dg_err "the daemon's namespace exited"
			return 1
		fi
		sleep 0.2
	done
	return 1
}

# dg_ns_init_pid DIR: host PID of the namespace's PID 1 (the child of unshare).
dg_ns_init_pid() {
	local upid
	upid=$(cat "$1/unshare.pid" 2>/dev/null) || true
	[ -n "$upid" ] || return 0
	awk '{print $1}' "/proc/$upid/task/$upid/children" 2>/dev/null || true
}

# dg_alive PID: the process exists and is not a zombie.
dg_alive() {
	[ -n "$1" ] && kill -0 "$1" 2>/dev/null && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

# dg_dockerd_stop DIR: stop the daemon, clean up, remove DIR.
# Written to be safe under `set -e` and to be called more than once.
dg_dockerd_stop() {
	local dir=$1 upid ipid i
	[ -n "$dir" ] && [ -d "$dir" ] || return 0
	dir=$(cd "$dir" && pwd) || return 1
	if [ ! -f "$dir/$DG_MARKER" ]; then
		dg_err "$dir is not a private dockerd directory (no $DG_MARKER); not touching it"
		return 1
	fi
	upid=$(cat "$dir/unshare.pid" 2>/dev/null) || true
	ipid=$(dg_ns_init_pid "$dir")
	if [ -n "$ipid" ]; then
		# Graceful: the init script stops dockerd (which stops the
		# containers), then containerd.
		kill -TERM "$ipid" 2>/dev/null || true
		for ((i = 0; i < 150; i++)); do
			dg_alive "$ipid" || break
			sleep 0.2
		done
		# Killing the PID namespace's init kills everything inside it.
		kill -KILL "$ipid" 2>/dev/null || true
	fi
	if [ -n "$upid" ]; then
		kill -KILL "$upid" 2>/dev/null || true
		for ((i = 0; i < 50; i++)); do
			dg_alive "$upid" || break
			sleep 0.1
		done
	fi
	dg_cleanup_mounts "$dir"
	dg_cleanup_cgroups "$dir"
	if [ -n "$(dg_mounts_under "$dir")" ]; then
		dg_err "still mounted under $dir; not removing it:"
		dg_mounts_under "$dir" >&2
		return 1
	fi
	rm -rf --one-file-system "$dir" 2>/dev/null || rm -rf "$dir" || true
}

dg_mounts_under() {
	awk -v d="$1/" '{ if (index($5, d) == 1) print $5 }' /proc/self/mountinfo 2>/dev/null || true
}

# dg_cleanup_mounts DIR: unmount whatever is still mounted under DIR in this
# mount namespace (none with the private mount namespace; kept for safety).
dg_cleanup_mounts() {
	local dir=$1 m
	# deepest first
	dg_mounts_under "$dir" | sort -r | while read -r m; do
		umount -R "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
	done
}

# dg_cgroup_parent DIR: the cgroup parent of this daemon's containers, unique
# per state directory (written by dg_dockerd_prepare, read by the ns init).
dg_cgroup_parent() {
	cat "$1/cgroup-parent" 2>/dev/null || printf 'dood-guard%s\n' "$(printf '%s' "$1" | tr -c 'A-Za-z0-9_.-' _)"
}

dg_cleanup_cgroups() {
	local parent d
	parent=$(dg_cgroup_parent "$1")
	for d in /sys/fs/cgroup/"$parent" /sys/fs/cgroup/*/"$parent"; do
		[ -d "$d" ] || continue
		# rmdir only: a cgroup that still has processes is left alone.
		find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null || true
	done
}

dg_docker() {
	local dir=$1
	shift
	DOCKER_CONFIG=$dir/cli "$DG_DOCKER_CLI" -H "unix://$dir/docker.sock" "$@"
}

# dg_make_image DIR [TAG]: a tiny image from Debian's static busybox:
# /bin/busybox plus its applet symlinks, /tmp, and /etc/passwd with root and
# a non-root user "ci" (1000:1000). Imported through the (guarded) daemon.
dg_make_image() {
	local dir=$1 tag=${2:-$DG_IMAGE} bb root
	bb=$(dg_find_busybox) || { dg_err "no static busybox (apt-get install busybox-static)"; return 1; }
	dir=$(cd "$dir" && pwd) || return 1
	root=$(mktemp -d "$dir/rootfs.XXXXXX") || return 1
	mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/root" "$root/home/ci"
	chmod 1777 "$root/tmp"
	cp "$bb" "$root/bin/busybox"
	# The applet links must point at /bin/busybox inside the image.
	chroot "$root" /bin/busybox --install -s /bin || { dg_err "busybox --install failed"; return 1; }
	printf 'root:x:0:0:root:/root:/bin/sh\nci:x:1000:1000:ci:/home/ci:/bin/sh\n' >"$root/etc/passwd"
	printf 'root:x:0:\nci:x:1000:\n' >"$root/etc/group"
	chown 1000:1000 "$root/home/ci"
	if ! tar -C "$root" --numeric-owner -cf - . | dg_docker "$dir" import --change 'CMD ["/bin/sh"]' - "$tag" >/dev/null; then
		rm -rf "$root"
		dg_err "docker import of $tag through the daemon failed"
		return 1
	fi
	rm -rf "$root"
	dg_log "imported $tag"
}
