// Package inputdoc writes docs/input.md from the Go types of plugin/input:
// for every type the document is made of, each member's JSON name, type
// and meaning (the field's doc comment), between the hand-written prose
// of head.md and foot.md. policies/cmd/gendocs runs it; a test fails when
// docs/input.md is stale.
package inputdoc

import (
	"bytes"
	_ "embed"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
)

//go:embed head.md
var head []byte

//go:embed foot.md
var foot []byte

// Markdown renders docs/input.md from the source of plugin/input in dir.
func Markdown(dir string) ([]byte, error) {
	types, err := parse(dir)
	if err != nil {
		return nil, err
	}
	if _, ok := types["Document"]; !ok {
		return nil, fmt.Errorf("%s: no Document type", dir)
	}
	var b bytes.Buffer
	b.Write(head)
	b.WriteString("\n## Every field\n\n")
	b.WriteString("Generated from the types of `plugin/input` (`go run ./policies/cmd/gendocs`). ")
	b.WriteString("A field marked *optional* is absent when it does not apply; every other field is always present. ")
	b.WriteString("Lists and objects are never null: an empty one is `[]` or `{}`.\n")
	// The types in the order a reader meets them, from the document down.
	seen := map[string]bool{"Document": true}
	queue := []item{{"Document", "input"}}
	for len(queue) > 0 {
		it := queue[0]
		queue = queue[1:]
		t := types[it.name]
		fmt.Fprintf(&b, "\n<a id=\"%s\"></a>\n\n### %s: `%s`\n\n", anchorOf(it.name), it.name, it.path)
		if t.doc != "" {
			fmt.Fprintf(&b, "%s\n\n", oneLine(t.doc))
		}
		b.WriteString("| field | type | meaning |\n|---|---|---|\n")
		for _, f := range t.st.Fields.List {
			row, refs := field(f, types)
			b.WriteString(row)
			for _, r := range refs {
				if !seen[r.name] {
					seen[r.name] = true
					r.path = it.path + r.path
					queue = append(queue, r)
				}
			}
		}
	}
	var unused []string
	for name := range types {
		if !seen[name] {
			unused = append(unused, name)
		}
	}
	if len(unused) > 0 {
		sort.Strings(unused)
		return nil, fmt.Errorf("types not reachable from Document: %s", strings.Join(unused, ", "))
	}
	b.WriteString("\n")
	b.Write(foot)
	return b.Bytes(), nil
}

// item is a type to describe and the JSON path it is first met at.
type item struct{ name, path string }

type structType struct {
	doc string
	st  *ast.StructType
}

func parse(dir string) (map[string]structType, error) {
	fset := token.NewFileSet()
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	types := map[string]structType{}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, e.Name()), nil, parser.ParseComments)
		if err != nil {
			return nil, err
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.TYPE {
				continue
			}
			for _, s := range g.Specs {
				ts := s.(*ast.TypeSpec)
				st, ok := ts.Type.(*ast.StructType)
				if !ok || !ts.Name.IsExported() {
					continue
				}
				doc := g.Doc
				if ts.Doc != nil {
					doc = ts.Doc
				}
				types[ts.Name.Name] = structType{doc: doc.Text(), st: st}
			}
		}
	}
	return types, nil
}

// field renders one struct field as a table row, and lists the types of
// the package it refers to with the JSON path suffix they are met at.
func field(f *ast.Field, types map[string]structType) (string, []item) {
	meaning := oneLine(f.Doc.Text())
	if len(f.Names) == 0 {
		// An embedded *T: its fields are the object's own when set.
		name := strings.TrimPrefix(typeName(f.Type), "*")
		return fmt.Sprintf("| (the fields of [`%s`](#%s)) | | present when found |\n", name, anchorOf(name)), []item{{name, ""}}
	}
	tag := ""
	if f.Tag != nil {
		tag = reflect.StructTag(strings.Trim(f.Tag.Value, "`")).Get("json")
	}
	name, opts, _ := strings.Cut(tag, ",")
	if name == "" {
		name = f.Names[0].Name
	}
	if strings.Contains(","+opts+",", ",omitzero,") || strings.Contains(","+opts+",", ",omitempty,") {
		meaning = "*optional.* " + meaning
	}
	typ, refs := jsonType(f.Type, types, "."+name)
	return fmt.Sprintf("| `%s` | %s | %s |\n", name, typ, meaning), refs
}

// jsonType names a Go type as the policy sees it.
func jsonType(e ast.Expr, types map[string]structType, path string) (string, []item) {
	switch e := e.(type) {
	case *ast.StarExpr:
		t, refs := jsonType(e.X, types, path)
		if _, ok := types[typeName(e.X)]; !ok {
			t += " or null"
		}
		return t, refs
	case *ast.ArrayType:
		t, refs := jsonType(e.Elt, types, path+"[i]")
		return "array of " + t, refs
	case *ast.MapType:
		t, refs := jsonType(e.Value, types, path+"[k]")
		return "object of " + t, refs
	case *ast.Ident:
		switch e.Name {
		case "string":
			return "string", nil
		case "bool":
			return "boolean", nil
		case "int", "int64":
			return "integer", nil
		case "any":
			return "any", nil
		}
		if _, ok := types[e.Name]; ok {
			return fmt.Sprintf("[`%s`](#%s)", e.Name, anchorOf(e.Name)), []item{{e.Name, path}}
		}
		return e.Name, nil
	}
	return typeName(e), nil
}

func typeName(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.StarExpr:
		return "*" + typeName(e.X)
	}
	return fmt.Sprintf("%T", e)
}

func anchorOf(typeName string) string { return "type-" + strings.ToLower(typeName) }

func oneLine(s string) string {
	return strings.ReplaceAll(strings.Join(strings.Fields(s), " "), "|", `\|`)
}
