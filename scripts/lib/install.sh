# shellcheck shell=bash
# scripts/lib/install.sh — install what dood-guard's tests and demo need on a
# Debian machine. Source it; do not execute it.
#
#   dg_install_deps   apt-get install docker.io busybox-static iproute2 (and
#                     util-linux, tar, curl, jq, python3; gcc, pkg-config and
#                     libseccomp-dev to build the Docker 29 engine's runc,
#                     scripts/lib/engine.sh) when something is missing;
#                     never starts the system's Docker service.
#   dg_require_go     put /usr/local/go/bin on PATH if needed; fail if no Go.

dg_inst_log() { printf '[install] %s\n' "$*" >&2; }

# dg_missing_pkgs prints the Debian packages providing what is missing.
dg_missing_pkgs() {
	local pkgs=()
	{ command -v dockerd && command -v containerd && command -v runc && [ -x /usr/bin/docker ]; } >/dev/null 2>&1 || pkgs+=(docker.io)
	# The image's rootfs has no libc: the busybox must be Debian's static one
	# (busybox-static replaces the dynamic "busybox" package).
	if command -v dpkg-query >/dev/null 2>&1; then
		dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'ok installed' || pkgs+=(busybox-static)
	else
		{ [ -x /bin/busybox ] || [ -x /usr/bin/busybox ]; } || pkgs+=(busybox-static)
	fi
	command -v ip >/dev/null 2>&1 || pkgs+=(iproute2)
	command -v unshare >/dev/null 2>&1 || pkgs+=(util-linux)
	command -v tar >/dev/null 2>&1 || pkgs+=(tar)
	command -v curl >/dev/null 2>&1 || pkgs+=(curl)
	# scripts/install.sh edits daemon.json with jq (managed-mode integration run).
	command -v jq >/dev/null 2>&1 || pkgs+=(jq)
	# The fleet integration test's bundle server is python3 -m http.server.
	command -v python3 >/dev/null 2>&1 || pkgs+=(python3)
	# The Docker 29 engine's runc is built with cgo and libseccomp
	# (scripts/build-engine.sh); libseccomp-golang finds it with pkg-config.
	command -v gcc >/dev/null 2>&1 || pkgs+=(gcc)
	command -v pkg-config >/dev/null 2>&1 || pkgs+=(pkg-config)
	pkg-config --exists libseccomp 2>/dev/null || pkgs+=(libseccomp-dev)
	# integration/registry_test.go pushes the plugin to a local registry.
	[ -x /usr/bin/docker-registry ] || pkgs+=(docker-registry)
	printf '%s\n' "${pkgs[@]}"
}

dg_install_deps() {
	local pkgs rc=0 made_policy=0
	mapfile -t pkgs < <(dg_missing_pkgs)
	if [ ${#pkgs[@]} -eq 0 ] || [ -z "${pkgs[0]}" ]; then
		dg_inst_log "all system packages present (docker.io, busybox-static, iproute2)"
		return 0
	fi
	if [ "$(id -u)" != 0 ]; then
		dg_inst_log "missing ${pkgs[*]} and not root: run as root, or: sudo apt-get install -y ${pkgs[*]}"
		return 1
	fi
	if ! command -v apt-get >/dev/null 2>&1; then
		dg_inst_log "missing ${pkgs[*]} and no apt-get: install them with your package manager"
		return 1
	fi
	dg_inst_log "installing: ${pkgs[*]}"
	# Installing docker.io must not start the system dockerd (which would
	# take /var/lib/docker and /var/run/docker.sock): forbid service starts
	# for the duration, the Debian way.
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 0755 /usr/sbin/policy-rc.d
		made_policy=1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q || rc=$?
	if [ "$rc" = 0 ]; then
		apt-get install -y -q --no-install-recommends \
			-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
			"${pkgs[@]}" </dev/null || rc=$?
	fi
	[ "$made_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
	if [ "$rc" != 0 ]; then
		dg_inst_log "apt-get failed (exit $rc)"
		return "$rc"
	fi
}

dg_require_go() {
	if ! command -v go >/dev/null 2>&1; then
		if [ -x /usr/local/go/bin/go ]; then
			export PATH=/usr/local/go/bin:$PATH
		else
			dg_inst_log "Go not found: dood-guard needs Go 1.26 (expected at /usr/local/go/bin/go)"
			return 1
		fi
	fi
	dg_inst_log "using $(go version) at $(command -v go)"
}
