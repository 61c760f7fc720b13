package route

import (
	"fmt"
	"strings"
)

// A template compiles to literals and variables. mux turns a template into
// an anchored regexp: literals quoted, "{name}" as ([^/]+), "{name:re}" as
// (re). dockerd only uses ".*", ".+" and the default, all greedy, so a
// backtracking match that tries the longest span first gives the same
// leftmost-first result as Go's regexp, without running one per request.
type varKind uint8

const (
	varSegment varKind = iota // mux's default [^/]+, which does match a newline
	varAny                    // .* ("." never matches a newline)
	varSome                   // .+
)

type part struct {
	lit  string // literal text; "" for a variable
	name string // variable name; "" for a literal
	kind varKind
}

// maxVars bounds the variables of one template (checkpoint delete has two).
const maxVars = 2

type compiled struct {
	route *Route
	parts []part
	// key is the first path segment when the template spells it out
	// literally; "" when a variable can start the path ("/{anyroute:.*}").
	key string
}

// table is compiled once; byMethod indexes it per method and first path
// segment, keeping registration order, so that a request only tries the few
// routes that could match it.
var (
	table        []compiled
	byMethod     map[string]*methodIndex
	otherMethods *methodIndex // methods no route names: only AnyMethod routes
)

type methodIndex struct {
	byKey map[string][]int // first segment -> table indexes, ascending
	other []int            // unkeyed routes alone, for any other first segment
}

func init() {
	table = make([]compiled, len(routes))
	for i := range routes {
		c, err := compile(&routes[i])
		if err != nil {
			panic(err)
		}
		table[i] = c
	}
	byMethod = map[string]*methodIndex{}
	for _, r := range routes {
		if r.Method != AnyMethod && byMethod[r.Method] == nil {
			byMethod[r.Method] = newMethodIndex(r.Method)
		}
	}
	otherMethods = newMethodIndex("")
}

// newMethodIndex lists, per first segment, every route a request with this
// method could match: the routes keyed on that segment plus the unkeyed
// ones, in registration order.
func newMethodIndex(method string) *methodIndex {
	idx := &methodIndex{byKey: map[string][]int{}}
	applies := func(c compiled) bool {
		return c.route.Method == method || c.route.Method == AnyMethod
	}
	for _, c := range table {
		if applies(c) && c.key != "" {
			idx.byKey[c.key] = nil
		}
	}
	for i, c := range table {
		if !applies(c) {
			continue
		}
		if c.key == "" {
			idx.other = append(idx.other, i)
		}
		for k := range idx.byKey {
			if c.key == "" || c.key == k {
				idx.byKey[k] = append(idx.byKey[k], i)
			}
		}
	}
	return idx
}

func (idx *methodIndex) candidates(p string) []int {
	if l, ok := idx.byKey[firstSegment(p)]; ok {
		return l
	}
	return idx.other
}

// firstSegment returns "containers" for "/containers/x/json".
func firstSegment(p string) string {
	p = p[1:]
	if i := strings.IndexByte(p, '/'); i >= 0 {
		return p[:i]
	}
	return p
}

func compile(r *Route) (compiled, error) {
	c := compiled{route: r}
	t := r.Template
	if !strings.HasPrefix(t, "/") {
		return c, fmt.Errorf("route: template %q does not start with /", t)
	}
	nvars := 0
	for t != "" {
		open := strings.IndexByte(t, '{')
		if open < 0 {
			c.parts = append(c.parts, part{lit: t})
			break
		}
		if open > 0 {
			c.parts = append(c.parts, part{lit: t[:open]})
		} else {
			// mux would accept it; the matcher assumes a literal between
			// variables, which every dockerd template has.
			return c, fmt.Errorf("route: adjacent variables in %q", r.Template)
		}
		end := strings.IndexByte(t, '}')
		if end < open || strings.IndexByte(t[open+1:end], '{') >= 0 {
			return c, fmt.Errorf("route: bad braces in %q", r.Template)
		}
		name, pattern, hasPattern := strings.Cut(t[open+1:end], ":")
		v := part{name: name}
		switch {
		case name == "":
			return c, fmt.Errorf("route: empty variable name in %q", r.Template)
		case !hasPattern:
			v.kind = varSegment
		case pattern == ".*":
			v.kind = varAny
		case pattern == ".+":
			v.kind = varSome
		default:
			return c, fmt.Errorf("route: unsupported pattern %q in %q", pattern, r.Template)
		}
		if nvars++; nvars > maxVars {
			return c, fmt.Errorf("route: too many variables in %q", r.Template)
		}
		c.parts = append(c.parts, v)
		t = t[end+1:]
	}
	// The first segment is a usable key only when the leading literal
	// covers it up to its "/" or the template is that literal alone.
	if lit := c.parts[0].lit[1:]; strings.Contains(lit, "/") || len(c.parts) == 1 {
		c.key, _, _ = strings.Cut(lit, "/")
	}
	return c, nil
}

// lookup returns the first route, in registration order, whose method and
// template match. dockerd registers each route twice, its "/v{version}" form
// first, so route n's versioned form (tried on rest) beats its bare form
// (tried on full), and both beat route n+1.
func lookup(method, full, rest string, versioned bool) (*compiled, map[string]string, bool) {
	idx := byMethod[method]
	if idx == nil {
		idx = otherMethods
	}
	var vcaps, bcaps [maxVars]string
	nv := len(table)
	if versioned {
		nv = first(idx.candidates(rest), rest, nv, &vcaps)
	}
	nb := first(idx.candidates(full), full, nv, &bcaps)
	switch {
	case nb < nv:
		return &table[nb], table[nb].vars(&bcaps), false
	case nv < len(table):
		return &table[nv], table[nv].vars(&vcaps), true
	}
	return nil, nil, false
}

// first returns the first index in cands below limit whose template matches
// s, or limit.
func first(cands []int, s string, limit int, caps *[maxVars]string) int {
	for _, n := range cands {
		if n >= limit {
			break
		}
		if table[n].match(s, caps) {
			return n
		}
	}
	return limit
}

func (c *compiled) match(s string, caps *[maxVars]string) bool {
	return matchParts(c.parts, s, caps[:0])
}

// matchParts matches s against parts, appending variable values to caps.
// Each variable first takes the longest span its class allows and gives
// back one byte at a time, which is how the regexp's greedy quantifiers
// resolve. Byte steps are safe: the classes exclude only ASCII bytes and
// every literal starts with "/", so a split inside a UTF-8 sequence never
// leads to a match.
func matchParts(parts []part, s string, caps []string) bool {
	for len(parts) > 0 && parts[0].name == "" {
		if !strings.HasPrefix(s, parts[0].lit) {
			return false
		}
		s = s[len(parts[0].lit):]
		parts = parts[1:]
	}
	if len(parts) == 0 {
		return s == ""
	}
	v, next := parts[0], parts[1:]
	stop := byte('\n')
	if v.kind == varSegment {
		stop = '/'
	}
	n := strings.IndexByte(s, stop)
	if n < 0 {
		n = len(s)
	}
	least := 0
	if v.kind != varAny {
		least = 1
	}
	for ; n >= least; n-- {
		if len(next) > 0 && !strings.HasPrefix(s[n:], next[0].lit) {
			continue
		}
		if matchParts(next, s[n:], append(caps, s[:n])) {
			return true
		}
	}
	return false
}

// vars turns the captured values into the Params map.
func (c *compiled) vars(caps *[maxVars]string) map[string]string {
	var m map[string]string
	i := 0
	for _, p := range c.parts {
		if p.name == "" {
			continue
		}
		if m == nil {
			m = make(map[string]string, maxVars)
		}
		m[p.name] = caps[i]
		i++
	}
	return m
}
