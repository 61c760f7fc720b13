#!/usr/bin/env bash
# scripts/demo.sh — run dood-guard for real, in one command (as root):
#
#   scripts/demo.sh            install what is missing, build the plugin, start
#                              it (embedded default policy) and a sandboxed
#                              private dockerd that uses it, show an ordinary
#                              container running and a privileged one and a
#                              `-v /:/host` one refused, then stop everything
#   scripts/demo.sh --keep     same, but leave both running and print the
#                              DOCKER_HOST to use and how to stop them
#   scripts/demo.sh --stop DIR stop what a --keep run left in DIR
#
# The daemon is private: own data root, exec root, socket and containerd,
# inside its own network/PID/mount namespaces; the host's Docker (if any) is
# never touched. The docker CLI used is Debian's docker.io (/usr/bin/docker).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib/install.sh
. "$ROOT/scripts/lib/install.sh"
# shellcheck source=scripts/lib/dockerd.sh
. "$ROOT/scripts/lib/dockerd.sh"

say() { if [ -t 1 ]; then printf '\n\033[1m== %s\033[0m\n' "$*"; else printf '\n== %s\n' "$*"; fi; }

stop_demo() {
	local state=$1 pid
	[ -d "$state" ] || { echo "no such directory: $state" >&2; return 1; }
	[ -f "$state/.dood-guard-demo" ] || { echo "$state is not a dood-guard demo directory" >&2; return 1; }
	dg_dockerd_stop "$state/dockerd" || true
	pid=$(cat "$state/plugin.pid" 2>/dev/null) || true
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq 50); do dg_alive "$pid" || break; sleep 0.1; done
		if dg_alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
	fi
	sock=$(cat "$state/plugin.sock" 2>/dev/null) || true
	[ -n "$sock" ] && rm -f "$sock"
	rm -rf "$state"
	echo "stopped; removed $state"
}

keep=0
case "${1:-}" in
--keep) keep=1 ;;
--stop)
	[ -n "${2:-}" ] || { echo "usage: $0 --stop DIR" >&2; exit 2; }
	stop_demo "$2"
	exit
	;;
"") ;;
*) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac

if [ "$(id -u)" != 0 ]; then
	echo "scripts/demo.sh must run as root (it starts dockerd in its own namespaces)" >&2
	exit 1
fi

say "Checking prerequisites"
dg_install_deps
dg_require_go
dg_dockerd_prereqs

state=$(mktemp -d /tmp/dg-demo.XXXXXX)
touch "$state/.dood-guard-demo"
if [ "$keep" = 0 ]; then
	trap 'say "Stopping"; stop_demo "$state" >/dev/null 2>&1 || true' EXIT
fi

say "Building dood-guard"
(cd "$ROOT" && go build -o "$state/dood-guard" ./cmd/dood-guard)
"$state/dood-guard" version || true

name=dood-guard-demo-$$
sock=/run/docker/plugins/$name.sock
mkdir -p /run/docker/plugins
echo "$sock" >"$state/plugin.sock"
say "Starting the plugin on $sock (embedded default policy)"
setsid "$state/dood-guard" serve --socket "$sock" --docker-host "unix://$state/dockerd/docker.sock" --log-format text </dev/null >"$state/plugin.log" 2>&1 &
echo $! >"$state/plugin.pid"
for _ in $(seq 100); do
	[ -S "$sock" ] && break
	kill -0 "$(cat "$state/plugin.pid")" 2>/dev/null || { cat "$state/plugin.log" >&2; echo "the plugin exited" >&2; exit 1; }
	sleep 0.1
done
[ -S "$sock" ] || { cat "$state/plugin.log" >&2; echo "the plugin did not create $sock" >&2; exit 1; }

say "Starting a private dockerd with --authorization-plugin=$name"
dg_dockerd_start "$state/dockerd" "$name"
D=$state/dockerd
export DOCKER_HOST=unix://$D/docker.sock
echo "DOCKER_HOST=$DOCKER_HOST"

say "Importing the test image dood-guard-busybox (docker import, through the plugin)"
dg_make_image "$D"

ok=1
say "docker run --rm dood-guard-busybox echo hello   (should work)"
if dg_docker "$D" run --rm dood-guard-busybox echo hello; then
	echo "-> allowed, as it should be"
else
	echo "-> UNEXPECTED: an ordinary container was refused"
	ok=0
fi

refused() {
	local out
	say "docker $*   (should be refused)"
	if out=$(dg_docker "$D" "$@" 2>&1); then
		echo "$out"
		echo "-> UNEXPECTED: this was allowed"
		ok=0
	else
		echo "$out"
		if grep -q "authorization denied by plugin $name" <<<"$out"; then
			echo "-> refused by dood-guard"
		else
			echo "-> failed, but not refused by dood-guard"
			ok=0
		fi
	fi
}
refused run --rm --privileged dood-guard-busybox true
refused run --rm -v /:/host dood-guard-busybox true
refused run --rm -v /var/run/docker.sock:/var/run/docker.sock dood-guard-busybox true

if [ "$keep" = 1 ]; then
	say "Left running (--keep)"
	cat <<EOT
Use it:
    export DOCKER_HOST=$DOCKER_HOST
    /usr/bin/docker run --rm dood-guard-busybox echo hi
Logs: $state/plugin.log  $D/dockerd.log
Stop it:
    $ROOT/scripts/demo.sh --stop $state
EOT
fi
[ "$ok" = 1 ]
