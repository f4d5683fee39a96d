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
