package jsonterm

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
)

type hostish struct {
	Binds      []string
	Privileged bool
	Labels     map[string]string
}

// TestSharedValuesAreTheirTextsValues: a text seen twice is shared from
// then on (the same value for every document), equal to the one built;
// another text is never handed a value shared for a different one; a full
// table starts again.
func TestSharedValuesAreTheirTextsValues(t *testing.T) {
	encode := func(v any) *ast.Term {
		t.Helper()
		b := Get()
		defer b.Release()
		got, err := b.Encode(v)
		if err != nil {
			t.Fatal(err)
		}
		if want := reference(t, v); want.Compare(got.Value) != 0 {
			t.Fatalf("Encode(%+v):\n got %v\nwant %v", v, got, want)
		}
		return got
	}
	v := hostish{Binds: []string{"/srv/ci/workspace:/workspace"}, Labels: map[string]string{"a": "b"}}
	first, second, third := encode(v), encode(v), encode(v)
	if first == second {
		t.Error("a text seen once was shared")
	}
	if second != third {
		t.Error("a text seen twice is not shared")
	}
	other := v
	other.Privileged = true
	if o := encode(other); o == third {
		t.Error("another text was handed the shared value")
	}

	shared.mu.Lock()
	for i := len(shared.values); i < maxSharedValues; i++ {
		shared.values[uint64(i)<<32|1] = sharedValue{text: fmt.Sprint(i)}
	}
	shared.mu.Unlock()
	w := hostish{Binds: []string{"/a:/b"}}
	encode(w)
	encode(w) // shared: the full table is emptied first
	shared.mu.RLock()
	n := len(shared.values)
	shared.mu.RUnlock()
	if n != 1 {
		t.Errorf("%d values shared after the table filled up, want the new one alone", n)
	}
	if a, b := encode(w), encode(w); a != b {
		t.Error("not shared after the table started again")
	}
}

// TestSharedChildrenInNewTexts: in a text never seen as a whole, an
// object or array seen before is shared, brackets and escaped quotes in
// its strings notwithstanding.
func TestSharedChildrenInNewTexts(t *testing.T) {
	labels := map[string]string{"x}": `"]{[\`, "a": "b\u2028"}
	var got []*ast.Term
	for i := range 3 {
		v := hostish{Binds: []string{fmt.Sprintf("/srv/ci/job%d:/w", i)}, Labels: labels}
		b := Get()
		term, err := b.Encode(v)
		b.Release()
		if err != nil {
			t.Fatal(err)
		}
		if want := reference(t, v); want.Compare(term.Value) != 0 {
			t.Fatalf("Encode(%+v):\n got %v\nwant %v", v, term, want)
		}
		got = append(got, term.Value.(ast.Object).Get(ast.StringTerm("Labels")))
	}
	if got[0] == got[1] || got[1] != got[2] {
		t.Errorf("labels of three texts: %p %p %p, want the last two shared", got[0], got[1], got[2])
	}
}

// TestPrivateBuildersShareNothing: a body with secrets (Private) is never
// kept among the shared values, however often it is sent.
func TestPrivateBuildersShareNothing(t *testing.T) {
	v := map[string]any{"RemoteAddrs": []string{"10.0.0.1:2377"}, "JoinToken": "SWMTKN-1-secret"}
	var got []*ast.Term
	for range 3 {
		b := Get()
		b.Private()
		term, err := b.Encode(v)
		b.Release()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, term)
	}
	if got[1] == got[2] {
		t.Error("a private body's value was shared")
	}
	shared.mu.RLock()
	defer shared.mu.RUnlock()
	for _, sv := range shared.values {
		if strings.Contains(sv.text, "SWMTKN") {
			t.Errorf("a private body's text is kept: %s", sv.text)
		}
	}
	// The builder is an ordinary one again once released.
	b := Get()
	defer b.Release()
	if b.alone {
		t.Error("a released private builder came back private")
	}
}

// TestSharedValuesAreSortedBeforeShared: OPA sorts an object's keys lazily
// in place, and Copy reads them without its lock; a shared value is sorted
// before it is handed out, so evaluations copying and iterating it at once
// only read it (run with -race).
func TestSharedValuesAreSortedBeforeShared(t *testing.T) {
	v := hostish{Binds: []string{"/srv/sorted:/s"}, Labels: map[string]string{"z": "1", "a": "2", "m": "3"}}
	var term *ast.Term
	for range 2 {
		b := Get()
		var err error
		term, err = b.Encode(v)
		b.Release()
		if err != nil {
			t.Fatal(err)
		}
	}
	want := reference(t, v)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%2 == 0 {
				if c := term.Value.(ast.Object).Copy(); c.Compare(want) != 0 {
					t.Errorf("copy %v, want %v", c, want)
				}
				return
			}
			if term.Value.Compare(want) != 0 {
				t.Errorf("%v, want %v", term, want)
			}
		}()
	}
	wg.Wait()
}
