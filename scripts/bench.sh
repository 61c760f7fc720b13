#!/usr/bin/env bash
# scripts/bench.sh — end-to-end benchmark: what dood-guard costs a real
# dockerd's API calls, measured against the floor (a plugin that allows
# everything) and against no plugin at all.
#
# One private, sandboxed dockerd (scripts/lib/dockerd.sh: own data root,
# sockets and network namespace; the host's Docker is never touched) serves
# the load in turns: none (no authorization plugin), noop (internal/tools/noop-authz)
# and guard (dood-guard serve with the default policy and flags), A B C, B C A,
# C A B... for ROUNDS rounds, so drift hits all three alike. Between turns the
# daemon's "authorization-plugins" is rewritten and dockerd reloads it on
# SIGHUP; a probe checks that the new configuration is in force (the guard
# refuses a privileged create; the no-op plugin counts the calls it gets).
# The plugins are legacy plugins on /run/docker/plugins with names unique to
# this run.
#
# Workloads per turn (internal/tools/dg-bench, over the daemon's unix socket, kept-alive
# connections): GET /_ping with 1 and with 4 concurrent clients, GET
# /containers/{id}/json, and container create + remove. It prints p50/p99
# latency and calls/s per configuration and workload, dood-guard's p50 as a
# ratio of the floor's, and the plugins' peak RSS (VmHWM) after the run.
#
# Needs root, docker.io, busybox-static, iproute2 (bash .ci/run installs
# them) and Go. It is a benchmark, not a test: scripts/test.sh does not run
# it. A full run takes about 3 minutes on 2 cores.
#
# env: ROUNDS (10), PING_N (3000), PING4_N (6000), INSPECT_N (2400),
#      CREATE_N (120), OUT (a file to copy the report to), GUARD_FLAGS
#      (extra `dood-guard serve` flags, e.g. "--log-decisions deny"),
#      GUARD_BIN (a dood-guard binary to measure instead of this tree's,
#      e.g. an older build to compare with),
#      WORKLOADS ("ping-1c ping-4c inspect create": which to run),
#      GUARD_LOG (a file to copy dood-guard's log to: its decision lines
#      carry eval_us, the time each decision took in the plugin)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$(pwd)
# shellcheck source=scripts/lib/install.sh
. scripts/lib/install.sh
# shellcheck source=scripts/lib/dockerd.sh
. scripts/lib/dockerd.sh
dg_require_go
dg_dockerd_prereqs

ROUNDS=${ROUNDS:-10}
PING_N=${PING_N:-3000}
PING4_N=${PING4_N:-6000}
INSPECT_N=${INSPECT_N:-2400}
CREATE_N=${CREATE_N:-120}
WORKLOADS=${WORKLOADS:-ping-1c ping-4c inspect create}
read -r -a guard_flags <<<"${GUARD_FLAGS:-}"

log() { printf '[bench] %s\n' "$*" >&2; }

work=$(mktemp -d /tmp/dgb.XXXXXX)
dir=$work/d
bin=$work/bin
samples=$work/samples.jsonl
noop_name=dgbench-$$-noop
guard_name=dgbench-$$-guard
noop_sock=/run/docker/plugins/$noop_name.sock
guard_sock=/run/docker/plugins/$guard_name.sock
noop_pid=
guard_pid=

# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	set +e
	[ -n "$guard_pid" ] && kill -TERM "$guard_pid" 2>/dev/null && wait "$guard_pid" 2>/dev/null
	[ -n "$noop_pid" ] && kill -TERM "$noop_pid" 2>/dev/null && wait "$noop_pid" 2>/dev/null
	[ -n "${GUARD_LOG:-}" ] && [ -f "$work/guard.log" ] && cp "$work/guard.log" "$GUARD_LOG"
	[ -d "$dir" ] && dg_dockerd_stop "$dir"
	rm -f "$noop_sock" "$guard_sock"
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "building dood-guard, noop-authz and dg-bench"
mkdir -p "$bin" /run/docker/plugins
(cd "$repo" && CGO_ENABLED=0 go build -o "$bin/dood-guard" ./cmd/dood-guard &&
	if [ -n "${GUARD_BIN:-}" ]; then cp "$GUARD_BIN" "$bin/dood-guard"; fi &&
	go build -o "$bin/noop-authz" ./internal/tools/noop-authz &&
	go build -o "$bin/dg-bench" ./internal/tools/dg-bench)

log "starting a private dockerd in $dir"
dg_dockerd_start "$dir"
sock=$dir/docker.sock
cp "$dir/daemon.json" "$work/daemon.json.orig"

"$bin/noop-authz" --socket "$noop_sock" 2>"$work/noop.log" &
noop_pid=$!
# The guard asks the private daemon (not the host's) about existing objects.
"$bin/dood-guard" serve --socket "$guard_sock" --docker-host "unix://$sock" "${guard_flags[@]}" 2>"$work/guard.log" &
guard_pid=$!
for _ in $(seq 100); do
	[ -S "$noop_sock" ] && [ -S "$guard_sock" ] && break
	sleep 0.1
done
if ! [ -S "$noop_sock" ] || ! [ -S "$guard_sock" ]; then
	log "a plugin did not start"
	cat "$work/noop.log" "$work/guard.log" >&2
	exit 1
fi

dg_make_image "$dir"
inspect_id=$("$bin/dg-bench" setup -host "$sock")

# dockerd_pid: the host PID of dockerd, a descendant of the namespace's init.
dockerd_pid() {
	local todo p kids
	read -r -a todo <<<"$(dg_ns_init_pid "$dir")"
	while [ ${#todo[@]} -gt 0 ]; do
		p=${todo[0]}
		todo=("${todo[@]:1}")
		if [ "$(cat "/proc/$p/comm" 2>/dev/null)" = dockerd ]; then
			echo "$p"
			return 0
		fi
		read -r -a kids <<<"$(cat /proc/"$p"/task/*/children 2>/dev/null | tr '\n' ' ')"
		todo+=("${kids[@]}")
	done
	return 1
}
dpid=$(dockerd_pid) || {
	log "cannot find dockerd's PID"
	exit 1
}

# use CONFIG: point the daemon at the configuration's plugin and reload it.
use() {
	local cfg=$1 list=
	case "$cfg" in
	none) list= ;;
	noop) list="\"$noop_name\"" ;;
	guard) list="\"$guard_name\"" ;;
	esac
	sed 's/}[[:space:]]*$/, "authorization-plugins": ['"$list"']}/' "$work/daemon.json.orig" >"$dir/daemon.json"
	kill -HUP "$dpid"
	"$bin/dg-bench" probe -host "$sock" -want "$cfg" -noop "$noop_sock"
}

load() {
	"$bin/dg-bench" load -host "$sock" -out "$samples" "$@"
}

start=$(date +%s)
for round in $(seq "$ROUNDS"); do
	# The order rotates each round, so that no configuration always runs
	# right after a reload from the same other one.
	order=(none noop guard)
	k=$(((round - 1) % 3))
	for cfg in "${order[@]:k}" "${order[@]:0:k}"; do
		log "round $round/$ROUNDS: $cfg"
		use "$cfg"
		for w in $WORKLOADS; do
			case "$w" in
			ping-1c) load -label "$cfg" -round "$round" -workload ping -clients 1 -n "$PING_N" ;;
			ping-4c) load -label "$cfg" -round "$round" -workload ping -clients 4 -n "$PING4_N" ;;
			inspect) load -label "$cfg" -round "$round" -workload inspect -id "$inspect_id" -n "$INSPECT_N" ;;
			create) load -label "$cfg" -round "$round" -workload create -n "$CREATE_N" -warmup 5 ;;
			*)
				log "unknown workload $w"
				exit 2
				;;
			esac
		done
	done
done
use none
log "load done in $(($(date +%s) - start))s"

hwm() { awk '/^VmHWM:/ {print $2 " " $3}' "/proc/$1/status"; }
guard_calls=$(grep -c '"phase":"request"' "$work/guard.log" || true)
noop_calls=$(curl -fsS --unix-socket "$noop_sock" http://p/noop/counts 2>/dev/null || echo '?')
report=$work/report.md
{
	echo "## dood-guard end to end ($(date -u +%Y-%m-%d), $(nproc) cores, $(dockerd --version | sed 's/,.*//'); guard flags: defaults ${GUARD_FLAGS:-})"
	echo
	"$bin/dg-bench" report \
		-rss "guard=$(hwm "$guard_pid") noop=$(hwm "$noop_pid")" \
		-calls "guard: $guard_calls request-phase decisions logged (each API call also has a response phase); noop: $noop_calls" \
		"$samples"
} >"$report"
cat "$report"
[ -n "${OUT:-}" ] && cp "$report" "$OUT"
exit 0
