package sqlite

import (
	"context"
	"database/sql/driver"
	"fmt"
	"strings"

	sqlite3 "modernc.org/sqlite"

	"relaybase"
	"relaybase/value"
)

// builder accumulates SQL text and its parameters.
type builder struct {
	strings.Builder
	args []any
}

func (b *builder) Reset() {
	b.Builder.Reset()
	b.args = b.args[:0]
}

// cond writes c as an SQL boolean expression. Every expression it writes is 1 when the
// condition holds under XanoScript's rules and 0 or NULL when it doesn't; since NULL only
// ever means "doesn't hold", AND and OR combine them correctly and Not turns them into
// exactly 0 or 1 with IS NOT 1 (plain SQL NOT would keep NULL, so that !(x < 5) would miss
// rows where x is null, which XanoScript counts).
func (b *builder) cond(t *table, c relaybase.Cond) error {
	switch c := c.(type) {
	case nil:
		b.WriteString("1")
	case relaybase.And:
		return b.join(t, []relaybase.Cond(c), " AND ", "1")
	case *relaybase.And:
		return b.join(t, []relaybase.Cond(*c), " AND ", "1")
	case relaybase.Or:
		return b.join(t, []relaybase.Cond(c), " OR ", "0")
	case *relaybase.Or:
		return b.join(t, []relaybase.Cond(*c), " OR ", "0")
	case *relaybase.Not:
		b.WriteString("((")
		if err := b.cond(t, c.C); err != nil {
			return err
		}
		b.WriteString(") IS NOT 1)")
	case *relaybase.Cmp:
		return b.cmp(t, c)
	default:
		return fmt.Errorf("sqlite: unknown condition %T", c)
	}
	return nil
}

func (b *builder) join(t *table, cs []relaybase.Cond, op, empty string) error {
	if len(cs) == 0 {
		b.WriteString(empty)
		return nil
	}
	b.WriteByte('(')
	for i, c := range cs {
		if i > 0 {
			b.WriteString(op)
		}
		if err := b.cond(t, c); err != nil {
			return err
		}
	}
	b.WriteByte(')')
	return nil
}

// operand converts a comparison value into what the column would store for it. ok is false
// when the value's type can't equal or be ordered against the field's values (XanoScript
// compares type-strictly: "1" == 1 is false), so the comparison is simply false.
func operand(c *column, v any) (any, bool) {
	v = value.Normalize(v)
	if v == nil {
		return nil, true
	}
	if c.kind == kindJSON {
		b, err := value.EncodeJSON(v)
		if err != nil {
			return nil, false
		}
		return string(b), true
	}
	switch c.kind {
	case kindInt, kindReal:
		if value.IsNumber(v) {
			return v, true
		}
	case kindBool:
		if x, ok := v.(bool); ok {
			if x {
				return int64(1), true
			}
			return int64(0), true
		}
	case kindText:
		if s, ok := v.(string); ok {
			return s, true
		}
	}
	return nil, false
}

func (b *builder) cmp(t *table, c *relaybase.Cmp) error {
	col, ok := t.column(c.Field)
	if !ok {
		return unknownField(t, c.Field)
	}
	q := col.quoted
	switch c.Op {
	case relaybase.OpEq, relaybase.OpNe:
		v, ok := operand(col, c.Value)
		eq := c.Op == relaybase.OpEq
		switch {
		case !ok && eq:
			b.WriteString("0")
		case !ok:
			b.WriteString("1")
		case v == nil && eq:
			b.WriteString(q + " IS NULL")
		case v == nil:
			b.WriteString(q + " IS NOT NULL")
		case eq:
			b.WriteString(q + " = ?")
			b.args = append(b.args, v)
		default:
			// Not equal to a value: null fields count too.
			b.WriteString(q + " IS NOT ?")
			b.args = append(b.args, v)
		}
	case relaybase.OpLt, relaybase.OpLe, relaybase.OpGt, relaybase.OpGe:
		v, ok := operand(col, c.Value)
		if !ok || v == nil || col.kind == kindJSON {
			b.WriteString("0") // null and other types don't order: the comparison is false
			return nil
		}
		b.WriteString(q + " " + string(c.Op) + " ?")
		b.args = append(b.args, v)
	case relaybase.OpBetween:
		bounds, ok := value.Normalize(c.Value).([]any)
		if !ok || len(bounds) != 2 {
			return relaybase.InputError(c.Field, "between needs two bounds [lo, hi] (table %q, field %q).", t.name, c.Field)
		}
		lo, okLo := operand(col, bounds[0])
		hi, okHi := operand(col, bounds[1])
		if !okLo || !okHi || lo == nil || hi == nil || col.kind == kindJSON {
			b.WriteString("0")
			return nil
		}
		b.WriteString(q + " BETWEEN ? AND ?")
		b.args = append(b.args, lo, hi)
	case relaybase.OpIn, relaybase.OpNotIn:
		list, ok := value.Normalize(c.Value).([]any)
		if !ok {
			return relaybase.InputError(c.Field, "%s needs an array (table %q, field %q).", c.Op, t.name, c.Field)
		}
		if c.Op == relaybase.OpNotIn {
			b.WriteString("((")
		}
		var hasNull bool
		var vals []any
		for _, e := range list {
			v, ok := operand(col, e)
			switch {
			case !ok:
			case v == nil:
				hasNull = true
			default:
				vals = append(vals, v)
			}
		}
		var parts []string
		if len(vals) > 0 {
			parts = append(parts, q+" IN ("+strings.TrimSuffix(strings.Repeat("?,", len(vals)), ",")+")")
			b.args = append(b.args, vals...)
		}
		if hasNull {
			parts = append(parts, q+" IS NULL")
		}
		switch len(parts) {
		case 0:
			b.WriteString("0")
		case 1:
			b.WriteString(parts[0])
		default:
			b.WriteString("(" + strings.Join(parts, " OR ") + ")")
		}
		if c.Op == relaybase.OpNotIn {
			b.WriteString(") IS NOT 1)")
		}
	case relaybase.OpIncludes:
		s, ok := includesOperand(c.Value)
		if !ok {
			b.WriteString("0")
			return nil
		}
		if col.kind == kindJSON && col.field.Array {
			return b.elements(q, []any{s}, true)
		}
		if isASCII(s) {
			// LIKE folds ASCII letters, which is all an ASCII needle needs, and runs in SQLite.
			b.WriteString(q + ` LIKE ? ESCAPE '\'`)
			b.args = append(b.args, "%"+escapeLike(s)+"%")
			return nil
		}
		b.WriteString("instr(" + lowerFunc + "(" + q + "), ?) > 0")
		b.args = append(b.args, strings.ToLower(s))
	case relaybase.OpContains:
		if col.kind == kindText {
			s, ok := c.Value.(string)
			if !ok {
				b.WriteString("0")
				return nil
			}
			b.WriteString("instr(" + q + ", ?) > 0")
			b.args = append(b.args, s)
			return nil
		}
		if col.kind != kindJSON {
			b.WriteString("0")
			return nil
		}
		return b.elements(q, []any{value.Normalize(c.Value)}, false)
	case relaybase.OpOverlaps:
		list, ok := value.Normalize(c.Value).([]any)
		if !ok {
			return relaybase.InputError(c.Field, "overlaps needs an array (table %q, field %q).", t.name, c.Field)
		}
		if col.kind != kindJSON || len(list) == 0 {
			b.WriteString("0")
			return nil
		}
		return b.elements(q, list, false)
	default:
		return relaybase.InputError(c.Field, "Unknown comparison %q (table %q, field %q).", c.Op, t.name, c.Field)
	}
	return nil
}

// elements writes "the JSON array in column q has an element equal to one of vals": type
// and value must match, ints and decimals compare by value, objects and arrays by their
// JSON text. fold compares text case-insensitively (includes on a text array).
func (b *builder) elements(q string, vals []any, fold bool) error {
	js, err := value.EncodeJSON(vals)
	if err != nil {
		return err
	}
	eq := "a.value = v.value"
	if fold {
		eq = "lower(a.value) = lower(v.value)"
	}
	b.WriteString("EXISTS (SELECT 1 FROM json_each(" + q + ") AS a, json_each(?) AS v WHERE " +
		"(a.type = v.type OR (a.type IN ('integer','real') AND v.type IN ('integer','real'))) AND " +
		"(a.type IN ('null','true','false') OR " + eq + "))")
	b.args = append(b.args, string(js))
	return nil
}

func includesOperand(v any) (string, bool) {
	switch x := value.Normalize(v).(type) {
	case string:
		return x, true
	case int64, float64, bool:
		return value.ToText(x), true
	}
	return "", false
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// lowerFunc is SQL's lower() with Unicode case mapping (SQLite's own maps ASCII only), so
// that includes folds "É" like Go and PostgreSQL do.
const lowerFunc = "relaybase_lower"

func init() {
	sqlite3.MustRegisterDeterministicScalarFunction(lowerFunc, 1,
		func(_ *sqlite3.FunctionContext, args []driver.Value) (driver.Value, error) {
			switch s := args[0].(type) {
			case string:
				return strings.ToLower(s), nil
			case []byte:
				return strings.ToLower(string(s)), nil
			}
			return args[0], nil
		})
}

// escapeLike escapes LIKE's wildcards with backslash.
func escapeLike(s string) string {
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

// Query runs a query: rows in the asked order (then by id), a page of them, and the total.
// Nulls sort first ascending and last descending.
func (tx *Tx) Query(ctx context.Context, q *relaybase.Query) (*relaybase.QueryResult, error) {
	t, err := tx.table(q.Table)
	if err != nil {
		return nil, err
	}
	var b builder
	if err := b.cond(t, q.Where); err != nil {
		return nil, err
	}
	where := b.String()
	whereArgs := append([]any(nil), b.args...)

	var order strings.Builder
	byID := false
	for i, k := range q.Sort {
		c, ok := t.column(k.Field)
		if !ok {
			return nil, unknownField(t, k.Field)
		}
		if i > 0 {
			order.WriteByte(',')
		}
		order.WriteString(c.quoted)
		if k.Desc {
			order.WriteString(" DESC")
		}
		if c.name == "id" {
			byID = true
			break // id is unique: later keys change nothing
		}
	}
	if !byID {
		if order.Len() > 0 {
			order.WriteByte(',')
		}
		order.WriteString(`"id"`)
	}
	sqlText := "SELECT " + t.selCols + " FROM " + t.quoted + " WHERE " + where + " ORDER BY " + order.String()
	args := whereArgs
	if q.Limit > 0 || q.Offset > 0 {
		limit := int64(q.Limit)
		if limit <= 0 {
			limit = -1
		}
		sqlText += " LIMIT ? OFFSET ?"
		args = append(args[:len(args):len(args)], limit, int64(max(q.Offset, 0)))
	}
	rows, err := tx.c.query(ctx, sqlText, args...)
	if err != nil {
		return nil, tx.db.fail("query "+t.name, err)
	}
	found, err := scanRows(t, rows)
	if err != nil {
		return nil, tx.db.fail("query "+t.name, err)
	}
	res := &relaybase.QueryResult{Rows: found}
	if found == nil {
		res.Rows = []*value.Object{}
	}
	if q.Total {
		if err := tx.c.queryRow(ctx, "SELECT COUNT(*) FROM "+t.quoted+" WHERE "+where, whereArgs...).
			Scan(&res.Total); err != nil {
			return nil, tx.db.fail("query "+t.name, err)
		}
	}
	return res, nil
}
