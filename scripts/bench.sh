#!/usr/bin/env bash
# scripts/bench.sh — end-to-end benchmark: what dood-guard costs a real
# dockerd's API calls, measured against the floor (a plugin that allows
# everything) and against no plugin at all, on each Docker engine.
#
# For each engine of ENGINES (20.10 and 29, one after the other; the
# engines of scripts/lib/engine.sh, as the integration harness's
# DG_IT_ENGINE) one private, sandboxed dockerd (scripts/lib/dockerd.sh: own
# data root, sockets and network namespace; the host's Docker is never
# touched) serves the load in turns: none (no authorization plugin), noop
# (internal/tools/noop-authz) and guard (dood-guard serve with the default
# policy and flags), A B C, B C A, C A B... for ROUNDS rounds, so drift hits
# all three alike. Between turns the daemon's "authorization-plugins" is
# rewritten and dockerd reloads it on SIGHUP; a probe checks that the new
# configuration is in force (the guard refuses a privileged create; the
# no-op plugin counts the calls it gets). The plugins are legacy plugins on
# /run/docker/plugins with names unique to this run, started afresh for
# each engine (so the RSS reported is that engine's run's). The daemon's
# version is checked at start-up (GET /version) and printed in the report.
#
# Workloads per turn (internal/tools/dg-bench, over the daemon's unix
# socket, kept-alive connections): GET /_ping with 1 and with 4 concurrent
# clients, GET /containers/{id}/json, and a CI job's container create +
# remove. The create is the docker CLI's own request for
#
#   docker create -v $WORK/workspace:/workspace -v cache:/cache --name job-N IMAGE true
#
# captured at start-up from the CLI (dg-bench capture: the CLI talks to a
# stand-in daemon announcing the engine's API version), so it carries the
# CLI's body and the API version the CLI negotiates; each call names its
# container afresh, as CI jobs do, so every create and remove is a request
# the guard has not seen. The workspace is a real directory under the
# bench's work directory; "cache" a named volume. Every call but the ping
# uses the CLI's API version prefix.
#
# The report gives, per engine, p50/p99 latency and calls/s per
# configuration and workload, dood-guard's p50 as a ratio of the floor's
# (and the median of the rounds' ratios), the plugins' peak RSS (VmHWM)
# after the run, and issue 15's targets, each met or not: create p50 within
# 1.03× the floor's, ping and inspect within 1.05×, dood-guard's RSS under
# 40 MiB after at least 100,000 API calls.
#
# Needs root, docker.io, busybox-static, iproute2 (bash .ci/run installs
# them) and Go; engine 29 is built by scripts/build-engine.sh if it is not
# cached. It is a benchmark, not a test: scripts/test.sh does not run it.
# The default run takes about 3-4 minutes per engine on 2 cores.
#
# The number of API calls dood-guard decides per engine is about
#   ROUNDS × (PING_N + PING4_N + INSPECT_N + 2 × CREATE_N + 160 warm-up and probe calls)
# — 118,000 with the defaults, enough for the RSS target (100,000 calls);
# the report says "not measured" for RSS when a run makes fewer. The
# no-plugin and floor turns make as many calls again each.
#
# env: ENGINES ("20.10 29": the engines to run, in order), ROUNDS (10),
#      PING_N (3000), PING4_N (6000), INSPECT_N (2400), CREATE_N (120),
#      WORKLOADS ("ping-1c ping-4c inspect create": which to run),
#      OUT (a file to copy the report to), GUARD_FLAGS (extra
#      `dood-guard serve` flags, e.g. "--log-decisions deny"), GUARD_BIN (a
#      dood-guard binary to measure instead of this tree's, e.g. an older
#      build to compare with), GUARD_TAGS (build tags of this tree's
#      binary: "nocheck" by default, as the managed plugin is built, without
#      the `check` command's libraries; "" for the full binary),
#      GUARD_LOG (a file to copy dood-guard's log
#      to, GUARD_LOG.ENGINE when several engines run: its decision lines
#      carry eval_us, the time each decision took in the plugin),
#      CLI_20_10 and CLI_29 (the docker CLI whose create request is sent
#      to each engine; default: Debian's 20.10 CLI for 20.10; for 29 the
#      `docker` on PATH if it is version 25 or later, else Debian's)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$(pwd)
# shellcheck source=scripts/lib/install.sh
. scripts/lib/install.sh
# shellcheck source=scripts/lib/dockerd.sh
. scripts/lib/dockerd.sh
dg_require_go

ENGINES=${ENGINES:-$DG_ENGINES}
ROUNDS=${ROUNDS:-10}
PING_N=${PING_N:-3000}
PING4_N=${PING4_N:-6000}
INSPECT_N=${INSPECT_N:-2400}
CREATE_N=${CREATE_N:-120}
WORKLOADS=${WORKLOADS:-ping-1c ping-4c inspect create}
read -r -a guard_flags <<<"${GUARD_FLAGS:-}"
read -r -a engines <<<"$ENGINES"
[ ${#engines[@]} -gt 0 ] || {
	echo "[bench] ENGINES is empty" >&2
	exit 2
}
for e in "${engines[@]}"; do dg_engine_check "$e" || exit 2; done

log() { printf '[bench] %s\n' "$*" >&2; }

work=$(mktemp -d /tmp/dgb.XXXXXX)
bin=$work/bin
ws=$work/workspace
# The engine being measured: what cleanup stops.
dir=
noop_pid=
guard_pid=
noop_sock=
guard_sock=
guard_log_to=
child=

# run CMD...: run a long command in the background and wait for it, so that
# a signal to this script is handled at once (bash runs a trap only once
# its foreground command ends, but interrupts `wait`) and cleanup can stop
# the command.
run() {
	local rc=0
	"$@" &
	child=$!
	wait "$child" || rc=$?
	child=
	return "$rc"
}

# stop_engine stops the plugins and the daemon of the engine being
# measured and removes their sockets; safe to call more than once.
stop_engine() {
	# (Under set -e: a plugin's exit status must not end the script.)
	if [ -n "$child" ]; then
		kill -TERM "$child" 2>/dev/null && wait "$child" 2>/dev/null || true
	fi
	child=
	if [ -n "$guard_pid" ]; then
		kill -TERM "$guard_pid" 2>/dev/null && wait "$guard_pid" 2>/dev/null || true
	fi
	if [ -n "$noop_pid" ]; then
		kill -TERM "$noop_pid" 2>/dev/null && wait "$noop_pid" 2>/dev/null || true
	fi
	guard_pid= noop_pid=
	if [ -n "$guard_log_to" ] && [ -f "$work/guard.log" ]; then
		cp "$work/guard.log" "$guard_log_to" || true
	fi
	guard_log_to=
	if [ -n "$dir" ] && [ -f "$dir/$DG_MARKER" ]; then
		dg_dockerd_stop "$dir" || log "could not clean up $dir"
	fi
	dir=
	[ -n "$noop_sock" ] && rm -f "$noop_sock"
	[ -n "$guard_sock" ] && rm -f "$guard_sock"
	noop_sock= guard_sock=
	return 0
}

# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	set +e
	stop_engine
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "building dood-guard, noop-authz and dg-bench"
mkdir -p "$bin" "$ws" /run/docker/plugins
(cd "$repo" && CGO_ENABLED=0 go build -tags "${GUARD_TAGS-nocheck}" -ldflags "-s -w" -o "$bin/dood-guard" ./cmd/dood-guard &&
	if [ -n "${GUARD_BIN:-}" ]; then cp "$GUARD_BIN" "$bin/dood-guard"; fi &&
	go build -o "$bin/noop-authz" ./internal/tools/noop-authz &&
	go build -o "$bin/dg-bench" ./internal/tools/dg-bench)

# cli_version CLI: the docker CLI's version ("" if it cannot say);
# cli_for ENGINE: the CLI whose create request that engine is sent.
cli_version() { "$1" --version 2>/dev/null | awk '{print $3}' | tr -d , || true; }
cli_for() {
	local engine=$1 c v
	case "$engine" in
	20.10) printf '%s\n' "${CLI_20_10:-$DG_DOCKER_CLI}" ;;
	29)
		if [ -n "${CLI_29:-}" ]; then
			printf '%s\n' "$CLI_29"
			return 0
		fi
		c=$(command -v docker 2>/dev/null || true)
		v=
		[ -z "$c" ] || v=$(cli_version "$c")
		if [ -n "$v" ] && [ "${v%%.*}" -ge 25 ] 2>/dev/null; then
			printf '%s\n' "$c"
		else
			printf '%s\n' "$DG_DOCKER_CLI"
		fi
		;;
	esac
}

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

hwm_kib() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }

# bench_engine ENGINE: the whole benchmark on one engine; the report goes
# to $work/report-ENGINE.md.
bench_engine() {
	local engine=$1 tag want version apiver minapi cli cliv request api dpid inspect_id
	local noop_name guard_name guard_hwm0 samples round k cfg w start guard_calls noop_calls
	tag=$(printf '%s' "$engine" | tr -c 'A-Za-z0-9\n' _)
	DG_ENGINE=$engine
	dg_engine_build "$engine"
	dg_dockerd_prereqs

	noop_name=dgbench-$$-$tag-noop
	guard_name=dgbench-$$-$tag-guard
	noop_sock=/run/docker/plugins/$noop_name.sock
	guard_sock=/run/docker/plugins/$guard_name.sock
	samples=$work/samples-$tag.jsonl
	dir=$work/d-$tag
	if [ -n "${GUARD_LOG:-}" ]; then
		guard_log_to=$GUARD_LOG
		[ ${#engines[@]} -gt 1 ] && guard_log_to=$GUARD_LOG.$engine
	fi

	log "engine $engine: starting a private dockerd in $dir"
	dg_dockerd_start "$dir"
	local sock=$dir/docker.sock
	read -r version apiver minapi <<<"$("$bin/dg-bench" version -host "$sock")"
	case "$engine" in
	20.10) want='20.10.*' ;;
	29) want=$DG_E29_DOCKER_VERSION ;;
	esac
	# shellcheck disable=SC2254 # want is a pattern
	case "$version" in
	$want) ;;
	*)
		log "engine $engine: the daemon says it is $version (API $apiver), want $want"
		return 1
		;;
	esac
	log "engine $engine: dockerd $version, API $apiver (minimum $minapi)"
	cp "$dir/daemon.json" "$work/daemon.json.orig"

	cli=$(cli_for "$engine")
	cliv=$(cli_version "$cli")
	request=$work/create-$tag.http
	"$bin/dg-bench" capture -cli "$cli" -api-version "$apiver" -workspace "$ws" -out "$request"
	api=$(sed -n '1s|^POST \(/v[0-9.]*\)/containers/create.*|\1|p' "$request")
	[ -n "$api" ] || {
		log "the captured create has no API version prefix: $(head -n 1 "$request")"
		return 1
	}
	log "engine $engine: create as docker CLI $cliv ($cli) sends it, API $api"

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
		return 1
	fi

	# The peak RSS before any call: what loading the policy costs.
	guard_hwm0=$(hwm_kib "$guard_pid")
	dg_make_image "$dir"
	inspect_id=$("$bin/dg-bench" setup -host "$sock" -api "$api")
	dpid=$(dockerd_pid) || {
		log "cannot find dockerd's PID"
		return 1
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
		run "$bin/dg-bench" probe -host "$sock" -api "$api" -want "$cfg" -noop "$noop_sock"
	}
	load() {
		run "$bin/dg-bench" load -host "$sock" -api "$api" -out "$samples" "$@"
	}

	start=$(date +%s)
	for round in $(seq "$ROUNDS"); do
		# The order rotates each round, so that no configuration always runs
		# right after a reload from the same other one.
		local order=(none noop guard)
		k=$(((round - 1) % 3))
		for cfg in "${order[@]:k}" "${order[@]:0:k}"; do
			log "engine $engine, round $round/$ROUNDS: $cfg"
			use "$cfg"
			for w in $WORKLOADS; do
				case "$w" in
				ping-1c) load -label "$cfg" -round "$round" -workload ping -clients 1 -n "$PING_N" ;;
				ping-4c) load -label "$cfg" -round "$round" -workload ping -clients 4 -n "$PING4_N" ;;
				inspect) load -label "$cfg" -round "$round" -workload inspect -id "$inspect_id" -n "$INSPECT_N" ;;
				create) load -label "$cfg" -round "$round" -workload create -request "$request" -n "$CREATE_N" -warmup 5 ;;
				*)
					log "unknown workload $w"
					return 2
					;;
				esac
			done
		done
	done
	use none
	log "engine $engine: load done in $(($(date +%s) - start))s"

	guard_calls=$(grep -c '"phase":"request"' "$work/guard.log" || true)
	noop_calls=$(curl -fsS --unix-socket "$noop_sock" http://p/noop/counts 2>/dev/null || echo '?')
	{
		echo "## dood-guard end to end on Docker $version (engine $engine, API $apiver)"
		echo
		echo "$(date -u +%Y-%m-%d), $(nproc) cores, $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo); dockerd $version (API $apiver, minimum $minapi); create as docker CLI $cliv sends it (API $api); guard flags: defaults ${GUARD_FLAGS:-}"
		echo
		"$bin/dg-bench" report \
			-rss "guard=$(hwm_kib "$guard_pid") kB (before its first call: $guard_hwm0 kB) noop=$(hwm_kib "$noop_pid") kB" \
			-guard-rss-kib "$(hwm_kib "$guard_pid")" -guard-calls "$guard_calls" \
			-calls "guard: $guard_calls request-phase decisions logged (each API call also has a response phase); noop: $noop_calls" \
			"$samples"
		echo
	} >"$work/report-$tag.md"
	cat "$work/report-$tag.md"
	stop_engine
}

for e in "${engines[@]}"; do
	bench_engine "$e"
done
report=$work/report.md
for e in "${engines[@]}"; do
	cat "$work/report-$(printf '%s' "$e" | tr -c 'A-Za-z0-9\n' _).md"
done >"$report"
if [ ${#engines[@]} -gt 1 ]; then
	log "all engines done; the whole report:"
	cat "$report"
fi
[ -n "${OUT:-}" ] && cp "$report" "$OUT"
exit 0
