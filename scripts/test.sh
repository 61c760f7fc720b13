#!/usr/bin/env bash
# scripts/test.sh — the one command that runs every test of dood-guard:
#
#   1. gofmt check            5. a short real fuzz run of every Fuzz* target
#   2. go vet                    (FUZZTIME each, default 10s)
#   3. go test ./...          6. the integration suite against a real dockerd
#      (unit + Rego tests)       (go test -tags integration ./integration/),
#   4. (3 also runs the fuzz     once per engine and plugin mode: engines
#      seed corpora)             DG_IT_ENGINE=20.10 (Debian's docker.io) and
#                                29 (built once by scripts/build-engine.sh,
#                                cached outside the tree); modes
#                                DG_IT_MODE=legacy (a socket plugin) and
#                                managed (the `docker plugin` from
#                                scripts/build-plugin.sh, installed by
#                                scripts/install.sh) and front (no plugin;
#                                dood-guard proxy before the daemon,
#                                docs/front.md); needs root, docker.io,
#                                busybox-static, iproute2, jq, and gcc,
#                                pkg-config, libseccomp-dev to build 29
#                                (bash .ci/run installs them)
#                             7. scripts/demo.sh, the README's first command
#
# Exits non-zero if any step fails; every step runs regardless.
# env: FUZZTIME (default 10s; 0 skips the fuzz runs), SKIP_INTEGRATION=1
#      (local use only; CI never sets it), DOOD_GUARD_BIN (use a prebuilt
#      binary in the legacy integration run), INTEGRATION_TIMEOUT (default
#      30m, per run), INTEGRATION_ENGINES (default "20.10 29"),
#      INTEGRATION_MODES (default "legacy managed front"): every engine × mode.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
# shellcheck source=scripts/lib/install.sh
. scripts/lib/install.sh
dg_require_go || exit 1

FUZZTIME=${FUZZTIME:-10s}
passed=0
failed=0
failures=()

step() {
	local name=$1
	shift
	printf '\n==> %s\n' "$name"
	if "$@"; then
		printf '==> %s: ok\n' "$name"
		passed=$((passed + 1))
	else
		printf '==> %s: FAILED\n' "$name"
		failed=$((failed + 1))
		failures+=("$name")
	fi
}

gofmt_check() {
	local out
	out=$(gofmt -l . 2>&1)
	if [ -n "$out" ]; then
		echo "gofmt: these files need formatting (run gofmt -w):"
		echo "$out"
		return 1
	fi
	echo "gofmt: all files formatted"
}

vet() {
	go vet ./... && go vet -tags integration ./integration/ && go vet -tags nocheck ./cmd/dood-guard/
}

unit() {
	go test -count=1 ./... || return 1
	# The packages whose state is shared between concurrent calls (the
	# remembered outcomes and decisions, the batched decision log, the state
	# cache, the OPA values shared between documents), again
	# under the race detector, which needs cgo and a C compiler.
	if [ "$(go env CGO_ENABLED)" != 1 ] || ! command -v "$(go env CC)" >/dev/null 2>&1; then
		echo "go test -race skipped: it needs cgo and a C compiler (apt-get install gcc)"
		return 0
	fi
	go test -count=1 -race ./plugin/guard/ ./plugin/decisionlog/ ./plugin/state/ ./plugin/engine/ ./plugin/input/ ./plugin/normalize/jsonterm/
}

fuzz() {
	local pkg names name rc=0 n=0
	if [ "$FUZZTIME" = 0 ]; then
		echo "FUZZTIME=0: fuzz runs skipped"
		return 0
	fi
	for pkg in $(go list ./...); do
		names=$(go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true)
		for name in $names; do
			n=$((n + 1))
			echo "--- fuzz $pkg $name for $FUZZTIME"
			if ! go test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" "$pkg"; then
				echo "--- fuzz $pkg $name FAILED (a failing input is saved under the package's testdata/fuzz/$name)"
				rc=1
			fi
		done
	done
	echo "fuzz targets run: $n"
	return $rc
}

integration() {
	local engine=$1 mode=$2
	if [ "$(id -u)" != 0 ]; then
		echo "integration: NOT RUN — the integration suite needs root (it starts a private dockerd"
		echo "in its own namespaces and an authz plugin on /run/docker/plugins). Run as root:"
		echo "    sudo scripts/test.sh        (or: sudo bash .ci/run on a fresh machine)"
		return 1
	fi
	local start=$SECONDS rc=0
	DG_IT_ENGINE=$engine DG_IT_MODE=$mode go test -tags integration -count=1 -v -timeout "${INTEGRATION_TIMEOUT:-30m}" ./integration/ || rc=$?
	echo "integration (engine $engine, $mode): $((SECONDS - start))s"
	return $rc
}

# The README's first command, run as a newcomer runs it: it must show an
# ordinary container running and the escapes refused.
demo() {
	bash scripts/demo.sh
}

step "gofmt" gofmt_check
step "go vet" vet
step "go test ./... (unit, Rego, fuzz seed corpora; -race for the concurrent packages)" unit
step "fuzz (${FUZZTIME} per target)" fuzz
if [ "${SKIP_INTEGRATION:-0}" = 1 ]; then
	echo
	echo "==> integration: skipped (SKIP_INTEGRATION=1)"
else
	for engine in ${INTEGRATION_ENGINES:-20.10 29}; do
		# Built once, cached outside the tree; a failed build fails this
		# engine's runs, not the others'.
		if ! step "engine $engine (scripts/build-engine.sh)" bash scripts/build-engine.sh "$engine"; then
			continue
		fi
		for mode in ${INTEGRATION_MODES:-legacy managed front}; do
			step "integration, engine $engine, $mode plugin (real dockerd)" integration "$engine" "$mode"
		done
	done
	step "demo (scripts/demo.sh)" demo
fi

echo
if [ "$failed" -gt 0 ]; then
	printf 'failed steps:\n'
	printf '  %s\n' "${failures[@]}"
fi
echo "steps: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
