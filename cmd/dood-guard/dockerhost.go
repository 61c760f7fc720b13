package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/dood-guard/dood-guard/plugin/guard"
	"github.com/dood-guard/dood-guard/plugin/logfields"
	"github.com/dood-guard/dood-guard/plugin/normalize"
	"github.com/dood-guard/dood-guard/plugin/state"
	"github.com/sirupsen/logrus"
)

// stateConfig says where the guard reads the daemon's state (plugin/state).
type stateConfig struct {
	DockerHost string
	TTL        time.Duration
	// SelfNames are the names dockerd knows the guard by as a legacy
	// plugin (the socket's name), set from --socket.
	SelfNames []string
}

const defaultDockerHost = "unix:///var/run/docker.sock"

func stateFlags(fs *flag.FlagSet, sc *stateConfig) {
	fs.StringVar(&sc.DockerHost, "docker-host", defaultDockerHost,
		"the guarded daemon's API socket, asked about the containers and volumes a request points at (unix:///path)")
	fs.DurationVar(&sc.TTL, "state-ttl", 2*time.Second, "how long a looked-up container or volume is remembered (0 for the default, negative to disable)")
}

// source reads the daemon's state; host says how the host reads bind
// sources and local volumes (the guard's own --host-root and --cgroup).
func (sc stateConfig) source(host normalize.Options) (*state.Source, error) {
	s, err := state.New(sc.DockerHost, state.Options{TTL: sc.TTL, Host: host, SelfNames: sc.SelfNames})
	if err != nil {
		return nil, fmt.Errorf("--docker-host: %w", err)
	}
	return s, nil
}

// watchState keeps the state cache fresh from the daemon's events. The
// daemon starts after its authorization plugin, so this never blocks
// start-up: it connects when the daemon is up, logs once when it does, and
// then runs onceUp in the background. Every (re)connection runs connected
// first: the daemon behind the socket may have been restarted or upgraded.
func watchState(ctx context.Context, s *state.Source, log logrus.FieldLogger, connected, onceUp func()) {
	first := true
	s.Watch(ctx, func() {
		connected()
		if first {
			first = false
			log.WithField(logfields.DockerHost, s.Host()).Info("following the daemon's events for state lookups")
			go onceUp()
		}
	})
}

// logAudit logs what `dood-guard audit` would list: one summary line, and
// one line per object the policy would refuse.
func logAudit(ctx context.Context, g *guard.Guard, s *state.Source, cgroupV1 bool, log logrus.FieldLogger) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	rep, err := runAudit(ctx, g, s, cgroupV1)
	if err != nil {
		log.WithError(err).Warn("start-up audit of existing containers and volumes failed")
		return
	}
	for _, f := range rep.Findings {
		log.WithFields(logrus.Fields{"kind": f.Kind, "name": f.Name, "id": f.ID, logfields.RuleIDs: f.RuleIDs}).
			Warn("existing object would be refused by the policy")
	}
	f := logrus.Fields{"containers": rep.Containers, "volumes": rep.Volumes, "findings": len(rep.Findings)}
	if len(rep.DryRunRules) > 0 {
		f[logfields.DryRun] = rep.DryRunRules
	}
	if g.Enforcement().WhollyDryRun() {
		f[logfields.Enforcement] = "dryrun"
		log.WithFields(f).Warn("start-up audit of existing containers and volumes (dood-guard audit lists them); DRY-RUN: none of them would be refused")
		return
	}
	log.WithFields(f).Info("start-up audit of existing containers and volumes (dood-guard audit lists them)")
}
