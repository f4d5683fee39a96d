package xs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary bytes to Parse: it must never panic (a recovered panic shows
// up as an "internal parser error" diagnostic), and every position it reports must lie
// within the input. Each input's two halves are parsed too, each as a whole file of its
// own: input cut off anywhere (a file still being written) must fail as cleanly.
func FuzzParse(f *testing.F) {
	seeds, err := filepath.Glob("testdata/*.xs")
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{"", "{", "}", "!", "query", `"`, "`", "```", `"""`, "a[", "$", "x = ", "input { text a?= }"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkParse(t, data)
		half := len(data) / 2
		checkParse(t, data[:half])
		checkParse(t, data[half:])
	})
}

func checkParse(t *testing.T, data []byte) {
	t.Helper()
	file, diags := Parse("f.xs", data)
	lines := strings.Split(string([]rune(string(data))), "\n")
	check := func(what string, p Pos) {
		t.Helper()
		if p.Line < 1 || p.Line > len(lines) || p.Col < 1 || p.Col > len([]rune(lines[p.Line-1]))+1 {
			t.Fatalf("%s position %d:%d outside the input (%d lines) for %q", what, p.Line, p.Col, len(lines), data)
		}
	}
	for _, d := range diags {
		if strings.Contains(d.Message, "internal parser error") {
			t.Fatalf("parser panicked on %q: %s", data, d)
		}
		check("diagnostic", d.Pos)
	}
	walk(file.Objects, func(p Pos) { check("node", p) })
}

// walk calls fn with every position held by the nodes, attributes and expressions.
func walk(nodes []*Node, fn func(Pos)) {
	for _, n := range nodes {
		fn(n.Pos)
		if n.Name != "" {
			fn(n.NamePos)
		}
		if n.As != "" {
			fn(n.AsPos)
		}
		if n.AsIndex != "" {
			fn(n.AsIndexPos)
		}
		for _, fc := range n.AsFilters {
			fn(fc.Pos)
			for _, a := range fc.Args {
				walkExpr(a, fn)
			}
		}
		for _, a := range n.Inline {
			fn(a.Pos)
			walkExpr(a.Value, fn)
		}
		walkExpr(n.Cond, fn)
		if fd := n.Field; fd != nil {
			walkExpr(fd.Default, fn)
			for _, fc := range fd.Filters {
				fn(fc.Pos)
				for _, a := range fc.Args {
					walkExpr(a, fn)
				}
			}
		}
		if n.Body != nil {
			fn(n.Body.Pos)
			if n.Body.End.Line != 0 {
				fn(n.Body.End)
			}
			for _, a := range n.Body.Attrs {
				fn(a.Pos)
				walkExpr(a.Value, fn)
			}
			walk(n.Body.Nodes, fn)
		}
	}
}

func walkExpr(e Expr, fn func(Pos)) {
	if e == nil {
		return
	}
	fn(e.Position())
	switch x := e.(type) {
	case *Member:
		walkExpr(x.X, fn)
	case *Index:
		walkExpr(x.X, fn)
		walkExpr(x.Index, fn)
	case *Unary:
		walkExpr(x.X, fn)
	case *Binary:
		walkExpr(x.X, fn)
		walkExpr(x.Y, fn)
	case *Ternary:
		walkExpr(x.Cond, fn)
		walkExpr(x.Then, fn)
		walkExpr(x.Else, fn)
	case *Filter:
		walkExpr(x.X, fn)
		fn(x.Call.Pos)
		for _, a := range x.Call.Args {
			walkExpr(a, fn)
		}
	case *ObjectLit:
		for _, v := range x.Values {
			walkExpr(v, fn)
		}
	case *ArrayLit:
		for _, v := range x.Elems {
			walkExpr(v, fn)
		}
	case *Paren:
		walkExpr(x.X, fn)
	case *Call:
		for _, a := range x.Args {
			walkExpr(a, fn)
		}
	}
}
