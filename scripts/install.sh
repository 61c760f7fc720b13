#!/usr/bin/env bash
# scripts/install.sh — turn dood-guard on (or off) as a managed Docker plugin
# on a host, as root.
#
#   scripts/install.sh [OPTIONS]               install, enable, configure dockerd, verify
#   scripts/install.sh --uninstall [OPTIONS]   take it out of dockerd's configuration, then remove it
#
# Install, step by step (nothing is changed before the checks of 1 pass):
#   1. checks: the daemon answers; daemon.json is absent or exactly one JSON
#      object (otherwise refused: it is never overwritten); dockerd was not
#      started with --authorization-plugin (a daemon.json entry would clash);
#      the plugin is not installed yet (--force reinstalls).
#   2. the plugin: scripts/build-plugin.sh into a temporary directory, or
#      --plugin-dir DIR, then docker plugin create NAME DIR; or, with --from
#      REF, docker plugin install --alias NAME --disable REF from a registry
#      (nothing is built: no Go, no clone needed beyond this script).
#   3. docker plugin set (DG_CONFIG_DIR for --policy-dir, DG_DOCKER_HOST, and
#      --set values); docker plugin enable NAME. A failure removes the plugin
#      again and leaves daemon.json untouched. Nothing is prepared on the
#      host: the plugin reads its optional config directory through its
#      read-only view of the host (/host), and starts on the embedded policy
#      while the directory does not exist.
#   5. daemon.json: a timestamped backup (FILE.dood-guard-YYYYmmddTHHMMSS),
#      then NAME:latest appended to "authorization-plugins" (other entries and
#      keys kept), written atomically.
#   6. reload dockerd: SIGHUP to the pid in --pidfile ("authorization-plugins"
#      is reloadable), or systemctl reload docker (--reload systemd).
#   7. verify: a --privileged create is denied by NAME:latest with
#      DG-PRIV-001 and `docker version` works. If not, daemon.json is restored
#      from the backup and dockerd reloaded again.
#
# Uninstall, in this order (the order matters):
#   1. remove NAME:latest from daemon.json (backup first), 2. reload dockerd,
#   3. wait until calls are no longer judged by NAME, 4. docker plugin disable
#   and rm. While the guard is configured, every call — `docker plugin disable`
#   included — is judged by it, and it refuses to be disabled or removed; and
#   a plugin disabled while still configured makes every API call fail and the
#   next SIGHUP reload exit dockerd. Works while the plugin is down, too (that
#   is the break-glass path when a broken policy keeps it from starting).
#   The host policy directory and the backups are left in place.
#
# Options:
#   --name NAME          plugin name (default dood-guard; dockerd uses NAME:latest)
#   --plugin-dir DIR     a built plugin directory (scripts/build-plugin.sh output)
#   --from REF           install the plugin from a registry instead of building
#                        it, e.g. registry.example.com/platform/dood-guard:1.0
#   --policy-dir DIR     host config directory: policies/, rules/, data.yaml,
#                        each optional, reloaded when they change (default
#                        /etc/dood-guard; the plugin sees it under /host; it
#                        need not exist)
#   --set KEY=VALUE      docker plugin set before enabling (repeatable), e.g.
#                        DG_DATA_FILE=/etc/dood-guard/data.yaml, DG_LOG_FORMAT=text
#   --docker-host HOST   the daemon to use (default: $DOCKER_HOST or the CLI's)
#   --daemon-json FILE   dockerd's configuration file (default /etc/docker/daemon.json)
#   --pidfile FILE       dockerd's pid file (default /var/run/docker.pid); a pid
#                        written inside a PID namespace is mapped to the host's
#   --dockerd-pid PID    signal this dockerd instead of the pid file's
#   --reload MODE        hup (default), systemd (systemctl reload docker), or
#                        none (print what to do; verification is skipped)
#   --no-verify          skip the probes
#   --force              reinstall: uninstall first if the plugin exists
#   --uninstall          see above
#
# Needs: the docker CLI, jq (installed with apt-get when missing), Go unless
# --plugin-dir or --from is given. env: DG_DOCKER_CLI (default: docker from PATH).
set -euo pipefail

usage() { sed -n '2,65p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
name=dood-guard plugin_dir='' from='' policy_dir=/etc/dood-guard docker_host=''
daemon_json=/etc/docker/daemon.json pidfile=/var/run/docker.pid dockerd_pid=''
reload=hup verify=1 force=0 mode=install
sets=()
while [ $# -gt 0 ]; do
	case "$1" in
	--name) name=$2; shift 2 ;;
	--plugin-dir) plugin_dir=$2; shift 2 ;;
	--from) from=$2; shift 2 ;;
	--policy-dir) policy_dir=$2; shift 2 ;;
	--set) sets+=("$2"); shift 2 ;;
	--docker-host) docker_host=$2; shift 2 ;;
	--daemon-json) daemon_json=$2; shift 2 ;;
	--pidfile) pidfile=$2; shift 2 ;;
	--dockerd-pid) dockerd_pid=$2; shift 2 ;;
	--reload) reload=$2; shift 2 ;;
	--no-verify) verify=0; shift ;;
	--force) force=1; shift ;;
	--uninstall) mode=uninstall; shift ;;
	-h | --help) usage ;;
	*) echo "install.sh: unknown argument: $1" >&2; usage ;;
	esac
done

log() { printf '[install.sh] %s\n' "$*" >&2; }
die() { printf '[install.sh] ERROR: %s\n' "$*" >&2; exit 1; }

case "$name" in
*:* | */* | '') die "--name: a plain plugin name such as dood-guard (no tag, no registry)" ;;
esac
ref=$name:latest
case "$reload" in hup | systemd | none) ;; *) die "--reload: hup, systemd or none" ;; esac
case "$policy_dir" in /*) ;; *) die "--policy-dir: an absolute path" ;; esac
[ -z "$from" ] || [ -z "$plugin_dir" ] || die "--from and --plugin-dir: give one"
for s in "${sets[@]}"; do
	case "$s" in *=*) ;; *) die "--set $s: want KEY=VALUE" ;; esac
done

cli=${DG_DOCKER_CLI:-docker}
command -v "$cli" >/dev/null 2>&1 || die "docker CLI not found ($cli)"
# Each call gets a deadline: with a broken guard, dockerd answers only after
# its plugin client gives up (15-30 s).
dk() {
	if [ -n "$docker_host" ]; then
		timeout 90 "$cli" -H "$docker_host" "$@"
	else
		timeout 90 "$cli" "$@"
	fi
}

need_jq() {
	command -v jq >/dev/null 2>&1 && return 0
	if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
		log "jq is needed to edit daemon.json; installing it: apt-get install -y jq"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends jq </dev/null >&2 ||
			die "apt-get install jq failed; install jq and run again"
		return 0
	fi
	die "jq is needed to edit daemon.json: install it (apt-get install jq) and run again"
}

# --- daemon.json ---------------------------------------------------------

# check_daemon_json: absent, empty, or exactly one JSON object whose
# "authorization-plugins", if present, is a list of strings.
check_daemon_json() {
	[ -e "$daemon_json" ] || return 0
	[ -f "$daemon_json" ] || die "$daemon_json is not a regular file"
	[ -s "$daemon_json" ] || return 0
	local n
	if ! n=$(jq -s 'length' "$daemon_json" 2>/dev/null) || [ "$n" != 1 ] ||
		! jq -e 'type == "object" and ((has("authorization-plugins") | not) or (."authorization-plugins" | type == "array" and all(type == "string")))' "$daemon_json" >/dev/null 2>&1; then
		local why
		why=$(jq . "$daemon_json" 2>&1 >/dev/null | head -1)
		die "$daemon_json is not one JSON object with a list of names for \"authorization-plugins\"${why:+ ($why)}; refusing to rewrite it — fix it by hand first"
	fi
}

# configured: is the plugin in daemon.json's authorization-plugins?
configured() {
	[ -s "$daemon_json" ] || return 1
	jq -e --arg a "$ref" --arg b "$name" '(."authorization-plugins" // []) | any(. == $a or . == $b)' "$daemon_json" >/dev/null
}

# edit_daemon_json JQ-FILTER: back up, apply the filter, replace atomically
# (same directory, same mode). Sets $backup.
backup='' tmpdir=''
edit_daemon_json() {
	local filter=$1 target dir tmp
	target=$(readlink -f "$daemon_json" 2>/dev/null || echo "$daemon_json")
	dir=$(dirname "$target")
	mkdir -p "$dir"
	backup=''
	if [ -e "$target" ]; then
		backup=$target.dood-guard-$(date +%Y%m%dT%H%M%S)
		[ -e "$backup" ] && backup=$backup-$$
		cp -p "$target" "$backup"
		log "backup of $daemon_json: $backup"
	fi
	tmp=$(mktemp "$dir/.daemon.json.XXXXXX")
	if [ -s "$target" ]; then
		jq --arg a "$ref" --arg b "$name" "$filter" "$target" >"$tmp" || { rm -f "$tmp"; die "could not edit $daemon_json"; }
		chmod --reference="$target" "$tmp"
	else
		echo '{}' | jq --arg a "$ref" --arg b "$name" "$filter" >"$tmp" || { rm -f "$tmp"; die "could not write $daemon_json"; }
		chmod 0644 "$tmp"
	fi
	mv -f "$tmp" "$target"
}

# shellcheck disable=SC2016 # jq variables, not shell ones
add_filter='."authorization-plugins" = (((."authorization-plugins" // []) | map(select(. != $a and . != $b))) + [$a])'
# shellcheck disable=SC2016
remove_filter='(."authorization-plugins" // [] | map(select(. != $a and . != $b))) as $rest | if ($rest | length) == 0 then del(."authorization-plugins") else ."authorization-plugins" = $rest end'

restore_daemon_json() {
	local target
	target=$(readlink -f "$daemon_json" 2>/dev/null || echo "$daemon_json")
	if [ -n "$backup" ]; then
		cp -p "$backup" "$target"
	else
		rm -f "$target"
	fi
	log "restored $daemon_json"
}

# --- dockerd ---------------------------------------------------------------

# nspid_last PID: the pid of a process in its own innermost PID namespace.
nspid_last() { awk '/^NSpid:/ { print $NF }' "/proc/$1/status" 2>/dev/null; }
is_dockerd() { [ "$(cat "/proc/$1/comm" 2>/dev/null)" = dockerd ]; }

# find_dockerd: the host pid of the daemon to reload. The pid file holds the
# pid dockerd saw, which for a daemon in its own PID namespace (CI's private
# daemons) is not the host's: match it against NSpid, and against the pid
# file path on the command line when several namespaces have that pid.
find_dockerd() {
	local want p cands=() narrowed=()
	if [ -n "$dockerd_pid" ]; then
		is_dockerd "$dockerd_pid" || die "--dockerd-pid $dockerd_pid is not a dockerd"
		echo "$dockerd_pid"
		return
	fi
	[ -r "$pidfile" ] || die "no pid file $pidfile (use --pidfile, --dockerd-pid, or --reload systemd)"
	want=$(tr -dc 0-9 <"$pidfile")
	[ -n "$want" ] || die "$pidfile holds no pid"
	if is_dockerd "$want" && [ "$(nspid_last "$want")" = "$want" ]; then
		echo "$want"
		return
	fi
	for p in /proc/[0-9]*; do
		p=${p#/proc/}
		is_dockerd "$p" && [ "$(nspid_last "$p")" = "$want" ] && cands+=("$p")
	done
	if [ ${#cands[@]} -gt 1 ]; then
		for p in "${cands[@]}"; do
			tr '\0' '\n' <"/proc/$p/cmdline" 2>/dev/null | grep -qxF -- "$pidfile" && narrowed+=("$p")
		done
		cands=("${narrowed[@]}")
	fi
	[ ${#cands[@]} -eq 1 ] || die "cannot tell which dockerd wrote $pidfile (pid $want; candidates: ${cands[*]:-none}); use --dockerd-pid"
	echo "${cands[0]}"
}

check_no_flag() {
	local p
	[ "$reload" = hup ] || return 0
	p=$(find_dockerd)
	if tr '\0' '\n' <"/proc/$p/cmdline" | grep -q -- '^--authorization-plugin'; then
		die "dockerd (pid $p) was started with --authorization-plugin; an \"authorization-plugins\" entry in daemon.json would conflict with it (dockerd refuses a setting given both ways). Configure the plugin on the command line instead: --authorization-plugin=$ref"
	fi
}

reload_dockerd() {
	local p i
	case "$reload" in
	none)
		log "--reload none: reload dockerd yourself (kill -HUP \$(cat $pidfile), or systemctl reload docker)"
		return 0
		;;
	systemd)
		log "systemctl reload docker"
		systemctl reload docker
		;;
	hup)
		p=$(find_dockerd)
		log "reloading dockerd: kill -HUP $p"
		kill -HUP "$p"
		# A reload that fails validation (e.g. a configured plugin that is
		# not enabled) exits dockerd.
		sleep 1
		for ((i = 0; i < 10; i++)); do
			is_dockerd "$p" || die "dockerd (pid $p) exited after the reload — see its log; restore $daemon_json from ${backup:-its backup} and start dockerd"
			sleep 0.2
		done
		;;
	esac
}

# plugin_docker_host: the daemon's socket as the plugin sees it, through its
# read-only view of the host root (/host), symlinks resolved on the host
# (/var/run/docker.sock is /run/docker.sock on Debian): the plugin has no
# network, and an absolute symlink inside /host would point into its rootfs.
plugin_docker_host() {
	local host=${docker_host:-${DOCKER_HOST:-unix:///var/run/docker.sock}} p
	case "$host" in
	unix://*) p=${host#unix://} ;;
	*)
		log "warning: $host is not a unix socket; the plugin (no network) cannot reach it for container lookups"
		return 1
		;;
	esac
	p=$(readlink -f "$p") || return 1
	echo "unix:///host$p"
}

plugin_exists() { dk plugin inspect --format '{{.Id}}' "$name" >/dev/null 2>&1; }

# probe: the answer to a privileged create of an image that does not exist
# (--pull never: nothing is pulled; nothing is created either way).
probe() { dk create --pull never --privileged --name "dood-guard-probe-$$" dood-guard-install-probe:none 2>&1 || true; }

# wait_enforcing: the probe is denied by the plugin with DG-PRIV-001.
wait_enforcing() {
	local out i
	for ((i = 0; i < 30; i++)); do
		out=$(probe)
		if grep -q "authorization denied by plugin $ref: .*DG-PRIV-001" <<<"$out"; then
			log "verified: --privileged is refused: $(grep -o 'authorization denied.*' <<<"$out" | head -1)"
			return 0
		fi
		sleep 1
	done
	log "the --privileged probe was not refused by $ref: $out"
	return 1
}

# wait_not_judged: calls are no longer judged (or failed) by the plugin.
wait_not_judged() {
	local out i
	for ((i = 0; i < 30; i++)); do
		out=$(probe)
		if ! grep -q "plugin $ref" <<<"$out" && dk version >/dev/null 2>&1; then
			return 0
		fi
		sleep 1
	done
	log "calls are still judged by $ref: $out"
	return 1
}

# --- install / uninstall ---------------------------------------------------

do_uninstall() {
	check_daemon_json
	if configured; then
		log "removing $ref from \"authorization-plugins\" in $daemon_json"
		edit_daemon_json "$remove_filter"
		reload_dockerd
		if [ "$reload" = none ]; then
			die "not removing the plugin before dockerd has reloaded its configuration: reload it, then run --uninstall again"
		fi
		wait_not_judged || die "dockerd still consults $ref after the reload; check $daemon_json and dockerd's log"
	else
		log "$ref is not in $daemon_json"
	fi
	if plugin_exists; then
		# -f: an authorization plugin dockerd has used stays referenced.
		log "docker plugin disable -f $name; docker plugin rm -f $name"
		dk plugin disable -f "$name" >/dev/null 2>&1 || true
		dk plugin rm -f "$name" >/dev/null || die "docker plugin rm $name failed"
	else
		log "plugin $name is not installed"
	fi
	log "dood-guard is off; the config directory and the daemon.json backups are left in place"
}

do_install() {
	local dir id
	check_daemon_json
	check_no_flag
	dk version --format '{{.Server.Version}}' >/dev/null || die "the docker daemon does not answer${docker_host:+ at $docker_host}"
	if plugin_exists || configured; then
		[ "$force" = 1 ] || die "$name is already installed (or configured in $daemon_json); --force reinstalls, --uninstall removes it"
		log "--force: uninstalling first"
		do_uninstall
	fi

	local env_names settings=() dh
	if [ -n "$from" ]; then
		log "docker plugin install --alias $name --grant-all-permissions --disable $from"
		dk plugin install --alias "$name" --grant-all-permissions --disable "$from" >/dev/null ||
			die "docker plugin install $from failed (see above)"
		env_names=$(dk plugin inspect --format '{{range .Config.Env}}{{.Name}} {{end}}' "$name")
	else
		if [ -n "$plugin_dir" ]; then
			dir=$plugin_dir
		else
			tmpdir=$(mktemp -d /tmp/dood-guard-plugin.XXXXXX)
			trap 'rm -rf "$tmpdir"' EXIT
			dir=$tmpdir/plugin
			log "building the plugin: scripts/build-plugin.sh $dir"
			"$root/scripts/build-plugin.sh" "$dir"
		fi
		if [ ! -f "$dir/config.json" ] || [ ! -d "$dir/rootfs" ]; then
			die "$dir is not a plugin directory (config.json + rootfs/)"
		fi
		log "docker plugin create $name $dir"
		dk plugin create "$name" "$dir" >/dev/null
		env_names=$(jq -r '[.env // [] | .[].name] | join(" ")' "$dir/config.json")
	fi
	has_env() { grep -qw -- "$1" <<<"$env_names" && ! printf '%s\n' "${sets[@]}" | grep -q "^$1="; }
	# The config directory, as the plugin sees the host's (read-only, /host).
	if has_env DG_CONFIG_DIR; then
		settings+=("DG_CONFIG_DIR=/host$policy_dir")
	fi
	if has_env DG_DOCKER_HOST && dh=$(plugin_docker_host); then
		settings+=("DG_DOCKER_HOST=$dh")
	fi
	settings+=("${sets[@]}")
	log "docker plugin set $name ${settings[*]}"
	if { [ ${#settings[@]} -gt 0 ] && ! dk plugin set "$name" "${settings[@]}"; } || ! dk plugin enable "$name" >/dev/null; then
		dk plugin rm -f "$name" >/dev/null 2>&1 || true
		die "could not configure or enable the plugin (see above and dockerd's log); removed it again, $daemon_json untouched"
	fi
	id=$(dk plugin inspect --format '{{.Id}}' "$name")
	log "plugin $ref enabled (id ${id:0:12})"

	log "adding $ref to \"authorization-plugins\" in $daemon_json"
	edit_daemon_json "$add_filter"
	reload_dockerd
	if [ "$reload" = none ] || [ "$verify" = 0 ]; then
		log "installed; not verified"
		return 0
	fi
	if ! wait_enforcing || ! dk version >/dev/null; then
		log "verification failed: restoring $daemon_json and reloading"
		restore_daemon_json
		reload_dockerd
		die "dood-guard is installed but NOT enforcing; daemon.json restored. Check dockerd's log (plugin=${id:0:12}); a policy that allows --privileged needs --no-verify"
	fi
	log "verified: docker version works through the guard"
	log "dood-guard is on. Break glass: remove $ref from $daemon_json and reload or restart dockerd"
}

need_jq
if [ "$mode" = uninstall ]; then do_uninstall; else do_install; fi
