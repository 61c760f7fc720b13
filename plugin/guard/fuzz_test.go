package guard

import (
	"context"
	"strings"
	"testing"

	"github.com/docker/go-plugins-helpers/authorization"
)

// FuzzDecide throws hostile AuthZ requests at the whole pipeline. It must
// never panic, never answer with Err, and every denial must carry a rule ID.
func FuzzDecide(f *testing.F) {
	f.Add("POST", "/v1.41/containers/create", "application/json", []byte(`{"HostConfig":{"Privileged":true}}`))
	f.Add("POST", "/v1.23/containers/x/start", "application/json; charset=utf-8", []byte(`{"Binds":["/:/h"]}`))
	f.Add("GET", "http://d/v01.41/containers/%2e%2e/json?all=1&all=0", "", []byte(nil))
	f.Add("POST", "/volumes/create", "application/json", []byte(`{"DriverOpts":{"o":"bind","device":"/"}}`))
	f.Add("POST", "/build?networkmode=host", "application/x-www-form-urlencoded", []byte("a=b"))
	f.Add("PUT", "/containers/x/archive?path=/", "application/x-tar", []byte{0, 1})
	g := newTestGuard(f)
	f.Fuzz(func(t *testing.T, method, uri, ct string, body []byte) {
		req := authorization.Request{RequestMethod: method, RequestURI: uri, RequestHeaders: map[string]string{"Content-Type": ct}, RequestBody: body}
		r := g.Decide(context.Background(), req).Response
		if r.Err != "" {
			t.Fatalf("answer has Err: %+v", r)
		}
		if !r.Allow && !strings.HasPrefix(r.Msg, "[DG-") {
			t.Fatalf("denial without a rule ID: %q", r.Msg)
		}
	})
}
