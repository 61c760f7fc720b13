package guard

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker/go-plugins-helpers/authorization"
	"github.com/dood-guard/dood-guard/plugin/decisionlog"
	"github.com/dood-guard/dood-guard/plugin/decode"
	"github.com/dood-guard/dood-guard/plugin/logfields"
	"github.com/dood-guard/dood-guard/plugin/route"
	"github.com/google/go-cmp/cmp"
	"github.com/sirupsen/logrus"
	"github.com/sirupsen/logrus/hooks/test"
)

func jsonReq(method, uri, body string) authorization.Request {
	return authorization.Request{
		RequestMethod:  method,
		RequestURI:     uri,
		RequestHeaders: map[string]string{"Content-Type": "application/json"},
		RequestBody:    []byte(body),
	}
}

func TestFailClosed(t *testing.T) {
	g := newTestGuard(t)
	cases := []struct {
		name   string
		req    authorization.Request
		wantID string
	}{
		{"zero-value request from an undecodable AuthZ call", authorization.Request{}, "DG-REQ-001"},
		{"retried call with its body lost", jsonReq("POST", "", ""), "DG-REQ-001"},
		{"unclean path dockerd would redirect", jsonReq("POST", "/v1.41/containers/../containers/create", `{}`), "DG-REQ-002"},
		{"query dockerd cannot parse", jsonReq("POST", "/v1.41/containers/create?name=a;b", `{"Image":"x"}`), "DG-REQ-002"},
		{"create with no visible body", jsonReq("POST", "/v1.41/containers/create", ""), "DG-BODY-001"},
		{"exec with no visible body", jsonReq("POST", "/v1.41/containers/x/exec", ""), "DG-BODY-001"},
		{"invalid bind spec", jsonReq("POST", "/v1.41/containers/create", `{"HostConfig":{"Binds":["/a:/b:/c:ro"]}}`), "DG-BODY-002"},
		{"multipart body", authorization.Request{RequestMethod: "POST", RequestURI: "/v1.41/plugins/pull?remote=x",
			RequestHeaders: map[string]string{"Content-Type": "multipart/form-data; boundary=x"}}, "DG-BODY-003"},
		{"form body on a GET", authorization.Request{RequestMethod: "GET", RequestURI: "/v1.41/containers/json",
			RequestHeaders: map[string]string{"content-type": "application/x-www-form-urlencoded"}}, "DG-BODY-003"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := g.Decide(context.Background(), tc.req).Response
			if r.Allow || r.Err != "" || !strings.HasPrefix(r.Msg, "["+tc.wantID+"]") {
				t.Errorf("answer = %+v, want a denial starting with [%s]", r, tc.wantID)
			}
		})
	}
}

func TestNoPolicyDeniesEverything(t *testing.T) {
	log := logrus.New()
	log.SetOutput(io.Discard)
	g := New(Options{}, log)
	r := g.AuthZReq(jsonReq("GET", "/_ping", ""))
	if r.Allow || !strings.Contains(r.Msg, "[DG-POLICY-001] no policy is loaded") {
		t.Errorf("answer = %+v, want DG-POLICY-001", r)
	}
}

func TestUnknownReadOnlyRoutesGoToThePolicy(t *testing.T) {
	g := newTestGuard(t)
	if r := g.Decide(context.Background(), jsonReq("GET", "/v1.41/frobnicate", "")).Response; !r.Allow {
		t.Errorf("unknown GET: %+v, want allowed by the default policy", r)
	}
	g.opts.AllowUnknownRoutes = true
	if r := g.Decide(context.Background(), jsonReq("POST", "/v1.41/frobnicate", "")).Response; !r.Allow {
		t.Errorf("unknown POST with AllowUnknownRoutes: %+v, want it judged (and allowed) by the policy", r)
	}
}

func TestResponsePhase(t *testing.T) {
	g := newTestGuard(t)
	if r := g.AuthZRes(jsonReq("POST", "/v1.41/containers/create", `{}`)); !r.Allow {
		t.Errorf("well-formed response phase: %+v, want allowed", r)
	}
	if r := g.AuthZRes(authorization.Request{}); r.Allow {
		t.Errorf("malformed response phase: %+v, want denied", r)
	}
}

// TestDecisionLogLine checks the one structured line per decision: stable
// fields, rule IDs, and nothing from the body (environment, secrets).
func TestDecisionLogLine(t *testing.T) {
	log, hook := test.NewNullLogger()
	g := newTestGuard(t)
	g.SetDecisionLog(decisionlog.NewLogrus(log, decisionlog.All))
	g.AuthZReq(jsonReq("POST", "/v1.41/containers/create", `{"Image":"x","Env":["TOKEN=hunter2"],"HostConfig":{"Privileged":true}}`))
	g.AuthZReq(jsonReq("GET", "/v1.41/containers/json", ""))
	if len(hook.Entries) != 2 {
		t.Fatalf("%d log lines, want one per decision", len(hook.Entries))
	}
	deny, allow := hook.Entries[0], hook.Entries[1]
	want := map[string]any{
		logfields.Decision: logfields.Deny, logfields.Endpoint: "container.create", logfields.Method: "POST",
		logfields.RuleIDs: []string{"DG-PRIV-001"}, logfields.Phase: "request", logfields.APIVersion: "1.41",
	}
	for k, v := range want {
		if diff := cmp.Diff(v, deny.Data[k]); diff != "" {
			t.Errorf("field %s (-want +got):\n%s", k, diff)
		}
	}
	if _, ok := deny.Data[logfields.EvalMicros]; !ok {
		t.Errorf("no %s field", logfields.EvalMicros)
	}
	if allow.Data[logfields.Decision] != logfields.Allow {
		t.Errorf("second line decision = %v, want allow", allow.Data[logfields.Decision])
	}
	for _, e := range hook.Entries {
		line, _ := e.String()
		if strings.Contains(line, "hunter2") {
			t.Errorf("log line leaks the body: %s", line)
		}
	}
}

// TestDefaultDecisionLog: until SetDecisionLog, the guard logs its
// denials, and only those, to the logger New was given.
func TestDefaultDecisionLog(t *testing.T) {
	log, hook := test.NewNullLogger()
	g := New(Options{}, log)
	g.SetEngine(newTestGuard(t).policy.Load().engine)
	g.AuthZReq(jsonReq("GET", "/_ping", ""))
	if len(hook.Entries) != 0 {
		t.Errorf("allowed decision logged by default: %v", hook.Entries[0].Message)
	}
	g.AuthZRes(authorization.Request{})
	if len(hook.Entries) != 1 || hook.Entries[0].Message != "request denied" {
		t.Errorf("log after a denial: %v, want one denial", hook.Entries)
	}
}

// TestDecisionRecord: what the guard hands the decision log for an
// allowed and a denied call.
func TestDecisionRecord(t *testing.T) {
	var got recordSink
	g := newTestGuard(t)
	g.SetDecisionLog(&got)
	g.AuthZReq(jsonReq("GET", "/v1.41/containers/json", ""))
	g.AuthZReq(jsonReq("POST", "/v1.41/containers/create", `{"Image":"x","HostConfig":{"Privileged":true}}`))
	for i := range got {
		got[i].EvalMicros = 0
	}
	want := recordSink{
		{Phase: "request", Method: "GET", Path: "/containers/json", Endpoint: "container.list", APIVersion: "1.41"},
		{Phase: "request", Method: "POST", Path: "/containers/create", Endpoint: "container.create", APIVersion: "1.41",
			Denied: true, RuleIDs: []string{"DG-PRIV-001"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
}

type recordSink []decisionlog.Record

func (s *recordSink) Log(r decisionlog.Record) { *s = append(*s, r) }

// TestEveryBodyRouteHasADecoder: a route whose handler reads a JSON body
// without a decoder here would be denied on every call.
func TestEveryBodyRouteHasADecoder(t *testing.T) {
	for _, r := range route.Routes() {
		if (r.Body == route.BodyJSON || r.Body == route.BodyJSONOptional) && !decode.Has(r.Endpoint) {
			t.Errorf("%s %s (%s) reads a JSON body but has no decoder", r.Method, r.Template, r.Endpoint)
		}
	}
}

func TestOptionalBodies(t *testing.T) {
	g := newTestGuard(t)
	h := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	cases := []struct {
		name    string
		uri     string
		headers map[string]string
		allow   bool
	}{
		{"modern start without body", "/v1.41/containers/x/start", h(), true},
		{"modern start with a JSON type: daemon refuses bodies itself", "/v1.41/containers/x/start", h("Content-Type", "application/json"), true},
		{"old start, no content type", "/v1.23/containers/x/start", h(), true},
		{"old start, empty JSON", "/v1.23/containers/x/start", h("Content-Type", "application/json", "Content-Length", "2"), true},
		{"old start, chunked body not forwarded", "/v1.23/containers/x/start", h("Content-Type", "application/json"), false},
		{"old start, 2 MiB body not forwarded", "/v1.23/containers/x/start", h("Content-Type", "application/json", "Content-Length", "2097152"), false},
		{"commit without config", "/v1.41/commit?container=x", h("Content-Length", "0"), true},
		{"commit with a withheld config", "/v1.41/commit?container=x", h("Content-Type", "application/json", "Content-Length", "2097152"), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := g.Decide(context.Background(), authorization.Request{RequestMethod: "POST", RequestURI: tc.uri, RequestHeaders: tc.headers}).Response
			if r.Allow != tc.allow {
				t.Errorf("answer %+v, want allow=%v", r, tc.allow)
			}
			if !r.Allow && !strings.HasPrefix(r.Msg, "[DG-BODY-001]") {
				t.Errorf("denial %q, want DG-BODY-001", r.Msg)
			}
		})
	}
}

// TestServeProtocol speaks the plugin protocol to Serve over a unix socket,
// as dockerd does.
func TestServeProtocol(t *testing.T) {
	g := newTestGuard(t)
	sock := filepath.Join(t.TempDir(), "g.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go g.Serve(l)
	client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", sock)
	}}}
	call := func(path, body string) authorization.Response {
		t.Helper()
		resp, err := client.Post("http://p"+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var r authorization.Response
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s answered %d", path, resp.StatusCode)
		}
		if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	priv := `{"RequestMethod":"POST","RequestUri":"/v1.41/containers/create","RequestHeaders":{"Content-Type":"application/json"},"RequestBody":"` +
		base64.StdEncoding.EncodeToString([]byte(`{"HostConfig":{"Privileged":true}}`)) + `"}`
	cases := []struct {
		name, path, body string
		want             authorization.Response
	}{
		{"privileged create", "/AuthZPlugin.AuthZReq", priv, authorization.Response{Msg: "[DG-PRIV-001] privileged containers are not allowed (HostConfig.Privileged)"}},
		{"ping", "/AuthZPlugin.AuthZReq", `{"RequestMethod":"GET","RequestUri":"/_ping"}`, authorization.Response{Allow: true}},
		{"garbage request", "/AuthZPlugin.AuthZReq", `not json`, authorization.Response{Msg: malformed.ID}},
		{"empty retried request", "/AuthZPlugin.AuthZReq", ``, authorization.Response{Msg: malformed.ID}},
		{"response phase", "/AuthZPlugin.AuthZRes", `{"RequestMethod":"GET","RequestUri":"/_ping","ResponseStatusCode":200,"ResponseBody":"e30="}`, authorization.Response{Allow: true}},
		{"garbage response phase", "/AuthZPlugin.AuthZRes", `{`, authorization.Response{Msg: malformed.ID}},
	}
	t.Run("handshake", func(t *testing.T) {
		resp, err := client.Post("http://p/Plugin.Activate", "application/json", strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var a struct{ Implements []string }
		if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"authz"}, a.Implements); resp.StatusCode != http.StatusOK || diff != "" {
			t.Errorf("status %d, Implements (-want +got):\n%s", resp.StatusCode, diff)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/vnd.docker.plugins.v1.1+json" {
			t.Errorf("Content-Type %q, want dockerd's plugin media type", ct)
		}
	})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := call(tc.path, tc.body)
			if !got.Allow && strings.HasPrefix(got.Msg, "["+tc.want.Msg+"]") {
				got.Msg = tc.want.Msg // only the rule ID is asserted for malformed requests
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}
		})
	}
}
