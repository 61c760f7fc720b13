#!/usr/bin/env bash
# Start, stop or use a private sandboxed dockerd (see scripts/lib/dockerd.sh).
#
#   scripts/start-dockerd.sh start [--dir DIR] [--authorization-plugin NAME] [--image] [--engine E]
#       Starts the daemon in the background and waits for /_ping. Prints
#       DOCKERD_DIR=... and DOCKER_HOST=unix://... on stdout.
#       --image also imports the dood-guard-busybox:latest test image.
#       --engine 20.10|29 (default $DG_ENGINE, else 20.10): which dockerd;
#       29 must be built first (scripts/build-engine.sh 29).
#   scripts/start-dockerd.sh run --dir DIR [--authorization-plugin NAME] [--engine E]
#       Runs it in the foreground (execs unshare); for a caller that owns the
#       process (the Go integration harness). Stop it with `stop`.
#   scripts/start-dockerd.sh wait DIR [SECONDS]
#   scripts/start-dockerd.sh image DIR [TAG]
#   scripts/start-dockerd.sh stop DIR
#       Stops the daemon, cleans its mounts and cgroups, removes DIR.
#
# Needs root, dockerd/containerd/runc (docker.io), unshare, ip (iproute2)
# and a static busybox (busybox-static) for the image.
set -euo pipefail
# shellcheck source=scripts/lib/dockerd.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib/dockerd.sh"

usage() { sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

cmd=${1:-}
[ -n "$cmd" ] || usage
shift

dir='' plugin='' image=0
parse() {
	while [ $# -gt 0 ]; do
		case "$1" in
		--dir) dir=$2; shift 2 ;;
		--dir=*) dir=${1#--dir=}; shift ;;
		--authorization-plugin) plugin=$2; shift 2 ;;
		--authorization-plugin=*) plugin=${1#--authorization-plugin=}; shift ;;
		--image) image=1; shift ;;
		--engine) DG_ENGINE=$2; shift 2 ;;
		--engine=*) DG_ENGINE=${1#--engine=}; shift ;;
		-h | --help) usage ;;
		*) echo "unknown argument: $1" >&2; usage ;;
		esac
	done
}

case "$cmd" in
start)
	parse "$@"
	[ -n "$dir" ] || dir=$(mktemp -d /tmp/dg-dockerd.XXXXXX)
	if ! dg_dockerd_start "$dir" "$plugin"; then
		dg_dockerd_stop "$dir" || true
		exit 1
	fi
	dir=$(cd "$dir" && pwd)
	if [ "$image" = 1 ] && ! dg_make_image "$dir"; then
		dg_dockerd_stop "$dir" || true
		exit 1
	fi
	echo "DOCKERD_DIR=$dir"
	echo "DOCKER_HOST=unix://$dir/docker.sock"
	;;
run)
	parse "$@"
	[ -n "$dir" ] || { echo "run needs --dir DIR" >&2; exit 2; }
	dg_dockerd_prereqs
	dg_dockerd_prepare "$dir"
	dg_dockerd_exec "$dir" "$plugin"
	;;
wait)
	dg_dockerd_wait "$1" "${2:-60}"
	;;
image)
	dg_make_image "$1" "${2:-$DG_IMAGE}"
	;;
stop)
	dg_dockerd_stop "$1"
	;;
*) usage ;;
esac
