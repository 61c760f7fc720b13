package main

import (
	"context"
	"io"
	"testing"

	"github.com/dood-guard/dood-guard/plugin/apiversion"
	"github.com/dood-guard/dood-guard/plugin/config"
	"github.com/dood-guard/dood-guard/plugin/state"
	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"
)

// At start-up and after every reconnect the guard learns the daemon's API
// versions, logs them, and warns when the daemon serves gRPC past every
// authorization plugin; a daemon that cannot say leaves the guard reading
// unprefixed requests as the newest version it knows, and the log says so.
func TestLearnDaemon(t *testing.T) {
	tests := []struct {
		name        string
		version     string // "" : the daemon cannot say
		flag        string
		wantDefault string
		wantSource  string
		wantMsgs    []string
	}{
		{"docker-20.10", version2010, "", "1.41", apiversion.FromDaemon,
			[]string{"the daemon's API versions learned"}},
		{"docker-29-warns-of-grpc", version29, "", "1.56", apiversion.FromDaemon,
			[]string{"the daemon's API versions learned", grpcWarning}},
		{"flag-wins-and-is-said", version29, "1.44", "1.44", apiversion.FromFlag,
			[]string{"the daemon's API versions learned; --default-api-version overrides the daemon's default for requests without /vX.Y", grpcWarning}},
		{"unknown-reads-as-newest", "", "", apiversion.Newest, apiversion.Assumed,
			[]string{unknownDaemonMsg(apiversion.Versions{Source: apiversion.Assumed})}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			host := fakeDockerVersion(t, tt.version, map[string]string{}, `{"Volumes":[]}`)
			st, err := state.New(host, state.Options{})
			if err != nil {
				t.Fatal(err)
			}
			c := config.Config{DefaultAPIVersion: tt.flag}
			if err := c.Validate(); err != nil {
				t.Fatal(err)
			}
			quiet := logrus.New()
			quiet.SetOutput(io.Discard)
			g, _, err := newGuard(context.Background(), c, quiet)
			if err != nil {
				t.Fatal(err)
			}
			log, hook := logtest.NewNullLogger()
			learnDaemon(context.Background(), g, st, log)
			var msgs []string
			for _, e := range hook.AllEntries() {
				msgs = append(msgs, e.Message)
				if e.Data["default_api_version"] != tt.wantDefault || e.Data["default_api_version_source"] != tt.wantSource {
					t.Errorf("%q logged with %v", e.Message, e.Data)
				}
			}
			if len(msgs) != len(tt.wantMsgs) {
				t.Fatalf("logged %q, want %q", msgs, tt.wantMsgs)
			}
			for i := range msgs {
				if msgs[i] != tt.wantMsgs[i] {
					t.Errorf("line %d: %q, want %q", i, msgs[i], tt.wantMsgs[i])
				}
			}
			if v := g.Versions(); v.Default != tt.wantDefault || v.Source != tt.wantSource {
				t.Errorf("guard reads unprefixed requests as %+v, want %s from %s", v, tt.wantDefault, tt.wantSource)
			}
		})
	}
}
