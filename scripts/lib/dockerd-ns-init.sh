#!/usr/bin/env bash
# Runs INSIDE the private daemon's network, PID and mount namespaces (see
# dockerd.sh, which starts it through unshare). Starts a private containerd
# and dockerd; on SIGTERM/SIGINT stops dockerd, then containerd, and exits —
# the namespace then dies and takes anything left with it.
#
# usage: dockerd-ns-init.sh DIR [AUTHZ_PLUGIN_NAME]
# env:   DG_STORAGE_DRIVER (default: dockerd's choice, overlay2 where it works)
#        DG_DOCKERD_DEBUG=1 (dockerd --debug)
#        DG_IPTABLES=auto|true|false (default auto: on when iptables works)
set -u
dir=$1
plugin=${2:-}
log() { printf '[ns-init] %s\n' "$*"; }

# The namespace starts with a down loopback and nothing else.
ip link set lo up || { log "cannot bring up lo"; exit 1; }

# containerd 1.6 puts shim sockets under /run/containerd/s and dockerd 20.10
# would use a system containerd found at /run/containerd/containerd.sock:
# give this namespace its own empty /run/containerd.
if mkdir -p /run/containerd 2>/dev/null; then
	mount -t tmpfs -o mode=0711,size=16m dood-guard-containerd /run/containerd ||
		log "warning: could not mount a private /run/containerd"
fi

mkdir -p "$dir/exec/containerd" "$dir/data"
containerd --config "$dir/containerd.toml" >>"$dir/containerd.log" 2>&1 &
cpid=$!
for ((i = 0; i < 150; i++)); do
	[ -S "$dir/exec/containerd/containerd.sock" ] && break
	kill -0 "$cpid" 2>/dev/null || { log "containerd exited; see $dir/containerd.log"; exit 1; }
	sleep 0.2
done
[ -S "$dir/exec/containerd/containerd.sock" ] || { log "containerd did not start"; exit 1; }

parent=$(cat "$dir/cgroup-parent")
args=(
	--data-root "$dir/data"
	--exec-root "$dir/exec"
	--pidfile "$dir/exec/dockerd.pid"
	-H "unix://$dir/docker.sock"
	--containerd "$dir/exec/containerd/containerd.sock"
	--config-file "$dir/daemon.json"
	--cgroup-parent "/$parent"
	--shutdown-timeout 5
)
case "${DG_IPTABLES:-auto}" in
true) ;;
false) args+=(--iptables=false) ;;
*)
	if ! iptables -t nat -L -n >/dev/null 2>&1; then
		log "iptables does not work here: --iptables=false (published ports use the userland proxy only)"
		args+=(--iptables=false)
	fi
	;;
esac
[ -n "${DG_STORAGE_DRIVER:-}" ] && args+=(--storage-driver "$DG_STORAGE_DRIVER")
[ "${DG_DOCKERD_DEBUG:-0}" = 1 ] && args+=(--debug)
[ -n "$plugin" ] && args+=("--authorization-plugin=$plugin")

log "dockerd ${args[*]}"
dockerd "${args[@]}" >>"$dir/dockerd.log" 2>&1 &
dpid=$!

stop() {
	trap '' TERM INT
	log "stopping dockerd"
	kill -TERM "$dpid" 2>/dev/null
	wait "$dpid"
	log "stopping containerd"
	kill -TERM "$cpid" 2>/dev/null
	wait "$cpid"
	exit 0
}
trap stop TERM INT

wait "$dpid"
st=$?
log "dockerd exited with status $st"
kill -TERM "$cpid" 2>/dev/null
wait "$cpid"
exit "$st"
