package guard

import (
	"context"
	"testing"

	"github.com/dood-guard/dood-guard/plugin/apiversion"
)

var (
	daemon2010 = &apiversion.Daemon{Version: "20.10.24+dfsg1", APIVersion: "1.41", MinAPIVersion: "1.12", Os: "linux"}
	daemon29   = &apiversion.Daemon{Version: "29.8.0", APIVersion: "1.56", MinAPIVersion: "1.40", Os: "linux"}
)

func guardWithFlag(t *testing.T, flag string) *Guard {
	t.Helper()
	return embeddedGuard(t, Options{DefaultAPIVersion: flag}, nil)
}

// An unprefixed request is read under the version the daemon in front of
// the guard gives it, learned from that daemon; an explicit flag wins; an
// unknown daemon gets the reading that sees the most.
func TestUnprefixedRequestsFollowTheDaemon(t *testing.T) {
	tests := []struct {
		name          string
		flag          string
		daemon        *apiversion.Daemon
		uri           string
		wantVersion   string
		wantSupported bool
	}{
		{"unknown-daemon-newest-known", "", nil, "/containers/json", apiversion.Newest, true},
		{"20.10-daemon-1.41", "", daemon2010, "/containers/json", "1.41", true},
		{"29-daemon-1.56", "", daemon29, "/containers/json", "1.56", true},
		{"flag-over-the-daemon", "1.44", daemon29, "/containers/json", "1.44", true},
		{"prefix-wins-over-everything", "1.44", daemon29, "/v1.41/containers/json", "1.41", true},
		{"below-29-minimum", "", daemon29, "/v1.24/containers/json", "1.24", false},
		{"above-20.10-newest", "", daemon2010, "/v1.44/containers/json", "1.44", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := guardWithFlag(t, tt.flag)
			if tt.daemon != nil {
				g.SetDaemon(tt.daemon)
			}
			out := g.Decide(context.Background(), jsonReq("GET", tt.uri, ""))
			if out.Request.APIVersion != tt.wantVersion || out.Request.APIVersionSupported != tt.wantSupported {
				t.Errorf("%s read as %q (supported %v), want %q (supported %v)", tt.uri,
					out.Request.APIVersion, out.Request.APIVersionSupported, tt.wantVersion, tt.wantSupported)
			}
			if !out.Response.Allow {
				t.Errorf("GET %s denied: %s", tt.uri, out.Response.Msg)
			}
		})
	}
}

// A daemon restarted as another version behind the same socket: the outcome
// remembered for an unprefixed request under the old version must not be
// given under the new one (the version is not in the request's bytes).
func TestDaemonChangeForgetsRememberedOutcomes(t *testing.T) {
	g := guardWithFlag(t, "")
	req := jsonReq("GET", "/containers/json", "")
	g.SetDaemon(daemon2010)
	for range 2 {
		if v := g.Decide(context.Background(), req).Request.APIVersion; v != "1.41" {
			t.Fatalf("on 20.10: read as %q, want 1.41", v)
		}
	}
	g.SetDaemon(daemon29)
	if v := g.Decide(context.Background(), req).Request.APIVersion; v != "1.56" {
		t.Fatalf("after the daemon became 29: read as %q, want 1.56 (a remembered outcome of 20.10 was given)", v)
	}
	g.SetDaemon(nil)
	if v := g.Decide(context.Background(), req).Request.APIVersion; v != apiversion.Newest {
		t.Fatalf("daemon unknown again: read as %q, want %s", v, apiversion.Newest)
	}
	if got := g.Versions(); got.Source != apiversion.Assumed {
		t.Errorf("Versions().Source = %q, want %q", got.Source, apiversion.Assumed)
	}
}

// Swapping the policy keeps the versions learned from the daemon.
func TestPolicyReloadKeepsTheDaemonVersions(t *testing.T) {
	g := guardWithFlag(t, "")
	g.SetDaemon(daemon2010)
	g.SetEngine(g.policy.Load().engine)
	if v := g.Versions(); v.Default != "1.41" || v.Source != apiversion.FromDaemon {
		t.Errorf("after a reload: %+v, want 1.41 from the daemon", v)
	}
}
