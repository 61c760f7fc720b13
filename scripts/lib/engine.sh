# shellcheck shell=bash
# scripts/lib/engine.sh — the Docker engines dood-guard is tested against,
# and how to get each one's binaries. Source it; do not execute it.
#
# Engines (DG_ENGINE / DG_IT_ENGINE):
#   20.10  Debian bookworm's docker.io (dockerd 20.10.24, API 1.41) with
#          Debian's runc and containerd, found on PATH (apt-get install).
#   29     Docker 29, built once from its Go modules and cached outside the
#          tree (DG_ENGINE_CACHE, default /var/cache/dood-guard/engines):
#          dockerd and docker-proxy (its userland port proxy, which must
#          be the daemon's own version) from github.com/moby/moby/v2 (its
#          v2.0.0-beta.N tags are the docker 29.x releases) and a current runc (Debian's 1.1.5 cannot
#          run Docker 29's containers: they ask for a time namespace).
#          Debian's containerd 1.6 serves it.
#
# The pinned versions live here and nowhere else (the route-table test in
# plugin/route reads the module pins from this file).
#
# Functions:
#   dg_engine_check ENGINE      ENGINE is a known engine name
#   dg_engine_dir ENGINE        the cache directory of a built engine ("" for 20.10)
#   dg_engine_built ENGINE      the cached binaries exist and match the pins
#   dg_engine_build ENGINE      build them unless cached (needs go, gcc, libseccomp-dev)
#   dg_engine_path ENGINE       the PATH under which ENGINE's dockerd and runc come first

DG_ENGINES="20.10 29"
DG_ENGINE_DEFAULT=20.10

# Docker 20.10: the binaries are Debian's; its source, which
# plugin/route/dockerd_source_test.go reads the router from, is this module.
DG_E2010_MODULE=github.com/docker/docker
DG_E2010_MODULE_VERSION=v20.10.24+incompatible

# Docker 29: github.com/moby/moby/v2 v2.0.0-beta.24 is docker 29.8.0 (its
# releases/versions.yaml; API 1.56). DG_E29_DOCKER_VERSION is what the binary
# reports (`dockerd --version`, GET /version) — without it "library-import".
DG_E29_MODULE=github.com/moby/moby/v2
DG_E29_MODULE_VERSION=v2.0.0-beta.24
DG_E29_DOCKER_VERSION=29.8.0
DG_E29_RUNC_MODULE=github.com/opencontainers/runc
DG_E29_RUNC_VERSION=v1.5.3

: "${DG_ENGINE_CACHE:=/var/cache/dood-guard/engines}"

dg_eng_log() { printf '[engine] %s\n' "$*" >&2; }

dg_engine_check() {
	case "$1" in
	20.10 | 29) return 0 ;;
	*)
		dg_eng_log "unknown engine '$1': want one of $DG_ENGINES"
		return 1
		;;
	esac
}

# dg_engine_pins ENGINE: one line naming everything the build depends on; a
# cache entry is valid only when its stamp is exactly this.
dg_engine_pins() {
	case "$1" in
	29) printf 'dockerd docker-proxy %s@%s version=%s; runc %s@%s seccomp\n' \
		"$DG_E29_MODULE" "$DG_E29_MODULE_VERSION" "$DG_E29_DOCKER_VERSION" \
		"$DG_E29_RUNC_MODULE" "$DG_E29_RUNC_VERSION" ;;
	esac
}

dg_engine_dir() {
	case "$1" in
	20.10) printf '\n' ;;
	29) printf '%s/%s\n' "$DG_ENGINE_CACHE" "$DG_E29_DOCKER_VERSION" ;;
	*) dg_engine_check "$1" ;;
	esac
}

dg_engine_built() {
	local dir
	dg_engine_check "$1" || return 1
	[ "$1" = 20.10 ] && return 0
	dir=$(dg_engine_dir "$1")
	[ -x "$dir/bin/dockerd" ] && [ -x "$dir/bin/docker-proxy" ] && [ -x "$dir/bin/runc" ] &&
		[ "$(cat "$dir/STAMP" 2>/dev/null)" = "$(dg_engine_pins "$1")" ]
}

# dg_engine_build ENGINE: build into a fresh directory beside the cache entry
# and rename it into place, so a cache entry is always whole.
dg_engine_build() {
	local engine=$1 dir tmp start rc=0
	dg_engine_check "$engine" || return 1
	if [ "$engine" = 20.10 ]; then
		command -v dockerd >/dev/null 2>&1 || { dg_eng_log "engine 20.10 is Debian's docker.io: apt-get install -y docker.io"; return 1; }
		return 0
	fi
	if dg_engine_built "$engine"; then
		dg_eng_log "engine $engine: cached in $(dg_engine_dir "$engine")"
		return 0
	fi
	command -v go >/dev/null 2>&1 || { dg_eng_log "building engine $engine needs Go"; return 1; }
	command -v "$(go env CC)" >/dev/null 2>&1 || { dg_eng_log "building runc needs a C compiler: apt-get install -y gcc"; return 1; }
	# libseccomp-golang finds libseccomp through pkg-config.
	if ! pkg-config --exists libseccomp 2>/dev/null; then
		dg_eng_log "building runc needs libseccomp and pkg-config: apt-get install -y libseccomp-dev pkg-config"
		return 1
	fi
	dir=$(dg_engine_dir "$engine")
	mkdir -p "$(dirname "$dir")" || return 1
	tmp=$(mktemp -d "$dir.build.XXXXXX") || return 1
	start=$SECONDS
	dg_eng_log "building engine $engine into $dir (dockerd takes minutes on a cold Go build cache)"
	# GOFLAGS from the caller (e.g. -mod=vendor) must not reach a build
	# outside this module; GOWORK likewise.
	(
		export GOBIN=$tmp/bin GOFLAGS= GOWORK=off
		CGO_ENABLED=1 go install -tags seccomp "$DG_E29_RUNC_MODULE@$DG_E29_RUNC_VERSION" &&
			CGO_ENABLED=0 go install \
				-ldflags "-X github.com/moby/moby/v2/dockerversion.Version=$DG_E29_DOCKER_VERSION -X github.com/moby/moby/v2/dockerversion.GitCommit=$DG_E29_MODULE_VERSION" \
				"$DG_E29_MODULE/cmd/dockerd@$DG_E29_MODULE_VERSION" \
				"$DG_E29_MODULE/cmd/docker-proxy@$DG_E29_MODULE_VERSION"
	) >"$tmp/build.log" 2>&1 || rc=$?
	if [ "$rc" != 0 ]; then
		dg_eng_log "building engine $engine failed (exit $rc); last lines of $tmp/build.log:"
		tail -n 20 "$tmp/build.log" >&2
		return 1
	fi
	if ! "$tmp/bin/dockerd" --version | grep -qF "version $DG_E29_DOCKER_VERSION,"; then
		dg_eng_log "the built dockerd reports '$("$tmp/bin/dockerd" --version)', want $DG_E29_DOCKER_VERSION"
		return 1
	fi
	dg_engine_pins "$engine" >"$tmp/STAMP"
	rm -rf "$dir"
	mv "$tmp" "$dir" || return 1
	dg_eng_log "engine $engine built in $((SECONDS - start))s: $("$dir/bin/dockerd" --version); $("$dir/bin/runc" --version | head -n 1)"
}

# dg_engine_path ENGINE: print the PATH to run ENGINE's daemon with (its
# dockerd, and the runc that containerd's shim starts, found first).
dg_engine_path() {
	local dir
	dg_engine_check "$1" || return 1
	if [ "$1" = 20.10 ]; then
		printf '%s\n' "$PATH"
		return 0
	fi
	if ! dg_engine_built "$1"; then
		dg_eng_log "engine $1 is not built: run scripts/build-engine.sh $1"
		return 1
	fi
	dir=$(dg_engine_dir "$1")
	printf '%s/bin:%s\n' "$dir" "$PATH"
}
