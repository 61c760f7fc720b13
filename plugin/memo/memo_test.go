package memo

import "testing"

// A flood of distinct requests (every one new) keeps memory flat.
func TestFloodOfDistinctKeysStaysBounded(t *testing.T) {
	tb := New[int](4)
	for i := range 100 {
		tb.Put(Key{byte(i)}, i)
		if tb.Len() > 4 {
			t.Fatalf("table holds %d entries after %d puts, bound is 4", tb.Len(), i+1)
		}
	}
	if v, ok := tb.Get(Key{99}); !ok || v != 99 {
		t.Errorf("the newest entry is gone: got %d, %v", v, ok)
	}
}
