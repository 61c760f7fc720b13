package engine

import (
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
)

// decisionCache remembers decisions for inputs that are fully described by
// a short key (requests without a body: pings, lists, inspects — most of
// the traffic dockerd sends). It is bounded: when full it starts over,
// which keeps the hot keys cheap to re-learn and memory flat.
type decisionCache struct {
	mu  sync.RWMutex
	m   map[string]Decision
	max int
}

func newDecisionCache(max int) *decisionCache {
	return &decisionCache{m: make(map[string]Decision, max), max: max}
}

func (c *decisionCache) get(key string) (Decision, bool) {
	c.mu.RLock()
	d, ok := c.m[key]
	c.mu.RUnlock()
	return d, ok
}

func (c *decisionCache) put(key string, d Decision) {
	c.mu.Lock()
	if len(c.m) >= c.max {
		clear(c.m)
	}
	c.m[key] = d
	c.mu.Unlock()
}

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
