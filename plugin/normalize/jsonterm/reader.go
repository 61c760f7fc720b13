package jsonterm

import (
	"encoding/json"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/open-policy-agent/opa/v1/ast"
)

// errSlowPath sends a value to the map-based conversion.
var errSlowPath = errors.New("not on the fast path")

// reader reads JSON text written by encoding/json into OPA terms. Strings
// and keys are slices of one string (no copy each); escaped strings are
// unquoted by encoding/json itself. It is strict: anything unexpected is
// errSlowPath, so the slow path decides.
type reader struct {
	b *Builder
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

// whole reads the text as one value, white space around it.
func (p *reader) whole() (*ast.Term, error) {
	t, err := p.value()
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.i != len(p.s) {
		return nil, errSlowPath
	}
	return t, nil
}

func (p *reader) value() (*ast.Term, error) {
	p.skipSpace()
	if p.i >= len(p.s) {
		return nil, errSlowPath
	}
	switch c := p.s[p.i]; {
	case c == '{':
		if t := p.shared(); t != nil {
			return t, nil
		}
		return p.object(nil)
	case c == '[':
		if t := p.shared(); t != nil {
			return t, nil
		}
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

// shared is the shared value of the object or array at p.i (shared.go),
// skipping its text; nil when it is not shared, or longer than
// maxChildText.
func (p *reader) shared() *ast.Term {
	if p.b.alone || p.i == 0 {
		return nil // the whole text was looked up (Encode)
	}
	end := p.end(maxChildText)
	if end < 0 {
		return nil
	}
	t := sharedText(p.s[p.i:end])
	if t != nil {
		p.i = end
	}
	return t
}

// end is where the object or array at p.i ends, if within limit bytes;
// -1 otherwise. Brackets in strings do not count; the text is not
// checked (reading it does that).
func (p *reader) end(limit int) int {
	depth, inString := 0, false
	stop := min(len(p.s), p.i+limit)
	for i := p.i; i < stop; i++ {
		c := p.s[i]
		if inString {
			switch c {
			case '\\':
				i++
			case '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i + 1
			}
		}
	}
	return -1
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
		return ast.InternedEmptyArray, nil
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
	elems := p.b.list(p.b.elems[start:])
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
		if len(extra) == 0 {
			return ast.InternedEmptyObject, nil
		}
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
func (b *Builder) duplicates(items [][2]*ast.Term) bool {
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
