package stack

import (
	"strings"

	"relaybase"
	"relaybase/value"
	"relaybase/xs"
)

// condFn evaluates a where clause into a store condition. It returns nil for a clause that
// is absent: a null-safe comparison (==? etc.) whose value is null is dropped from the
// clause, as Xano does, leaving the rest of an && or || as if it had not been written.
type condFn func(f *frame) (relaybase.Cond, error)

var (
	always relaybase.Cond = relaybase.And{}
	never  relaybase.Cond = relaybase.Or{}
)

var cmpOps = map[string]relaybase.CmpOp{
	"==": relaybase.OpEq, "===": relaybase.OpEq, "!=": relaybase.OpNe, "!==": relaybase.OpNe,
	">": relaybase.OpGt, ">=": relaybase.OpGe, "<": relaybase.OpLt, "<=": relaybase.OpLe,
	"in": relaybase.OpIn, "not in": relaybase.OpNotIn,
	"includes": relaybase.OpIncludes, "contains": relaybase.OpContains, "overlaps": relaybase.OpOverlaps,
}

// flipped is the operator with its operands swapped (5 < $db.t.x is $db.t.x > 5).
var flipped = map[string]string{
	"==": "==", "===": "===", "!=": "!=", "!==": "!==",
	">": "<", ">=": "<=", "<": ">", "<=": ">=", "in": "contains",
}

// where compiles a db.query where clause over $db.<table>.<field>.
func (c *compiler) where(e xs.Expr, t *relaybase.Table) condFn {
	e = unparen(e)
	if !refsDB(e) {
		// A condition on the stack's own values: true keeps every row, false none.
		v := c.expr(e)
		return func(f *frame) (relaybase.Cond, error) {
			b, err := v(f)
			if err != nil {
				return nil, err
			}
			if value.Truthy(b) {
				return always, nil
			}
			return never, nil
		}
	}
	switch x := e.(type) {
	case *xs.Binary:
		switch x.Op {
		case "&&", "||":
			l, r := c.where(x.X, t), c.where(x.Y, t)
			and := x.Op == "&&"
			return func(f *frame) (relaybase.Cond, error) {
				a, err := l(f)
				if err != nil {
					return nil, err
				}
				b, err := r(f)
				if err != nil {
					return nil, err
				}
				return join(and, a, b), nil
			}
		}
		op := x.Op
		nullSafe := false
		if strings.HasSuffix(op, "?") {
			op, nullSafe = strings.TrimSuffix(op, "?"), true
		}
		negate := false
		if rest, ok := strings.CutPrefix(op, "not "); ok && op != "not in" {
			op, negate = rest, true
		}
		if field, ok := c.dbField(x.X, t); ok && !refsDB(x.Y) {
			return c.cmp(field, op, nullSafe, negate, x.Y, t, x.Pos)
		}
		if field, ok := c.dbField(x.Y, t); ok && !refsDB(x.X) {
			if fo, ok := flipped[op]; ok {
				return c.cmp(field, fo, nullSafe, negate, x.X, t, x.Pos)
			}
		}
	case *xs.Unary:
		if x.Op == "!" {
			inner := c.where(x.X, t)
			return func(f *frame) (relaybase.Cond, error) {
				a, err := inner(f)
				if a == nil || err != nil {
					return a, err
				}
				return &relaybase.Not{C: a}, nil
			}
		}
	case *xs.Filter:
		// $db.t.tags|contains:"x", $db.t.title|includes:"x", $db.t.price|between:1:9
		if field, ok := c.dbField(x.X, t); ok {
			name := x.Call.Name
			switch name {
			case "includes", "contains", "overlaps":
				if len(x.Call.Args) == 1 {
					return c.cmp(field, name, false, false, x.Call.Args[0], t, x.Pos)
				}
			case "between":
				if len(x.Call.Args) == 2 {
					lo, hi := c.expr(x.Call.Args[0]), c.expr(x.Call.Args[1])
					fd, _ := t.Field(field)
					return func(f *frame) (relaybase.Cond, error) {
						a, err := lo(f)
						if err != nil {
							return nil, err
						}
						b, err := hi(f)
						if err != nil {
							return nil, err
						}
						return &relaybase.Cmp{Field: field, Op: relaybase.OpBetween,
							Value: []any{whereValue(fd, field, a), whereValue(fd, field, b)}}, nil
					}
				}
			}
		}
	}
	return func() condFn {
		err := c.unsupported(e.Position(), "where expression "+xs.ExprString(e))
		return func(*frame) (relaybase.Cond, error) { return nil, err }
	}()
}

// join combines two conditions, either of which may be absent.
func join(and bool, a, b relaybase.Cond) relaybase.Cond {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	if and {
		var out relaybase.And
		for _, c := range []relaybase.Cond{a, b} {
			if x, ok := c.(relaybase.And); ok {
				out = append(out, x...)
			} else {
				out = append(out, c)
			}
		}
		return out
	}
	var out relaybase.Or
	for _, c := range []relaybase.Cond{a, b} {
		if x, ok := c.(relaybase.Or); ok {
			out = append(out, x...)
		} else {
			out = append(out, c)
		}
	}
	return out
}

func (c *compiler) cmp(field, op string, nullSafe, negate bool, ve xs.Expr, t *relaybase.Table, pos xs.Pos) condFn {
	sop, ok := cmpOps[op]
	if !ok {
		return func() condFn {
			err := c.unsupported(pos, "where operator "+op)
			return func(*frame) (relaybase.Cond, error) { return nil, err }
		}()
	}
	val := c.expr(ve)
	fd, _ := t.Field(field)
	return func(f *frame) (relaybase.Cond, error) {
		v, err := val(f)
		if err != nil {
			return nil, err
		}
		if v == nil && nullSafe {
			return nil, nil
		}
		switch sop {
		case relaybase.OpIn, relaybase.OpNotIn:
			list, ok := v.([]any)
			if !ok {
				if v != nil {
					list = []any{v}
				}
			}
			conv := make([]any, len(list))
			for i, e := range list {
				conv[i] = whereValue(fd, field, e)
			}
			v = conv
		case relaybase.OpOverlaps:
		default:
			if sop != relaybase.OpIncludes {
				v = whereValue(fd, field, v)
			}
		}
		var cond relaybase.Cond = &relaybase.Cmp{Field: field, Op: sop, Value: v}
		if negate {
			cond = &relaybase.Not{C: cond}
		}
		return cond, nil
	}
}

// whereValue coerces a value compared with a field to the field's type where possible
// (an ISO date against a timestamp field, "5" against an int field).
func whereValue(fd *relaybase.Field, field string, v any) any {
	if v == nil {
		return nil
	}
	typ := "int"
	if fd != nil {
		if fd.Array {
			return v
		}
		typ = string(fd.Type)
	} else if field != "id" {
		return v
	}
	if cv, err := coerceScalar(typ, v); err == nil {
		return cv
	}
	return v
}

// dbField recognises $db.<table>.<field> (and $db.<field>) naming a field of t.
func (c *compiler) dbField(e xs.Expr, t *relaybase.Table) (string, bool) {
	m, ok := unparen(e).(*xs.Member)
	if !ok {
		return "", false
	}
	switch x := unparen(m.X).(type) {
	case *xs.Var:
		if rootName(x) == "db" && hasField(t, m.Name) {
			return m.Name, true
		}
	case *xs.Member:
		v, ok := unparen(x.X).(*xs.Var)
		if !ok || rootName(v) != "db" {
			return "", false
		}
		if x.Name != t.Name {
			if tt, ok := c.ws.Table(x.Name); !ok || tt != t {
				c.unsupported(m.Pos, "where on another table ($db."+x.Name+", joins)")
				return "", false
			}
		}
		if !hasField(t, m.Name) {
			c.errorf(m.Pos, "db.query: table %q has no field %q", t.Name, m.Name)
			return "", false
		}
		return m.Name, true
	}
	return "", false
}

// refsDB reports whether an expression mentions $db anywhere.
func refsDB(e xs.Expr) bool {
	switch x := e.(type) {
	case *xs.Var:
		return rootName(x) == "db"
	case *xs.Member:
		return refsDB(x.X)
	case *xs.Index:
		return refsDB(x.X) || refsDB(x.Index)
	case *xs.Unary:
		return refsDB(x.X)
	case *xs.Binary:
		return refsDB(x.X) || refsDB(x.Y)
	case *xs.Ternary:
		return refsDB(x.Cond) || refsDB(x.Then) || refsDB(x.Else)
	case *xs.Filter:
		if refsDB(x.X) {
			return true
		}
		for _, a := range x.Call.Args {
			if refsDB(a) {
				return true
			}
		}
	case *xs.Paren:
		return refsDB(x.X)
	case *xs.ObjectLit:
		for _, v := range x.Values {
			if refsDB(v) {
				return true
			}
		}
	case *xs.ArrayLit:
		for _, v := range x.Elems {
			if refsDB(v) {
				return true
			}
		}
	}
	return false
}
