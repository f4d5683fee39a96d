package xs

import (
	"fmt"
	"strings"
)

// sexpr prints an expression's tree fully bracketed, so that tests can assert its shape.
func sexpr(e Expr) string {
	switch x := e.(type) {
	case nil:
		return "<nil>"
	case *Lit:
		switch v := x.Value.(type) {
		case string:
			return fmt.Sprintf("%q", v)
		case float64:
			return fmt.Sprintf("%gf", v)
		}
		return fmt.Sprint(x.Value)
	case *Ident:
		return "#" + x.Name
	case *Var:
		return "var(" + x.Name + ")"
	case *Member:
		return sexpr(x.X) + "." + x.Name
	case *Index:
		return sexpr(x.X) + "[" + sexpr(x.Index) + "]"
	case *Unary:
		return "(" + x.Op + " " + sexpr(x.X) + ")"
	case *Binary:
		return "(" + x.Op + " " + sexpr(x.X) + " " + sexpr(x.Y) + ")"
	case *Ternary:
		return "(? " + sexpr(x.Cond) + " " + sexpr(x.Then) + " " + sexpr(x.Else) + ")"
	case *Filter:
		args := []string{}
		for _, a := range x.Call.Args {
			args = append(args, sexpr(a))
		}
		return "(|" + x.Call.Name + " " + sexpr(x.X) + strings.Join(append([]string{""}, args...), " ") + ")"
	case *ObjectLit:
		parts := []string{}
		for i, k := range x.Keys {
			parts = append(parts, k+":"+sexpr(x.Values[i]))
		}
		return "{" + strings.Join(parts, " ") + "}"
	case *ArrayLit:
		parts := []string{}
		for _, el := range x.Elems {
			parts = append(parts, sexpr(el))
		}
		return "[" + strings.Join(parts, " ") + "]"
	case *Paren:
		return "(paren " + sexpr(x.X) + ")"
	case *Call:
		parts := []string{}
		for _, a := range x.Args {
			parts = append(parts, sexpr(a))
		}
		return "call " + x.Name + "(" + strings.Join(parts, " ") + ")"
	}
	return fmt.Sprintf("?%T", e)
}

// dump prints nodes one per line, indented, with their attributes, for golden comparisons.
func dump(nodes []*Node) string {
	var b strings.Builder
	for _, n := range nodes {
		dumpNode(&b, n, "")
	}
	return b.String()
}

func dumpNode(b *strings.Builder, n *Node, ind string) {
	b.WriteString(ind)
	if n.Disabled {
		b.WriteString("!")
	}
	b.WriteString(n.Keyword)
	if n.Field != nil {
		fd := n.Field
		b.WriteString(" field(" + fd.Type)
		if fd.Nullable {
			b.WriteString("?")
		}
		if fd.Array {
			fmt.Fprintf(b, "[%d:%d]", fd.ArrayMin, fd.ArrayMax)
		}
		b.WriteString(" " + fd.Name)
		if fd.Optional {
			b.WriteString("?")
		}
		if fd.Default != nil {
			b.WriteString("=" + sexpr(fd.Default))
		}
		for _, f := range fd.Filters {
			b.WriteString(" |" + f.Name)
			for _, a := range f.Args {
				b.WriteString(":" + sexpr(a))
			}
		}
		b.WriteString(")")
	} else if n.Name != "" {
		if n.Quoted {
			fmt.Fprintf(b, " %q", n.Name)
		} else {
			b.WriteString(" " + n.Name)
		}
	}
	for _, a := range n.Inline {
		fmt.Fprintf(b, " %s=%s", a.Key, sexpr(a.Value))
	}
	if n.Cond != nil {
		fmt.Fprintf(b, " (%s)", sexpr(n.Cond))
	}
	if n.As != "" {
		b.WriteString(" as " + n.As)
	}
	if n.AsIndex != "" {
		b.WriteString(", " + n.AsIndex)
	}
	for _, f := range n.AsFilters {
		b.WriteString("|" + f.Name)
		for _, a := range f.Args {
			b.WriteString(":" + sexpr(a))
		}
	}
	b.WriteString("\n")
	if n.Body != nil {
		for _, a := range n.Body.Attrs {
			b.WriteString(ind + "  ")
			if a.Disabled {
				b.WriteString("!")
			}
			fmt.Fprintf(b, "%s = %s\n", a.Key, sexpr(a.Value))
		}
		for _, c := range n.Body.Nodes {
			dumpNode(b, c, ind+"  ")
		}
	}
}

// parseExpr parses src as one expression that must span all of it.
func parseExpr(src string) (Expr, []Diagnostic) {
	p := &parser{file: "t.xs", lx: newLexer([]rune(src), 1, 1)}
	x := p.expr()
	if t := p.peek(); !p.bad && t.kind != tEOF {
		p.expected(t, "end of expression")
	}
	return x, p.diags
}
