// Package astequal compares OPA values strictly, for tests of code that
// builds them by other means than OPA's own conversion: same types, same
// keys, numbers spelled alike (ast.Value.Compare holds 1 and 1.0 equal).
package astequal

import "github.com/open-policy-agent/opa/v1/ast"

// Strict reports whether a and b are the same value, spelled the same.
func Strict(a, b ast.Value) bool {
	switch x := a.(type) {
	case ast.Null, ast.Boolean, ast.String, ast.Number:
		return a == b
	case *ast.Array:
		y, ok := b.(*ast.Array)
		if !ok || x.Len() != y.Len() {
			return false
		}
		for i := range x.Len() {
			if !Strict(x.Elem(i).Value, y.Elem(i).Value) {
				return false
			}
		}
		return true
	case ast.Object:
		y, ok := b.(ast.Object)
		if !ok || x.Len() != y.Len() {
			return false
		}
		eq := true
		x.Foreach(func(k, v *ast.Term) {
			w := y.Get(k)
			if w == nil || !Strict(v.Value, w.Value) {
				eq = false
			}
		})
		return eq
	}
	return false
}
