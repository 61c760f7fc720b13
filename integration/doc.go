// Package integration holds dood-guard's end-to-end tests against a real
// dockerd. They are behind the build tag "integration" and need root:
//
//	go test -tags integration ./integration/ -count=1 -v
//
// (scripts/test.sh runs them). TestMain builds the plugin (or uses
// $DOOD_GUARD_BIN), starts it on /run/docker/plugins/<name>.sock, starts a
// private dockerd in its own namespaces with --authorization-plugin=<name>
// (scripts/start-dockerd.sh), imports a busybox test image through the
// guarded daemon, and tears everything down afterwards.
//
// DG_IT_ENGINE picks the daemon: 20.10 (Debian's docker.io, the default) or
// 29 (Docker 29 built from its Go modules by scripts/build-engine.sh, which
// TestMain runs; cached outside the tree). DG_IT_MODE picks the plugin's
// mode: legacy (default) or managed. The harness reads the daemon's GET
// /version: h.engine and h.daemon tell tests which daemon they face, and api
// is the /vX.Y prefix of its newest API version.
//
// Without the tag this package has no tests, so `go test ./...` passes over
// it.
package integration
