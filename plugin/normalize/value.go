package normalize

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/dood-guard/dood-guard/plugin/decode"
	"github.com/dood-guard/dood-guard/plugin/input"
	"github.com/moby/moby/api/types/checkpoint"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/api/types/plugin"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/api/types/volume"
	"github.com/open-policy-agent/opa/v1/ast"
)

// canonical builds the body as the policy sees it, and the facts derived
// from it. The body is an OPA value: typed structs are encoded once by
// encoding/json (which is what makes their field names canonical, whatever
// spelling the client used) and that text is read straight into OPA terms,
// with no map[string]any in between.
func canonical(req Request, body any, opts Options) (ast.Value, *input.Facts, error) {
	b := builderPool.Get().(*builder)
	defer b.release()
	switch v := body.(type) {
	case *decode.ContainerCreate:
		// Config's fields at the top level, then the effective HostConfig and
		// the NetworkingConfig (replacing any same-named Config key).
		hc, err := b.encode(v.HostConfig)
		if err != nil {
			return nil, nil, err
		}
		nc, err := b.encode(v.NetworkingConfig)
		if err != nil {
			return nil, nil, err
		}
		obj, err := b.encodeObject(v.Config, ast.Item(keyTerm("HostConfig"), hc), ast.Item(keyTerm("NetworkingConfig"), nc))
		if err != nil {
			return nil, nil, err
		}
		facts, err := containerFacts(v.HostConfig, req.APIVersion, opts)
		if facts != nil && v.Config != nil {
			facts.User = userFact(v.Config.User, "User")
		}
		addNewerContainerFacts(facts, v.HostConfig, v.NetworkingConfig, req)
		return obj, facts, err
	case *decode.ContainerStart:
		hc, err := b.encode(v.HostConfig)
		if err != nil {
			return nil, nil, err
		}
		facts, err := containerFacts(v.HostConfig, req.APIVersion, opts)
		addNewerContainerFacts(facts, v.HostConfig, nil, req)
		return ast.NewObject(ast.Item(keyTerm("HostConfig"), hc)), facts, err
	}
	t, err := b.encode(body)
	if err != nil {
		return nil, nil, err
	}
	v := t.Value
	if obj, ok := v.(ast.Object); ok {
		if drop := redacted(req.Endpoint); drop != nil {
			v = without(obj, drop)
		}
	}
	facts, err := endpointFacts(req.Endpoint, body, opts)
	return v, facts, err
}

func without(obj ast.Object, drop func(string) bool) ast.Object {
	keep := make([][2]*ast.Term, 0, obj.Len())
	obj.Foreach(func(k, v *ast.Term) {
		if s, ok := k.Value.(ast.String); ok && drop(string(s)) {
			return
		}
		keep = append(keep, ast.Item(k, v))
	})
	return ast.NewObject(keep...)
}

// encodeObject encodes v, which must encode as an object (an empty one if it
// does not), with extra keys set on it, replacing keys it already has.
func (b *builder) encodeObject(v any, extra ...[2]*ast.Term) (ast.Value, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("re-encode body: %w", err)
	}
	p := reader{b: b, s: string(raw)}
	p.skipSpace()
	if p.i < len(p.s) && p.s[p.i] == '{' {
		t, err := p.object(extra)
		if err == nil {
			p.skipSpace()
			if p.i == len(p.s) {
				return t.Value, nil
			}
			err = errSlowPath
		}
		if !errors.Is(err, errSlowPath) {
			return nil, fmt.Errorf("re-decode body: %w", err)
		}
	}
	// Not an object, or not for the fast reader: as Input used to build it.
	nv, err := toValue(v)
	if err != nil {
		return nil, err
	}
	m, ok := nv.(map[string]any)
	if !ok {
		m = map[string]any{}
	}
	av, err := ast.InterfaceToValue(m)
	if err != nil {
		return nil, fmt.Errorf("convert input: %w", err)
	}
	obj := av.(ast.Object)
	items := make([][2]*ast.Term, 0, obj.Len()+len(extra))
	obj.Foreach(func(k, v *ast.Term) {
		if !hasKey(extra, k) {
			items = append(items, ast.Item(k, v))
		}
	})
	return ast.NewObject(append(items, extra...)...), nil
}

func hasKey(items [][2]*ast.Term, k *ast.Term) bool {
	for _, it := range items {
		if it[0].Equal(k) {
			return true
		}
	}
	return false
}

// builder makes terms for one input document. Terms are carved from slabs
// rather than allocated one by one; scratch stacks are reused through a
// pool (the terms themselves are never reused: they belong to the value).
type builder struct {
	slab  []ast.Term
	items [][2]*ast.Term
	elems []*ast.Term
	seen  []uint64
}

var builderPool = sync.Pool{New: func() any { return new(builder) }}

func (b *builder) release() {
	b.slab = nil // owned by the value now
	clear(b.items)
	clear(b.elems)
	b.items, b.elems = b.items[:0], b.elems[:0]
	builderPool.Put(b)
}

func (b *builder) term(v ast.Value) *ast.Term {
	if len(b.slab) == 0 {
		b.slab = make([]ast.Term, 64)
	}
	t := &b.slab[0]
	b.slab = b.slab[1:]
	t.Value = v
	return t
}

func (b *builder) str(s string) *ast.Term {
	if s == "" {
		return ast.InternedEmptyString
	}
	return b.term(ast.String(s))
}

func (b *builder) key(s string) *ast.Term {
	if t, ok := keyTerms[s]; ok {
		return t
	}
	return b.term(ast.String(s))
}

// encode is toValue as an OPA value: encoding/json writes the canonical
// text, which is read into terms without an intermediate map. Should the
// text hold anything the fast reader does not take (a duplicate key from a
// custom marshaller), the value is built the slow way, as Input builds it.
func (b *builder) encode(v any) (*ast.Term, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("re-encode body: %w", err)
	}
	p := reader{b: b, s: string(raw)}
	t, err := p.value()
	if err == nil {
		p.skipSpace()
		if p.i != len(p.s) {
			err = errSlowPath
		}
	}
	if err == nil {
		return t, nil
	}
	if !errors.Is(err, errSlowPath) {
		return nil, fmt.Errorf("re-decode body: %w", err)
	}
	nv, err := toValue(v)
	if err != nil {
		return nil, err
	}
	av, err := ast.InterfaceToValue(nv)
	if err != nil {
		return nil, fmt.Errorf("convert input: %w", err)
	}
	return ast.NewTerm(av), nil
}

// errSlowPath sends a value to the map-based conversion.
var errSlowPath = errors.New("not on the fast path")

// reader reads JSON text written by encoding/json into OPA terms. Strings
// and keys are slices of one string (no copy each); escaped strings are
// unquoted by encoding/json itself. It is strict: anything unexpected is
// errSlowPath, so the slow path decides.
type reader struct {
	b *builder
	s string
	i int
}

func (p *reader) skipSpace() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *reader) value() (*ast.Term, error) {
	p.skipSpace()
	if p.i >= len(p.s) {
		return nil, errSlowPath
	}
	switch c := p.s[p.i]; {
	case c == '{':
		return p.object(nil)
	case c == '[':
		return p.array()
	case c == '"':
		s, err := p.string()
		if err != nil {
			return nil, err
		}
		return p.b.str(s), nil
	case c == 't':
		return p.literal("true", ast.InternedTerm(true))
	case c == 'f':
		return p.literal("false", ast.InternedTerm(false))
	case c == 'n':
		return p.literal("null", ast.InternedNullTerm)
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	}
	return nil, errSlowPath
}

func (p *reader) literal(word string, t *ast.Term) (*ast.Term, error) {
	if !strings.HasPrefix(p.s[p.i:], word) {
		return nil, errSlowPath
	}
	p.i += len(word)
	return t, nil
}

func (p *reader) number() (*ast.Term, error) {
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		if (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' {
			p.i++
			continue
		}
		break
	}
	tok := p.s[start:p.i]
	if !json.Valid([]byte(tok)) {
		return nil, errSlowPath
	}
	// As ast.InterfaceToValue converts a json.Number.
	if t := ast.InternedIntNumberTermFromString(tok); t != nil {
		return t, nil
	}
	n, err := ast.NumberChecked(tok)
	if err != nil {
		return nil, err
	}
	return p.b.term(n), nil
}

// string reads a quoted string. Without escapes it is a slice of the text;
// with any, encoding/json unquotes it.
func (p *reader) string() (string, error) {
	start := p.i
	p.i++
	plain, ascii := true, true
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			if plain && (ascii || utf8.ValidString(p.s[start+1:p.i-1])) {
				return p.s[start+1 : p.i-1], nil
			}
			var out string
			if err := json.Unmarshal([]byte(p.s[start:p.i]), &out); err != nil {
				return "", errSlowPath
			}
			return out, nil
		case c == '\\':
			plain = false
			p.i += 2
			continue
		case c < 0x20:
			return "", errSlowPath
		case c >= 0x80:
			ascii = false
		}
		p.i++
	}
	return "", errSlowPath
}

func (p *reader) array() (*ast.Term, error) {
	p.i++
	start := len(p.b.elems)
	p.skipSpace()
	if p.i < len(p.s) && p.s[p.i] == ']' {
		p.i++
		return p.b.term(ast.NewArray()), nil
	}
	for {
		t, err := p.value()
		if err != nil {
			return nil, err
		}
		p.b.elems = append(p.b.elems, t)
		p.skipSpace()
		if p.i >= len(p.s) {
			return nil, errSlowPath
		}
		c := p.s[p.i]
		p.i++
		if c == ']' {
			break
		}
		if c != ',' {
			return nil, errSlowPath
		}
	}
	elems := make([]*ast.Term, len(p.b.elems)-start)
	copy(elems, p.b.elems[start:])
	clear(p.b.elems[start:])
	p.b.elems = p.b.elems[:start]
	return p.b.term(ast.NewArray(elems...)), nil
}

// object reads an object; extra pairs are set on it, replacing read keys.
func (p *reader) object(extra [][2]*ast.Term) (*ast.Term, error) {
	p.i++
	start := len(p.b.items)
	p.skipSpace()
	if p.i < len(p.s) && p.s[p.i] == '}' {
		p.i++
		return p.b.term(ast.NewObject(extra...)), nil
	}
	for {
		p.skipSpace()
		if p.i >= len(p.s) || p.s[p.i] != '"' {
			return nil, errSlowPath
		}
		k, err := p.string()
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return nil, errSlowPath
		}
		p.i++
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		p.b.items = append(p.b.items, ast.Item(p.b.key(k), v))
		p.skipSpace()
		if p.i >= len(p.s) {
			return nil, errSlowPath
		}
		c := p.s[p.i]
		p.i++
		if c == '}' {
			break
		}
		if c != ',' {
			return nil, errSlowPath
		}
	}
	if len(extra) > 0 {
		// Keys set afterwards replace the ones read.
		kept := p.b.items[:start]
		for _, it := range p.b.items[start:] {
			if !hasKey(extra, it[0]) {
				kept = append(kept, it)
			}
		}
		p.b.items = append(kept, extra...)
	}
	items := p.b.items[start:]
	if p.b.duplicates(items) {
		return nil, errSlowPath
	}
	obj := ast.NewObject(items...) // copies the pairs
	clear(items)
	p.b.items = p.b.items[:start]
	return p.b.term(obj), nil
}

// duplicates reports whether two items share a key. encoding/json never
// writes one for the types decoded here, but a custom marshaller could, and
// a map keeps the last while an OPA object built from pairs would keep both.
func (b *builder) duplicates(items [][2]*ast.Term) bool {
	n := len(items)
	if n < 2 {
		return false
	}
	if n <= 8 {
		for i := 1; i < n; i++ {
			for j := 0; j < i; j++ {
				if items[i][0].Value.(ast.String) == items[j][0].Value.(ast.String) {
					return true
				}
			}
		}
		return false
	}
	size := 16
	for size < 2*n {
		size <<= 1
	}
	if cap(b.seen) < size {
		b.seen = make([]uint64, size)
	}
	seen := b.seen[:size]
	clear(seen)
	mask := uint64(size - 1)
	for i, it := range items {
		h := fnv(string(it[0].Value.(ast.String))) | 1 // 0 marks an empty slot
		for j := h & mask; ; j = (j + 1) & mask {
			if seen[j] == 0 {
				seen[j] = h
				break
			}
			if seen[j] == h {
				// Same hash: compare the keys themselves.
				for _, prev := range items[:i] {
					if prev[0].Value.(ast.String) == it[0].Value.(ast.String) {
						return true
					}
				}
			}
		}
	}
	return false
}

func fnv(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// keyTerms holds one shared term for every key a document can have from
// the typed bodies and facts, so keys cost no allocation. It is built at
// start-up and only read afterwards.
var keyTerms = func() map[string]*ast.Term {
	m := map[string]*ast.Term{}
	add := func(s string) {
		if _, ok := m[s]; !ok {
			m[s] = ast.StringTerm(s)
		}
	}
	for _, s := range []string{
		"phase", "user", "auth_method", "method", "path", "api_version", "api_version_given", "api_version_supported", "endpoint",
		"params", "query", "body", "facts", "HostConfig", "NetworkingConfig",
		// facts
		"value", "privileged", "mounts", "volumes_from", "capabilities", "add", "drop", "namespaces",
		"devices", "device_cgroup_rules", "security_options", "runtime", "cgroup_parent", "masked_paths",
		"readonly_paths", "set", "mode", "pid", "network", "ipc", "uts", "cgroup", "type", "source",
		"target", "read_only", "driver", "driver_options", "path_on_host", "path_in_container",
		"permissions", "key", "raw",
	} {
		add(s)
	}
	seen := map[reflect.Type]bool{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || seen[t] {
			return
		}
		seen[t] = true
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() && !f.Anonymous {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			add(name)
			walk(f.Type)
		}
	}
	for _, v := range []any{
		container.Config{}, container.HostConfig{}, network.NetworkingConfig{}, container.UpdateConfig{},
		container.ExecCreateRequest{}, container.ExecStartRequest{}, checkpoint.CreateRequest{},
		volume.CreateRequest{}, network.CreateRequest{}, network.ConnectRequest{}, network.DisconnectRequest{},
		swarm.ServiceSpec{}, swarm.InitRequest{}, swarm.JoinRequest{}, swarm.Spec{}, swarm.NodeSpec{},
		swarm.SecretSpec{}, swarm.ConfigSpec{}, plugin.Privileges{},
	} {
		walk(reflect.TypeOf(v))
	}
	return m
}()

func keyTerm(s string) *ast.Term {
	if t, ok := keyTerms[s]; ok {
		return t
	}
	return ast.StringTerm(s)
}
