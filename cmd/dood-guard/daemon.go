package main

import (
	"context"

	"github.com/dood-guard/dood-guard/plugin/apiversion"
	"github.com/dood-guard/dood-guard/plugin/guard"
	"github.com/dood-guard/dood-guard/plugin/logfields"
	"github.com/dood-guard/dood-guard/plugin/state"
	"github.com/sirupsen/logrus"
)

// learnDaemon asks the daemon in front of the guard what it is and has the
// guard read requests under its API versions from now on. It logs the
// versions in force, and warns about what no authorization plugin sees on
// that daemon. When the daemon cannot be asked, requests without a prefix
// are read as the newest version the guard knows, and the log says so.
func learnDaemon(ctx context.Context, g *guard.Guard, st *state.Source, log logrus.FieldLogger) {
	d, err := st.DaemonVersion(ctx)
	if err != nil {
		v := g.SetDaemon(nil)
		log.WithError(err).WithFields(versionFields(v)).Warn(unknownDaemonMsg(v))
		return
	}
	v := g.SetDaemon(&d)
	entry := log.WithFields(versionFields(v))
	if v.Source == apiversion.FromFlag && v.Default != apiversion.Canonical(d.APIVersion) {
		entry.Warn("the daemon's API versions learned; --default-api-version overrides the daemon's default for requests without /vX.Y")
	} else {
		entry.Info("the daemon's API versions learned")
	}
	if d.GRPCUnguarded() {
		entry.Warn(grpcWarning)
	}
}

func unknownDaemonMsg(v apiversion.Versions) string {
	if v.Source == apiversion.FromFlag {
		return "the daemon's API versions could not be learned (GET /version through --docker-host); requests without /vX.Y are read as --default-api-version says"
	}
	return "the daemon's API versions could not be learned (GET /version through --docker-host); requests without /vX.Y are read as the newest version the guard knows, so that no version-gated field the daemon could honour is ignored"
}

// grpcWarning is what the start-up log and `dood-guard audit` say about a
// daemon that serves BuildKit's gRPC API on its socket (docs/engines.md).
const grpcWarning = "this daemon (Docker 29.2 or later) serves BuildKit's gRPC API on its API socket: HTTP/2 requests with Content-Type application/grpc reach it without passing any authorization plugin, so the guard never sees them; they can run builds with the daemon's builder entitlements (network-host and device are on by default in 29). Restrict them in daemon.json (builder.entitlements), or put a filtering front in front of the socket (docs/engines.md)"

// versionFields are the log fields for the versions in force.
func versionFields(v apiversion.Versions) logrus.Fields {
	f := logrus.Fields{
		logfields.DefaultAPIVersion:       v.Default,
		logfields.DefaultAPIVersionSource: v.Source,
	}
	if d := v.Daemon; d != nil {
		f[logfields.DaemonVersion] = d.Version
		f[logfields.DaemonAPIVersion] = d.APIVersion
		f[logfields.DaemonMinAPIVersion] = d.MinAPIVersion
	}
	return f
}
