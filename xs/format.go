package xs

import (
	"strconv"
	"strings"
)

// ExprString writes an expression back as XanoScript, for error messages that name an
// expression. The text is canonical rather than verbatim: operators get single spaces,
// strings are double-quoted, parentheses appear where the source had them.
func ExprString(e Expr) string {
	var b strings.Builder
	writeExpr(&b, e)
	return b.String()
}

func writeExpr(b *strings.Builder, e Expr) {
	switch x := e.(type) {
	case nil:
		b.WriteString("null")
	case *Lit:
		writeLit(b, x.Value)
	case *Ident:
		b.WriteString(x.Name)
	case *Var:
		if !strings.HasPrefix(x.Name, "$") {
			b.WriteByte('$')
		}
		b.WriteString(x.Name)
	case *Member:
		writeExpr(b, x.X)
		b.WriteByte('.')
		b.WriteString(x.Name)
	case *Index:
		writeExpr(b, x.X)
		b.WriteByte('[')
		writeExpr(b, x.Index)
		b.WriteByte(']')
	case *Unary:
		b.WriteString(x.Op)
		writeExpr(b, x.X)
	case *Binary:
		writeExpr(b, x.X)
		b.WriteString(" " + x.Op + " ")
		writeExpr(b, x.Y)
	case *Ternary:
		writeExpr(b, x.Cond)
		b.WriteString(" ? ")
		writeExpr(b, x.Then)
		b.WriteString(" : ")
		writeExpr(b, x.Else)
	case *Filter:
		writeExpr(b, x.X)
		b.WriteByte('|')
		writeFilterCall(b, x.Call)
	case *ObjectLit:
		b.WriteByte('{')
		for i, k := range x.Keys {
			if i > 0 {
				b.WriteString(", ")
			}
			if isBareKey(k) {
				b.WriteString(k)
			} else {
				b.WriteString(strconv.Quote(k))
			}
			b.WriteString(": ")
			if i < len(x.Values) {
				writeExpr(b, x.Values[i])
			}
		}
		b.WriteByte('}')
	case *ArrayLit:
		b.WriteByte('[')
		for i, el := range x.Elems {
			if i > 0 {
				b.WriteString(", ")
			}
			writeExpr(b, el)
		}
		b.WriteByte(']')
	case *Paren:
		b.WriteByte('(')
		writeExpr(b, x.X)
		b.WriteByte(')')
	case *Call:
		b.WriteString(x.Name)
		b.WriteByte('(')
		for i, a := range x.Args {
			if i > 0 {
				b.WriteString(", ")
			}
			writeExpr(b, a)
		}
		b.WriteByte(')')
	default:
		b.WriteString("?")
	}
}

func writeFilterCall(b *strings.Builder, fc *FilterCall) {
	if fc == nil {
		return
	}
	b.WriteString(fc.Name)
	for _, a := range fc.Args {
		b.WriteByte(':')
		writeExpr(b, a)
	}
}

func writeLit(b *strings.Builder, v any) {
	switch v := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(v))
	case int64:
		b.WriteString(strconv.FormatInt(v, 10))
	case float64:
		s := strconv.FormatFloat(v, 'g', -1, 64)
		if !strings.ContainsAny(s, ".eEnN") {
			s += ".0"
		}
		b.WriteString(s)
	case string:
		b.WriteString(strconv.Quote(v))
	default:
		b.WriteString("?")
	}
}

func isBareKey(k string) bool {
	if k == "" {
		return false
	}
	for i, r := range k {
		if !(isIdentStart(r) || i > 0 && (isDigit(r) || r == '.')) {
			return false
		}
	}
	return true
}
