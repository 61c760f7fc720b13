package decisionlog

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sirupsen/logrus"
)

// writes records each Write call, so tests see how lines were batched.
type writes struct {
	mu    sync.Mutex
	calls []string
	err   error // returned by every Write while set
}

func (w *writes) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return 0, w.err
	}
	w.calls = append(w.calls, string(p))
	return len(p), nil
}

// paths names each Write call by the paths of its lines: "a1 d1" is one
// write holding the lines for paths a1 and d1.
func (w *writes) paths(t *testing.T) []string {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, c := range w.calls {
		var names []string
		for line := range strings.Lines(c) {
			var v struct{ Path string }
			if err := json.Unmarshal([]byte(line), &v); err != nil {
				t.Fatalf("line %q: %v", line, err)
			}
			names = append(names, v.Path)
		}
		out = append(out, strings.Join(names, " "))
	}
	return out
}

// rec is an allowed record for a path starting with "a", a denial for one
// starting with "d".
func rec(path string) Record {
	if strings.HasPrefix(path, "d") {
		r := deniedCreate
		r.Path = path
		return r
	}
	r := allowedPing
	r.Path = path
	return r
}

func TestJSONBuffering(t *testing.T) {
	lineLen := len(appendLine(nil, rec("a1"), frozen))
	type step struct {
		do   string   // "log PATH", "flush" or "close"
		want []string // every write so far, by paths
	}
	cases := []struct {
		name  string
		opts  JSONOptions
		steps []step
	}{
		{"allowed lines wait for Flush, which writes them at once", JSONOptions{Filter: All}, []step{
			{"log a1", nil}, {"log a2", nil}, {"flush", []string{"a1 a2"}}, {"flush", []string{"a1 a2"}},
		}},
		{"a denial is written at once, after the allowed lines before it", JSONOptions{Filter: All}, []step{
			{"log a1", nil}, {"log d1", []string{"a1 d1"}}, {"log d2", []string{"a1 d1", "d2"}},
		}},
		{"Close writes what is buffered, and later lines at once", JSONOptions{Filter: All}, []step{
			{"log a1", nil}, {"close", []string{"a1"}}, {"log a2", []string{"a1", "a2"}}, {"close", []string{"a1", "a2"}},
		}},
		{"a full buffer is written without waiting", JSONOptions{Filter: All, BufferSize: lineLen + 1}, []step{
			{"log a1", nil}, {"log a2", []string{"a1 a2"}}, {"log a3", []string{"a1 a2"}},
		}},
		{"deny only: allowed lines are dropped", JSONOptions{Filter: DenialsOnly}, []step{
			{"log a1", nil}, {"flush", nil}, {"log d1", []string{"d1"}},
		}},
		{"level warn: allowed lines are dropped", JSONOptions{Filter: All.AtLevel(logrus.WarnLevel)}, []step{
			{"log a1", nil}, {"close", nil}, {"log d1", []string{"d1"}},
		}},
		{"level error: denials are dropped too", JSONOptions{Filter: All.AtLevel(logrus.ErrorLevel)}, []step{
			{"log a1", nil}, {"log d1", nil}, {"close", nil},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var w writes
			tc.opts.Now = func() time.Time { return frozen }
			tc.opts.FlushEvery = time.Hour
			s := NewJSON(&w, tc.opts)
			for i, st := range tc.steps {
				switch op, path, _ := strings.Cut(st.do, " "); op {
				case "log":
					s.Log(rec(path))
				case "flush":
					s.Flush()
				case "close":
					s.Close()
				}
				if diff := cmp.Diff(st.want, w.paths(t)); diff != "" {
					t.Fatalf("after step %d (%s), writes (-want +got):\n%s", i, st.do, diff)
				}
			}
		})
	}
}

func TestJSONFlushesAfterInterval(t *testing.T) {
	var w writes
	s := NewJSON(&w, JSONOptions{Filter: All, FlushEvery: 5 * time.Millisecond})
	defer s.Close()
	waitFor := func(want []string) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			got := w.paths(t)
			if cmp.Equal(want, got) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("writes (-want +got):\n%s", cmp.Diff(want, got))
			}
			time.Sleep(time.Millisecond)
		}
	}
	s.Log(rec("a1"))
	waitFor([]string{"a1"})
	// The timer is armed again by the next line after a flush.
	s.Log(rec("a2"))
	waitFor([]string{"a1", "a2"})
}

func TestJSONWriteErrors(t *testing.T) {
	w := writes{err: errors.New("disk full")}
	var reported []string
	s := NewJSON(&w, JSONOptions{Filter: All, FlushEvery: time.Hour, OnError: func(err error) { reported = append(reported, err.Error()) }})
	s.Log(rec("d1"))
	s.Log(rec("a1"))
	if err := s.Flush(); err == nil {
		t.Error("Flush of a failing writer returned no error")
	}
	s.Log(rec("d2"))
	if diff := cmp.Diff([]string{"disk full"}, reported); diff != "" {
		t.Errorf("reported errors (-want +got):\n%s", diff)
	}
	// Lines of failed writes are dropped; the sink goes on writing.
	w.mu.Lock()
	w.err = nil
	w.mu.Unlock()
	s.Log(rec("d3"))
	if diff := cmp.Diff([]string{"d3"}, w.paths(t)); diff != "" {
		t.Errorf("writes after the writer recovered (-want +got):\n%s", diff)
	}
}

// TestJSONConcurrent logs from many goroutines while the timer and a small
// buffer flush (run with -race): every line arrives whole, once, and in
// each goroutine's order.
func TestJSONConcurrent(t *testing.T) {
	var w writes
	s := NewJSON(&w, JSONOptions{Filter: All, FlushEvery: time.Millisecond, BufferSize: 2048})
	const goroutines, lines = 8, 300
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range lines {
				kind := "a"
				if i%7 == 0 {
					kind = "d"
				}
				s.Log(rec(fmt.Sprintf("%s %d %d", kind, g, i)))
				if i%50 == 0 {
					s.Flush()
				}
			}
		})
	}
	wg.Wait()
	s.Close()
	next := make([]int, goroutines)
	for _, call := range w.paths(t) {
		f := strings.Fields(call)
		for j := 0; j < len(f); j += 3 {
			var g, i int
			fmt.Sscan(f[j+1]+" "+f[j+2], &g, &i)
			if i != next[g] {
				t.Fatalf("goroutine %d: line %d after line %d", g, i, next[g]-1)
			}
			next[g]++
		}
	}
	for g, n := range next {
		if n != lines {
			t.Errorf("goroutine %d: %d lines written, want %d", g, n, lines)
		}
	}
}
