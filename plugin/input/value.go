package input

import (
	"encoding/json"
	"fmt"
	"reflect"
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
	return c.any(x)
}

// converter holds what one conversion allocates from: terms and element
// lists are carved from slabs (they belong to the value built, never
// reused), object pairs are built on a scratch stack (ast.NewObject copies
// them) that the pool keeps.
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
func (c *converter) object(start int) ast.Value {
	items := c.items[start:]
	if len(items) == 0 {
		return ast.InternedEmptyObjectValue
	}
	obj := ast.NewObject(items...) // copies the pairs
	clear(items)
	c.items = c.items[:start]
	return obj
}

func (c *converter) array(elems []*ast.Term) ast.Value {
	if len(elems) == 0 {
		return ast.InternedEmptyArrayValue
	}
	return ast.NewArray(elems...)
}

func (c *converter) any(x any) (ast.Value, error) {
	switch x := x.(type) {
	case ast.Value:
		return x, nil
	case nil:
		return ast.InternedNullValue, nil
	case bool:
		return ast.InternedTerm(x).Value, nil
	case string:
		return c.str(x).Value, nil
	case json.Number:
		if t := ast.InternedIntNumberTermFromString(string(x)); t != nil {
			return t.Value, nil
		}
		return ast.NumberChecked(string(x))
	case map[string]any:
		start := len(c.items)
		for k, v := range x {
			val, err := c.any(v)
			if err != nil {
				return nil, err
			}
			c.items = append(c.items, ast.Item(c.key(k), c.term(val)))
		}
		return c.object(start), nil
	case []any:
		elems := c.list(len(x))
		for i, v := range x {
			val, err := c.any(v)
			if err != nil {
				return nil, err
			}
			elems[i] = c.term(val)
		}
		return c.array(elems), nil
	}
	return c.value(reflect.ValueOf(x))
}

func (c *converter) value(v reflect.Value) (ast.Value, error) {
	switch v.Kind() {
	case reflect.Invalid:
		return ast.InternedNullValue, nil
	case reflect.Interface:
		if v.IsNil() {
			return ast.InternedNullValue, nil
		}
		return c.any(v.Elem().Interface())
	case reflect.Pointer:
		if v.IsNil() {
			return ast.InternedNullValue, nil
		}
		if av, ok := v.Interface().(ast.Value); ok {
			return av, nil
		}
		return c.value(v.Elem())
	case reflect.Struct:
		return c.structValue(v)
	case reflect.Slice, reflect.Array:
		n := v.Len()
		elems := c.list(n)
		for i := range n {
			val, err := c.value(v.Index(i))
			if err != nil {
				return nil, err
			}
			elems[i] = c.term(val)
		}
		return c.array(elems), nil
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String {
			return nil, fmt.Errorf("input: map key type %s", v.Type().Key())
		}
		start := len(c.items)
		if m, ok := v.Interface().(map[string]string); ok {
			// The common map (params, query, options, labels) without
			// reflection.
			for k, s := range m {
				c.items = append(c.items, ast.Item(c.key(k), c.str(s)))
			}
			return c.object(start), nil
		}
		for it := v.MapRange(); it.Next(); {
			val, err := c.value(it.Value())
			if err != nil {
				return nil, err
			}
			c.items = append(c.items, ast.Item(c.key(it.Key().String()), c.term(val)))
		}
		return c.object(start), nil
	case reflect.String:
		return c.str(v.String()).Value, nil
	case reflect.Bool:
		return ast.InternedTerm(v.Bool()).Value, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return ast.InternedTerm(int(v.Int())).Value, nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return ast.Number(fmt.Sprint(v.Uint())), nil
	case reflect.Float32, reflect.Float64:
		return ast.InterfaceToValue(v.Float())
	}
	return nil, fmt.Errorf("input: cannot convert a %s", v.Type())
}

func (c *converter) structValue(v reflect.Value) (ast.Value, error) {
	p := planOf(v.Type())
	start := len(c.items)
	for _, f := range p {
		fv, ok := field(v, f.index)
		if !ok || (f.omit && fv.IsZero()) {
			continue
		}
		val, err := c.value(fv)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.key.Value, err)
		}
		c.items = append(c.items, ast.Item(f.key, c.term(val)))
	}
	return c.object(start), nil
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

var plans sync.Map // reflect.Type -> []planField

func planOf(t reflect.Type) []planField {
	if p, ok := plans.Load(t); ok {
		return p.([]planField)
	}
	p := buildPlan(t, nil)
	plans.Store(t, p)
	return p
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

func (c *converter) key(s string) *ast.Term { return c.str(s) }

func (c *converter) str(s string) *ast.Term {
	if t, ok := interned[s]; ok {
		return t
	}
	return c.term(ast.String(s))
}

// interned are shared terms for the keys and values every document
// repeats. Read-only after start-up.
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
