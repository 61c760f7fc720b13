package engine

import (
	"github.com/open-policy-agent/opa/v1/ast"
)

// deterministic reports whether the modules call no non-deterministic
// built-in (time, randomness, network): only then does the same input
// always yield the same decision, and only then may decisions be cached.
func deterministic(modules map[string]string) (bool, error) {
	det := true
	for name, src := range modules {
		m, err := ast.ParseModuleWithOpts(name, src, ast.ParserOptions{RegoVersion: ast.RegoV1})
		if err != nil {
			return false, err
		}
		check := func(op ast.Ref) {
			if b, ok := ast.BuiltinMap[op.String()]; ok && volatile(b) {
				det = false
			}
		}
		ast.WalkTerms(m, func(t *ast.Term) bool {
			if call, ok := t.Value.(ast.Call); ok && len(call) > 0 {
				if ref, ok := call[0].Value.(ast.Ref); ok {
					check(ref)
				}
			}
			return !det
		})
		ast.WalkExprs(m, func(e *ast.Expr) bool {
			if e.IsCall() {
				check(e.Operator())
			}
			return !det
		})
	}
	return det, nil
}

// volatile reports whether a built-in's result may differ between two calls
// with the same arguments: the ones OPA marks non-deterministic (time,
// randomness, network, runtime), and certificate verification, which checks
// validity against the current time without being marked.
func volatile(b *ast.Builtin) bool {
	switch b.Name {
	case "crypto.x509.parse_and_verify_certificates", "crypto.x509.parse_and_verify_certificates_with_options":
		return true
	}
	return b.Nondeterministic
}
