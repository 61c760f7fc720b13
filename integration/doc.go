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
// Without the tag this package has no tests, so `go test ./...` passes over
// it.
package integration
