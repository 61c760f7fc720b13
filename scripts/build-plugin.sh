#!/usr/bin/env bash
# scripts/build-plugin.sh OUTDIR — build dood-guard as a managed (v2) Docker
# plugin directory, ready for `docker plugin create NAME OUTDIR` (no registry):
#
#   OUTDIR/config.json           the repository's config.json
#   OUTDIR/rootfs/dood-guard     static binary (CGO_ENABLED=0), version/commit stamped
#   OUTDIR/rootfs/host           mount point of the host's root (read-only)
#   OUTDIR/rootfs/run/docker/plugins   where dockerd binds the plugin socket dir
#   OUTDIR/rootfs/tmp
#
# Nothing else: no shell, no libc, no certificates (the plugin has no network).
# runc creates /proc, /sys, /dev, /etc/hosts and /etc/resolv.conf at start.
#
# OUTDIR is replaced when it is empty or an earlier build-plugin.sh output;
# anything else is refused. env: VERSION, COMMIT (default: from git), GO.
#
# To publish (integration/registry_test.go does it against a local registry):
#   docker plugin create registry.example.com/team/dood-guard:1.0 OUTDIR
#   docker plugin push registry.example.com/team/dood-guard:1.0
#   # on a host:  scripts/install.sh --from registry.example.com/team/dood-guard:1.0
#   # (or docker plugin install --alias dood-guard --grant-all-permissions REF)
set -euo pipefail

usage() { sed -n '2,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
case "${1:-}" in '' | -h | --help) usage ;; esac
[ $# -eq 1 ] || usage

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=$1
marker=.dood-guard-plugin

GO=${GO:-}
if [ -z "$GO" ]; then
	if command -v go >/dev/null 2>&1; then GO=go; elif [ -x /usr/local/go/bin/go ]; then GO=/usr/local/go/bin/go; else
		echo "build-plugin.sh: Go not found (expected on PATH or at /usr/local/go/bin/go)" >&2
		exit 1
	fi
fi
VERSION=${VERSION:-$(git -C "$root" describe --tags --always --dirty 2>/dev/null || echo dev)}
COMMIT=${COMMIT:-$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)}

if [ -e "$out" ]; then
	[ -d "$out" ] || { echo "build-plugin.sh: $out exists and is not a directory" >&2; exit 1; }
	if [ -n "$(ls -A "$out")" ] && [ ! -f "$out/$marker" ]; then
		echo "build-plugin.sh: $out is not empty and not an earlier plugin build; refusing to replace it" >&2
		exit 1
	fi
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)

# Build into a fresh directory beside OUTDIR, then swap it in.
stage=$(mktemp -d "$(dirname "$out")/.build-plugin.XXXXXX")
trap 'rm -rf "$stage"' EXIT
rootfs=$stage/rootfs
mkdir -p "$rootfs/etc" "$rootfs/host" "$rootfs/run/docker/plugins" "$rootfs/tmp"
chmod 0755 "$rootfs" "$rootfs/etc" "$rootfs/host" "$rootfs/run" "$rootfs/run/docker" "$rootfs/run/docker/plugins"
chmod 1777 "$rootfs/tmp"

# -tags nocheck: the plugin never runs `dood-guard check`, whose libraries
# (docker/cli, compose-go) would add ~20 MB of binary and ~20 MiB of
# resident memory at start-up (docs/performance.md).
(cd "$root" && CGO_ENABLED=0 "$GO" build -trimpath -tags nocheck \
	-ldflags "-s -w -X main.version=$VERSION -X main.commit=$COMMIT" \
	-o "$rootfs/dood-guard" ./cmd/dood-guard)
chmod 0755 "$rootfs/dood-guard"
# A dynamically linked binary would not run in a rootfs without libc.
if command -v file >/dev/null 2>&1 && LC_ALL=C file "$rootfs/dood-guard" | grep -q 'dynamically linked'; then
	echo "build-plugin.sh: the binary is dynamically linked; the plugin rootfs has no libc" >&2
	exit 1
fi

cp "$root/config.json" "$stage/config.json"
chmod 0644 "$stage/config.json"
touch "$stage/$marker"
chmod 0755 "$stage"

# Swap: the old contents go, the new ones take the same path.
find "$out" -mindepth 1 -maxdepth 1 -exec rm -rf {} +
for f in config.json rootfs "$marker"; do mv "$stage/$f" "$out/$f"; done
echo "build-plugin.sh: $out ($VERSION, $COMMIT): docker plugin create NAME $out" >&2
