#!/usr/bin/env bash
# Build (once; cached outside the tree) the Docker engines the integration
# suite runs against, and print where each one's binaries are.
#
#   scripts/build-engine.sh [ENGINE...]     default: every engine (20.10 29)
#
# 20.10 is Debian's docker.io (nothing to build). 29 is dockerd from
# github.com/moby/moby/v2 and runc from its module, at the versions pinned in
# scripts/lib/engine.sh, under DG_ENGINE_CACHE (default
# /var/cache/dood-guard/engines/<docker version>/bin). Needs Go, gcc and
# libseccomp-dev (bash .ci/run installs them).
set -euo pipefail
lib="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib"
# shellcheck source=scripts/lib/install.sh
. "$lib/install.sh"
# shellcheck source=scripts/lib/engine.sh
. "$lib/engine.sh"
dg_require_go

[ $# -gt 0 ] || set -- $DG_ENGINES
for engine in "$@"; do
	dg_engine_build "$engine"
	dir=$(dg_engine_dir "$engine")
	echo "ENGINE_$(printf '%s' "$engine" | tr -c 'A-Za-z0-9\n' _)=${dir:-system}"
done
