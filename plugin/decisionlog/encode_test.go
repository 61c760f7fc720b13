package decisionlog

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sirupsen/logrus"
)

// frozen has a fraction of a second (RFC 3339 drops it) and an offset
// that is neither whole hours nor positive.
var frozen = time.Date(2024, 3, 9, 17, 4, 5, 987654321, time.FixedZone("", -(3*3600+30*60)))

// stamp freezes logrus's clock: hooks run after logrus stamps the entry
// and before it is formatted.
type stamp time.Time

func (stamp) Levels() []logrus.Level       { return logrus.AllLevels }
func (s stamp) Fire(e *logrus.Entry) error { e.Time = time.Time(s); return nil }

// logrusOutput is what the logrus sink writes through logrus's
// JSONFormatter, as `dood-guard serve` did before the JSON sink, for a
// logger at level with decisions filtered by f.
func logrusOutput(level logrus.Level, f Filter, at time.Time, rs ...Record) string {
	var out bytes.Buffer
	log := logrus.New()
	log.SetOutput(&out)
	log.SetFormatter(&logrus.JSONFormatter{})
	log.SetLevel(level)
	log.AddHook(stamp(at))
	s := NewLogrus(log, f)
	for _, r := range rs {
		s.Log(r)
	}
	return out.String()
}

func jsonOutput(f Filter, at time.Time, rs ...Record) string {
	var out bytes.Buffer
	s := NewJSON(&out, JSONOptions{Filter: f, Now: func() time.Time { return at }, FlushEvery: time.Hour})
	for _, r := range rs {
		s.Log(r)
	}
	s.Close()
	return out.String()
}

var (
	allowedPing  = Record{Phase: "request", Method: "HEAD", Path: "/_ping", Endpoint: "system.ping", APIVersion: "1.41", EvalMicros: 1}
	deniedCreate = Record{Phase: "request", Method: "POST", Path: "/containers/create", Endpoint: "container.create", APIVersion: "1.41",
		User: "ci-runner", AuthMethod: "TLS", EvalMicros: 187, Denied: true, RuleIDs: []string{"DG-PRIV-001", "DG-BIND-002"}}
)

func TestJSONMatchesLogrus(t *testing.T) {
	with := func(r Record, edit func(*Record)) Record { edit(&r); return r }
	cases := []struct {
		name string
		rec  Record
		at   time.Time
	}{
		{"allowed ping", allowedPing, frozen},
		{"denied create with two rule IDs", deniedCreate, frozen},
		{"denial without rule IDs is null", with(deniedCreate, func(r *Record) { r.RuleIDs = nil }), frozen},
		{"denial with an empty rule ID list is []", with(deniedCreate, func(r *Record) { r.RuleIDs = []string{} }), frozen},
		{"allowed line leaves out rule IDs", with(allowedPing, func(r *Record) { r.RuleIDs = []string{"DG-X"} }), frozen},
		{"malformed response phase: empty fields", Record{Phase: "response", Denied: true, RuleIDs: []string{"DG-REQ-001"}}, frozen},
		{"HTML characters are escaped", with(allowedPing, func(r *Record) { r.Path = "/a<b>&c/</script>" }), frozen},
		{"quotes and backslashes", with(deniedCreate, func(r *Record) { r.User = `CN="x\y"`; r.RuleIDs = []string{`"`, `\`} }), frozen},
		{"control characters", with(allowedPing, func(r *Record) { r.Path = "\x00\x01\b\t\n\v\f\r\x1b\x1f\x7f" }), frozen},
		{"invalid UTF-8", with(deniedCreate, func(r *Record) {
			r.Path = "/a\xffb\xe2\x80c\xed\xa0\x80\xc0\xaf"
			r.RuleIDs = []string{"\x80"}
		}), frozen},
		{"line and paragraph separators", with(allowedPing, func(r *Record) { r.Endpoint = "a\u2028b\u2029c" }), frozen},
		{"valid non-ASCII is copied", with(allowedPing, func(r *Record) { r.User = "Jörg \ufffd 日本 🐳" }), frozen},
		{"negative and large eval times", with(allowedPing, func(r *Record) { r.EvalMicros = -9223372036854775808 }), frozen},
		{"UTC is Z", allowedPing, frozen.UTC()},
		{"dry-run: allowed, would deny, enforcement", with(allowedPing, func(r *Record) {
			r.WouldDeny = []string{"DG-PRIV-001", "DG-MNT-001"}
			r.Enforcement = "dryrun"
		}), frozen},
		{"wholly dry-run guard: enforcement on an ordinary line", with(allowedPing, func(r *Record) { r.Enforcement = "dryrun" }), frozen},
		{"denied with rules in dry-run beside it", with(deniedCreate, func(r *Record) { r.WouldDeny = []string{"DG-MNT-001"} }), frozen},
		{"would deny escapes like rule IDs", with(allowedPing, func(r *Record) {
			r.WouldDeny = []string{"<x>", "\xff"}
			r.Enforcement = "dry\"run"
		}), frozen},
		{"local time as time.Now gives it", deniedCreate, time.Now()},
		{"positive offset", allowedPing, frozen.In(time.FixedZone("IST", 5*3600+30*60))},
		{"zero time", allowedPing, time.Time{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := logrusOutput(logrus.InfoLevel, All, tc.at, tc.rec)
			if diff := cmp.Diff(want, jsonOutput(All, tc.at, tc.rec)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestJSONFiltersAsLogrusDid: --log-decisions and --log-level drop the
// lines the logrus logger (at that level, with allowed lines switched off
// for "deny") dropped.
func TestJSONFiltersAsLogrusDid(t *testing.T) {
	for _, decisions := range []struct {
		name   string
		filter Filter
	}{{"all", All}, {"deny", DenialsOnly}} {
		for _, level := range []logrus.Level{logrus.DebugLevel, logrus.InfoLevel, logrus.WarnLevel, logrus.ErrorLevel} {
			t.Run(decisions.name+"/"+level.String(), func(t *testing.T) {
				want := logrusOutput(level, decisions.filter, frozen, allowedPing, deniedCreate)
				got := jsonOutput(decisions.filter.AtLevel(level), frozen, allowedPing, deniedCreate)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("(-want +got):\n%s", diff)
				}
			})
		}
	}
}

func FuzzJSONMatchesLogrus(f *testing.F) {
	f.Add("request", "GET", "/_ping", "system.ping", "1.41", "", "", "", int64(3), false)
	f.Add("response", "POST", "/a<b>&\"c\\", "x\u2028y\u2029", "\xff\xfe", "CN=\x00\x1f\x7f", "TLS", "DG-1,DG-2", int64(-1), true)
	f.Add("\t\n\r\b\f", "\xe2\x80", "\xed\xa0\x80", "\ufffd", "</script>", "日本", "🐳", ",,", int64(1)<<62, true)
	f.Fuzz(func(t *testing.T, phase, method, path, endpoint, apiVersion, user, authMethod, ruleIDs string, eval int64, denied bool) {
		r := Record{Phase: phase, Method: method, Path: path, Endpoint: endpoint, APIVersion: apiVersion,
			User: user, AuthMethod: authMethod, EvalMicros: eval, Denied: denied}
		if ruleIDs != "" {
			r.RuleIDs = strings.Split(ruleIDs, ",")
		}
		want := logrusOutput(logrus.InfoLevel, All, frozen, r)
		if diff := cmp.Diff(want, jsonOutput(All, frozen, r)); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
}
