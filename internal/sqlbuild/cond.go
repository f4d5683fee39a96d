package sqlbuild

import (
	"fmt"
	"strings"

	"relaybase"
	"relaybase/value"
)

// Builder accumulates SQL text and its parameters for one dialect.
type Builder struct {
	d    Dialect
	sql  strings.Builder
	args []any
}

// NewBuilder returns an empty Builder for d.
func NewBuilder(d Dialect) *Builder { return &Builder{d: d} }

// WriteString appends SQL text.
func (b *Builder) WriteString(s string) { b.sql.WriteString(s) }

// Param appends a parameter and writes its placeholder.
func (b *Builder) Param(a Arg) {
	b.args = append(b.args, a.V)
	b.sql.WriteString(b.d.Param(len(b.args), a.K))
}

// AddArg appends a parameter without writing anything and returns its number (from 1), for
// placeholders the dialect writes itself (PostgreSQL's typed arrays).
func (b *Builder) AddArg(v any) int {
	b.args = append(b.args, v)
	return len(b.args)
}

// String is the SQL text written so far.
func (b *Builder) String() string { return b.sql.String() }

// Args are the parameters, in placeholder order.
func (b *Builder) Args() []any { return b.args }

// resetText starts the text again, keeping the parameters (their numbers go on).
func (b *Builder) resetText() { b.sql.Reset() }

func (b *Builder) literal(v bool) { b.sql.WriteString(b.d.Literal(v)) }

// Cond writes c, a condition over t's fields, as an SQL boolean expression. Every
// expression it writes is true when the condition holds under XanoScript's rules and false
// or NULL when it doesn't; since NULL only ever means "doesn't hold", AND and OR combine
// them correctly, and Not turns them into exactly true or false with IS NOT TRUE (plain
// SQL NOT would keep NULL, so that !(x < 5) would miss rows where x is null, which
// XanoScript counts). An unknown field is an input error.
func (b *Builder) Cond(t *Table, c relaybase.Cond) error {
	switch c := c.(type) {
	case nil:
		b.literal(true)
	case relaybase.And:
		return b.join(t, c, " AND ", true)
	case *relaybase.And:
		return b.join(t, *c, " AND ", true)
	case relaybase.Or:
		return b.join(t, c, " OR ", false)
	case *relaybase.Or:
		return b.join(t, *c, " OR ", false)
	case *relaybase.Not:
		b.WriteString("((")
		if err := b.Cond(t, c.C); err != nil {
			return err
		}
		b.notTrue()
	case *relaybase.Cmp:
		return b.cmp(t, c)
	default:
		return fmt.Errorf("unknown condition %T", c)
	}
	return nil
}

// notTrue closes a "((" opened before a condition: the whole is true exactly when the
// condition is not.
func (b *Builder) notTrue() { b.WriteString(") IS NOT " + b.d.Literal(true) + ")") }

// join writes cs joined by op; no conditions at all is the literal empty.
func (b *Builder) join(t *Table, cs []relaybase.Cond, op string, empty bool) error {
	if len(cs) == 0 {
		b.literal(empty)
		return nil
	}
	b.WriteString("(")
	for i, c := range cs {
		if i > 0 {
			b.WriteString(op)
		}
		if err := b.Cond(t, c); err != nil {
			return err
		}
	}
	b.WriteString(")")
	return nil
}

// operand is Dialect.Operand for any value: nil (the zero Arg) is always ok.
func (b *Builder) operand(c *Column, v any) (Arg, bool) {
	v = value.Normalize(v)
	if v == nil {
		return Arg{}, true
	}
	return b.d.Operand(c, v)
}

func (b *Builder) cmp(t *Table, c *relaybase.Cmp) error {
	col, ok := t.Column(c.Field)
	if !ok {
		return t.Def.UnknownField(c.Field)
	}
	q := col.Quoted
	switch c.Op {
	case relaybase.OpEq, relaybase.OpNe:
		a, ok := b.operand(col, c.Value)
		eq := c.Op == relaybase.OpEq
		switch {
		case !ok:
			b.literal(!eq)
		case a.V == nil && eq:
			b.WriteString(q + " IS NULL")
		case a.V == nil:
			b.WriteString(q + " IS NOT NULL")
		case eq:
			b.WriteString(q + " = ")
			b.Param(a)
		default:
			// Not equal to a value: null fields count too.
			b.WriteString(q + b.d.DistinctFrom())
			b.Param(a)
		}
	case relaybase.OpLt, relaybase.OpLe, relaybase.OpGt, relaybase.OpGe:
		a, ok := b.operand(col, c.Value)
		if !ok || a.V == nil || col.Kind == KindJSON {
			b.literal(false) // null and other types don't order: the comparison is false
			return nil
		}
		b.WriteString(q + " " + string(c.Op) + " ")
		b.Param(a)
	case relaybase.OpBetween:
		bounds, ok := value.Normalize(c.Value).([]any)
		if !ok || len(bounds) != 2 {
			return relaybase.InputError(c.Field, "between needs two bounds [lo, hi] (table %q, field %q).", t.Name, c.Field)
		}
		lo, okLo := b.operand(col, bounds[0])
		hi, okHi := b.operand(col, bounds[1])
		if !okLo || !okHi || lo.V == nil || hi.V == nil || col.Kind == KindJSON {
			b.literal(false)
			return nil
		}
		b.WriteString(q + " BETWEEN ")
		b.Param(lo)
		b.WriteString(" AND ")
		b.Param(hi)
	case relaybase.OpIn, relaybase.OpNotIn:
		list, ok := value.Normalize(c.Value).([]any)
		if !ok {
			return relaybase.InputError(c.Field, "%s needs an array (table %q, field %q).", c.Op, t.Name, c.Field)
		}
		if c.Op == relaybase.OpNotIn {
			b.WriteString("((")
			b.in(col, list)
			b.notTrue()
			return nil
		}
		b.in(col, list)
	case relaybase.OpIncludes:
		s, ok := includesOperand(c.Value)
		if !ok || !b.d.Includes(b, col, s) {
			b.literal(false)
		}
	case relaybase.OpContains:
		switch col.Kind {
		case KindText:
			s, ok := c.Value.(string)
			if !ok || !b.d.ContainsText(b, col, s) {
				b.literal(false)
			}
		case KindJSON:
			wrote, err := b.d.ContainsJSON(b, col, value.Normalize(c.Value))
			if err != nil {
				return err
			}
			if !wrote {
				b.literal(false)
			}
		default:
			b.literal(false)
		}
	case relaybase.OpOverlaps:
		list, ok := value.Normalize(c.Value).([]any)
		if !ok {
			return relaybase.InputError(c.Field, "overlaps needs an array (table %q, field %q).", t.Name, c.Field)
		}
		wrote := false
		if col.Kind == KindJSON && len(list) > 0 {
			var err error
			if wrote, err = b.d.Overlaps(b, col, list); err != nil {
				return err
			}
		}
		if !wrote {
			b.literal(false)
		}
	default:
		return relaybase.InputError(c.Field, "Unknown comparison %q (table %q, field %q).", c.Op, t.Name, c.Field)
	}
	return nil
}

// in writes "col equals one of list", where null in the list matches null.
func (b *Builder) in(col *Column, list []any) {
	var hasNull bool
	var vals []Arg
	for _, e := range list {
		a, ok := b.operand(col, e)
		switch {
		case !ok:
		case a.V == nil:
			hasNull = true
		case a.K == col.Kind: // else a fraction, which no int equals
			vals = append(vals, a)
		}
	}
	both := len(vals) > 0 && hasNull
	if both {
		b.WriteString("(")
	}
	if len(vals) > 0 {
		b.d.In(b, col, vals)
	}
	if both {
		b.WriteString(" OR ")
	}
	switch {
	case hasNull:
		b.WriteString(col.Quoted + " IS NULL")
	case len(vals) == 0:
		b.literal(false)
	}
	if both {
		b.WriteString(")")
	}
}

// includesOperand is the text includes looks for: a text, or a number or bool as text.
func includesOperand(v any) (string, bool) {
	switch x := value.Normalize(v).(type) {
	case string:
		return x, true
	case int64, float64, bool:
		return value.ToText(x), true
	}
	return "", false
}

// EscapeLike escapes LIKE's wildcards with backslash (ESCAPE '\' in SQLite; PostgreSQL's
// default escape).
func EscapeLike(s string) string {
	if !strings.ContainsAny(s, `%_\`) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if r == '%' || r == '_' || r == '\\' {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
