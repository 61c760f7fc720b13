package input

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
)

// Value converts a document, or any part of one, to the value OPA
// evaluates. It is the one conversion between the Go types and Rego, and
// reads the json tags as encoding/json does (names, omitzero, omitempty,
// "-", embedded structs flattened), with two differences that keep the
// document's shape what the policy has always seen: a nil slice or map is
// an empty array or object, never null, and an ast.Value (the body, built
// by plugin/normalize) passes through untouched.
func Value(x any) (ast.Value, error) {
	switch x := x.(type) {
	case ast.Value:
		return x, nil
	case nil:
		return ast.InternedNullValue, nil
	case *Document:
		if x == nil {
			return ast.InternedNullValue, nil
		}
	}
	c := converters.Get().(*converter)
	defer c.release()
	t, _, err := c.any(x)
	if err != nil {
		return nil, err
	}
	return t.Value, nil
}

// converter holds what one conversion allocates from: terms and element
// lists are carved from slabs (they belong to the value built, never
// reused), object pairs are built on a scratch stack (ast.NewObject copies
// them) that the pool keeps.
//
// Values are built as terms, each with whether it is shared: a term that
// belongs to no document (an interned string, boolean, small integer, null,
// the empty array or object, or a shared object). A struct whose members
// are all shared is itself a function of those terms alone, and is built
// once and shared (shared.go): the facts every create repeats (namespaces
// left as they are, privileged false, the default runtime) cost nothing.
type converter struct {
	terms []ast.Term
	elems []*ast.Term
	items [][2]*ast.Term
	// next sizes of the slabs: small documents (a ping, an inspect) take
	// small ones, a create's take a few larger ones.
	nterms, nelems int
}

var converters = sync.Pool{New: func() any { return new(converter) }}

func (c *converter) release() {
	c.terms, c.elems = nil, nil // owned by the value now
	c.nterms, c.nelems = 0, 0
	clear(c.items)
	c.items = c.items[:0]
	converters.Put(c)
}

func (c *converter) term(v ast.Value) *ast.Term {
	if len(c.terms) == 0 {
		c.nterms = min(max(2*c.nterms, 16), 128)
		c.terms = make([]ast.Term, c.nterms)
	}
	t := &c.terms[0]
	c.terms = c.terms[1:]
	t.Value = v
	return t
}

// list is a slice of n terms of its own: appending to it never writes
// into another's.
func (c *converter) list(n int) []*ast.Term {
	if n > 32 {
		return make([]*ast.Term, n)
	}
	if len(c.elems) < n {
		c.nelems = min(max(2*c.nelems, 16), 128)
		c.elems = make([]*ast.Term, max(c.nelems, n))
	}
	l := c.elems[:n:n]
	c.elems = c.elems[n:]
	return l
}

// object builds an object from the pairs pushed on the stack since start.
func (c *converter) object(start int) (*ast.Term, bool) {
	items := c.items[start:]
	if len(items) == 0 {
		return ast.InternedEmptyObject, true
	}
	obj := ast.NewObject(items...) // copies the pairs
	clear(items)
	c.items = c.items[:start]
	return c.term(obj), false
}

func (c *converter) array(elems []*ast.Term) (*ast.Term, bool) {
	if len(elems) == 0 {
		return ast.InternedEmptyArray, true
	}
	return c.term(ast.NewArray(elems...)), false
}

func (c *converter) any(x any) (*ast.Term, bool, error) {
	switch x := x.(type) {
	case ast.Value:
		return c.term(x), false, nil
	case nil:
		return ast.InternedNullTerm, true, nil
	case bool:
		return ast.InternedTerm(x), true, nil
	case string:
		t, shared := c.str(x)
		return t, shared, nil
	case json.Number:
		if t := ast.InternedIntNumberTermFromString(string(x)); t != nil {
			return t, true, nil
		}
		n, err := ast.NumberChecked(string(x))
		if err != nil {
			return nil, false, err
		}
		return c.term(n), false, nil
	case map[string]any:
		start := len(c.items)
		for k, v := range x {
			t, _, err := c.any(v)
			if err != nil {
				return nil, false, err
			}
			c.items = append(c.items, ast.Item(c.key(k), t))
		}
		t, shared := c.object(start)
		return t, shared, nil
	case []any:
		elems := c.list(len(x))
		for i, v := range x {
			t, _, err := c.any(v)
			if err != nil {
				return nil, false, err
			}
			elems[i] = t
		}
		t, shared := c.array(elems)
		return t, shared, nil
	}
	return c.value(reflect.ValueOf(x))
}

func (c *converter) value(v reflect.Value) (*ast.Term, bool, error) {
	switch v.Kind() {
	case reflect.Invalid:
		return ast.InternedNullTerm, true, nil
	case reflect.Interface:
		if v.IsNil() {
			return ast.InternedNullTerm, true, nil
		}
		return c.any(v.Elem().Interface())
	case reflect.Pointer:
		if v.IsNil() {
			return ast.InternedNullTerm, true, nil
		}
		if av, ok := v.Interface().(ast.Value); ok {
			return c.term(av), false, nil
		}
		return c.value(v.Elem())
	case reflect.Struct:
		return c.structValue(v)
	case reflect.Slice, reflect.Array:
		n := v.Len()
		elems := c.list(n)
		shareable := n <= maxSharedMembers
		for i := range n {
			t, shared, err := c.value(v.Index(i))
			if err != nil {
				return nil, false, err
			}
			elems[i] = t
			shareable = shareable && shared
		}
		if n > 0 && shareable {
			// A short list of shared terms (capabilities.drop: ALL) is
			// shared like a struct of them.
			key := sharedKey{plan: arrayPlan}
			copy(key.terms[:], elems)
			if t := sharedObjects.get(key); t != nil {
				return t, true, nil
			}
			return sharedObjects.put(key, ast.NewTerm(ast.NewArray(slices.Clone(elems)...))), true, nil
		}
		t, shared := c.array(elems)
		return t, shared, nil
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String {
			return nil, false, fmt.Errorf("input: map key type %s", v.Type().Key())
		}
		start := len(c.items)
		if m, ok := v.Interface().(map[string]string); ok {
			// The common map (params, query, options, labels) without
			// reflection.
			for k, s := range m {
				t, _ := c.str(s)
				c.items = append(c.items, ast.Item(c.key(k), t))
			}
			t, shared := c.object(start)
			return t, shared, nil
		}
		for it := v.MapRange(); it.Next(); {
			t, _, err := c.value(it.Value())
			if err != nil {
				return nil, false, err
			}
			c.items = append(c.items, ast.Item(c.key(it.Key().String()), t))
		}
		t, shared := c.object(start)
		return t, shared, nil
	case reflect.String:
		t, shared := c.str(v.String())
		return t, shared, nil
	case reflect.Bool:
		return ast.InternedTerm(v.Bool()), true, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i := int(v.Int())
		if ast.HasInternedIntNumberTerm(i) {
			return ast.InternedTerm(i), true, nil
		}
		return ast.InternedTerm(i), false, nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return c.term(ast.Number(fmt.Sprint(v.Uint()))), false, nil
	case reflect.Float32, reflect.Float64:
		n, err := ast.InterfaceToValue(v.Float())
		if err != nil {
			return nil, false, err
		}
		return c.term(n), false, nil
	}
	return nil, false, fmt.Errorf("input: cannot convert a %s", v.Type())
}

func (c *converter) structValue(v reflect.Value) (*ast.Term, bool, error) {
	p := planOf(v.Type())
	start := len(c.items)
	var key sharedKey
	shareable := p.shareable
	for i, f := range p.fields {
		fv, ok := field(v, f.index)
		if !ok || (f.omit && fv.IsZero()) {
			continue
		}
		t, shared, err := c.value(fv)
		if err != nil {
			return nil, false, fmt.Errorf("%s: %w", f.key.Value, err)
		}
		if shareable {
			shareable = shared
			key.terms[i] = t
		}
		c.items = append(c.items, ast.Item(f.key, t))
	}
	if !shareable {
		t, _ := c.object(start)
		return t, false, nil
	}
	key.plan = p
	if t := sharedObjects.get(key); t != nil {
		clear(c.items[start:])
		c.items = c.items[:start]
		return t, true, nil
	}
	// Built apart from the slabs, which belong to one document.
	items := c.items[start:]
	t := ast.NewTerm(ast.NewObject(items...))
	clear(items)
	c.items = c.items[:start]
	return sharedObjects.put(key, t), true, nil
}

// field is v's field at index, through embedded pointers; false when one
// of them is nil (encoding/json then skips the field too).
func field(v reflect.Value, index []int) (reflect.Value, bool) {
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return reflect.Value{}, false
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v, true
}

// planField is one member a struct type contributes to its object.
type planField struct {
	key   *ast.Term
	index []int
	omit  bool // omitzero or omitempty: absent when zero
}

// plan is how a struct type converts: its members, and whether an object
// of it can be shared (few enough members for a sharedKey).
type plan struct {
	fields    []planField
	shareable bool
}

var plans sync.Map // reflect.Type -> *plan

func planOf(t reflect.Type) *plan {
	if p, ok := plans.Load(t); ok {
		return p.(*plan)
	}
	fields := buildPlan(t, nil)
	p, _ := plans.LoadOrStore(t, &plan{fields: fields, shareable: len(fields) <= maxSharedMembers})
	return p.(*plan)
}

func buildPlan(t reflect.Type, prefix []int) []planField {
	var out []planField
	for i := range t.NumField() {
		sf := t.Field(i)
		name, opts, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if name == "-" && opts == "" {
			continue
		}
		index := append(append([]int(nil), prefix...), i)
		if sf.Anonymous && name == "" {
			et := sf.Type
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				out = append(out, buildPlan(et, index)...)
				continue
			}
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		omit := strings.Contains(","+opts+",", ",omitzero,") || strings.Contains(","+opts+",", ",omitempty,")
		out = append(out, planField{key: ast.StringTerm(name), index: index, omit: omit})
	}
	return out
}

func (c *converter) key(s string) *ast.Term {
	t, _ := c.str(s)
	return t
}

// str is s's term, and whether it is a shared (interned) one.
func (c *converter) str(s string) (*ast.Term, bool) {
	if t, ok := interned[s]; ok {
		return t, true
	}
	return c.term(ast.String(s)), false
}

// Intern adds shared terms for strings documents repeat (endpoint names,
// API versions, fact paths): they cost no allocation, and the objects
// holding them can be shared (shared.go). Call it only while the program
// initialises (a package's init): the table is read without a lock.
func Intern(strs ...string) {
	for _, s := range strs {
		if _, ok := interned[s]; !ok {
			interned[s] = ast.StringTerm(s)
		}
	}
}

// interned are shared terms for the keys and values every document
// repeats. Read-only after start-up (Intern).
var interned = func() map[string]*ast.Term {
	m := map[string]*ast.Term{}
	for _, s := range []string{
		"phase", "user", "auth_method", "method", "path", "api_version", "api_version_given", "api_version_supported",
		"endpoint", "params", "query", "body", "facts", "state",
		"value", "privileged", "mounts", "volumes_from", "capabilities", "add", "drop", "namespaces",
		"devices", "device_cgroup_rules", "security_options", "runtime", "cgroup_parent",
		"masked_paths", "readonly_paths", "set", "mode", "pid", "network", "ipc", "uts", "cgroup",
		"type", "source", "target", "read_only", "driver", "driver_options", "path_on_host",
		"path_in_container", "permissions", "key", "raw", "name", "id", "default", "unknown",
		"request", "response", "GET", "HEAD", "POST", "PUT", "DELETE", "bind", "volume", "tmpfs", "local",
		"HostConfig.Privileged", "HostConfig.PidMode", "HostConfig.NetworkMode", "HostConfig.IpcMode",
		"HostConfig.UTSMode", "HostConfig.UsernsMode", "HostConfig.CgroupnsMode", "HostConfig.Runtime",
		"HostConfig.CgroupParent", "HostConfig.MaskedPaths", "HostConfig.ReadonlyPaths",
		"HostConfig.RestartPolicy.Name", "User", "",
	} {
		m[s] = ast.StringTerm(s)
	}
	return m
}()
