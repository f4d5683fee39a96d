package postgres

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"

	"relaybase"
	"relaybase/value"
)

// builder accumulates SQL text and its parameters ($1, $2 ...).
type builder struct {
	strings.Builder
	args []any
	fold string // the quoted collation whose lower() folds Unicode
}

// param writes a placeholder for v with the cast that fixes its type.
func (b *builder) param(v any, cast string) {
	b.args = append(b.args, v)
	b.WriteString("$" + strconv.Itoa(len(b.args)) + cast)
}

// cond writes c as an SQL boolean expression. Every expression it writes is TRUE when the
// condition holds under XanoScript's rules and FALSE or NULL when it doesn't; since NULL
// only ever means "doesn't hold", AND and OR combine them correctly and Not turns them into
// exactly TRUE or FALSE with IS NOT TRUE (plain SQL NOT would keep NULL, so that !(x < 5)
// would miss rows where x is null, which XanoScript counts).
func (b *builder) cond(t *table, c relaybase.Cond) error {
	switch c := c.(type) {
	case nil:
		b.WriteString("TRUE")
	case relaybase.And:
		return b.join(t, []relaybase.Cond(c), " AND ", "TRUE")
	case *relaybase.And:
		return b.join(t, []relaybase.Cond(*c), " AND ", "TRUE")
	case relaybase.Or:
		return b.join(t, []relaybase.Cond(c), " OR ", "FALSE")
	case *relaybase.Or:
		return b.join(t, []relaybase.Cond(*c), " OR ", "FALSE")
	case *relaybase.Not:
		b.WriteString("((")
		if err := b.cond(t, c.C); err != nil {
			return err
		}
		b.WriteString(") IS NOT TRUE)")
	case *relaybase.Cmp:
		return b.cmp(t, c)
	default:
		return fmt.Errorf("postgres: unknown condition %T", c)
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

// operand converts a comparison value into what the column would store for it, with the
// cast of its parameter. ok is false when the value's type can't equal or be ordered
// against the field's values (XanoScript compares type-strictly: "1" == 1 is false), so
// the comparison is simply false; also for text that no column can hold (NUL, invalid
// UTF-8), which therefore equals nothing.
func operand(c *column, v any) (arg any, cast string, ok bool) {
	v = value.Normalize(v)
	if v == nil {
		return nil, "", true
	}
	switch c.kind {
	case kindJSON:
		if !relaybase.StorableJSON(v) {
			return nil, "", false
		}
		b, err := value.EncodeJSON(v)
		if err != nil {
			return nil, "", false
		}
		return string(b), kindJSON.cast(), true
	case kindInt:
		if i, isInt := relaybase.AsInt(v); isInt {
			return i, kindInt.cast(), true
		}
		if f, isNum := v.(float64); isNum && !math.IsNaN(f) {
			// A fraction (or a number beyond int64): compare as decimals.
			return f, kindReal.cast(), true
		}
	case kindReal:
		if f, isNum := value.AsFloat(v); isNum {
			return f, kindReal.cast(), true
		}
	case kindBool:
		if x, isBool := v.(bool); isBool {
			return x, kindBool.cast(), true
		}
	case kindText:
		if s, isText := v.(string); isText && relaybase.StorableText(s) {
			return s, kindText.cast(), true
		}
	}
	return nil, "", false
}

func (b *builder) cmp(t *table, c *relaybase.Cmp) error {
	col, ok := t.column(c.Field)
	if !ok {
		return unknownField(t, c.Field)
	}
	q := col.quoted
	switch c.Op {
	case relaybase.OpEq, relaybase.OpNe:
		v, cast, ok := operand(col, c.Value)
		eq := c.Op == relaybase.OpEq
		switch {
		case !ok && eq:
			b.WriteString("FALSE")
		case !ok:
			b.WriteString("TRUE")
		case v == nil && eq:
			b.WriteString(q + " IS NULL")
		case v == nil:
			b.WriteString(q + " IS NOT NULL")
		case eq:
			b.WriteString(q + " = ")
			b.param(v, cast)
		default:
			// Not equal to a value: null fields count too.
			b.WriteString(q + " IS DISTINCT FROM ")
			b.param(v, cast)
		}
	case relaybase.OpLt, relaybase.OpLe, relaybase.OpGt, relaybase.OpGe:
		v, cast, ok := operand(col, c.Value)
		if !ok || v == nil || col.kind == kindJSON {
			b.WriteString("FALSE") // null and other types don't order: the comparison is false
			return nil
		}
		b.WriteString(q + " " + string(c.Op) + " ")
		b.param(v, cast)
	case relaybase.OpBetween:
		bounds, ok := value.Normalize(c.Value).([]any)
		if !ok || len(bounds) != 2 {
			return relaybase.InputError(c.Field, "between needs two bounds [lo, hi] (table %q, field %q).", t.name, c.Field)
		}
		lo, loCast, okLo := operand(col, bounds[0])
		hi, hiCast, okHi := operand(col, bounds[1])
		if !okLo || !okHi || lo == nil || hi == nil || col.kind == kindJSON {
			b.WriteString("FALSE")
			return nil
		}
		b.WriteString(q + " BETWEEN ")
		b.param(lo, loCast)
		b.WriteString(" AND ")
		b.param(hi, hiCast)
	case relaybase.OpIn, relaybase.OpNotIn:
		list, ok := value.Normalize(c.Value).([]any)
		if !ok {
			return relaybase.InputError(c.Field, "%s needs an array (table %q, field %q).", c.Op, t.name, c.Field)
		}
		if c.Op == relaybase.OpNotIn {
			b.WriteString("((")
		}
		b.in(col, list)
		if c.Op == relaybase.OpNotIn {
			b.WriteString(") IS NOT TRUE)")
		}
	case relaybase.OpIncludes:
		s, ok := includesOperand(c.Value)
		if !ok || !relaybase.StorableText(s) {
			b.WriteString("FALSE")
			return nil
		}
		if col.kind == kindJSON && col.field.Array {
			// An element equal to the text, ignoring case.
			b.WriteString("EXISTS (SELECT 1 FROM jsonb_array_elements(" + q + ") AS e(v) WHERE jsonb_typeof(e.v) = 'string' AND " +
				"lower((e.v #>> '{}') COLLATE " + b.fold + ") = lower(")
			b.param(s, "::text COLLATE "+b.fold)
			b.WriteString("))")
			return nil
		}
		subject := q
		if col.kind != kindText {
			subject = "(" + q + ")::text"
		}
		// ILIKE folds case with lower() of the collation, which the collation makes Unicode-aware.
		b.WriteString("(" + subject + " COLLATE " + b.fold + ") ILIKE ")
		b.param("%"+escapeLike(s)+"%", "::text")
	case relaybase.OpContains:
		if col.kind == kindText {
			s, ok := c.Value.(string)
			if !ok || !relaybase.StorableText(s) {
				b.WriteString("FALSE")
				return nil
			}
			b.WriteString("strpos(" + q + ", ")
			b.param(s, "::text")
			b.WriteString(") > 0")
			return nil
		}
		if col.kind != kindJSON {
			b.WriteString("FALSE")
			return nil
		}
		v := value.Normalize(c.Value)
		if !relaybase.StorableJSON(v) {
			b.WriteString("FALSE")
			return nil
		}
		switch v.(type) {
		case []any, *value.Object:
		default:
			if col.field.Array {
				// For a scalar, jsonb containment is element equality, and a GIN index serves it.
				js, err := value.EncodeJSON([]any{v})
				if err != nil {
					return err
				}
				b.WriteString(q + " @> ")
				b.param(string(js), kindJSON.cast())
				return nil
			}
		}
		return b.elements(col, []any{v})
	case relaybase.OpOverlaps:
		list, ok := value.Normalize(c.Value).([]any)
		if !ok {
			return relaybase.InputError(c.Field, "overlaps needs an array (table %q, field %q).", t.name, c.Field)
		}
		if col.kind != kindJSON || len(list) == 0 || !relaybase.StorableJSON(list) {
			b.WriteString("FALSE")
			return nil
		}
		return b.elements(col, list)
	default:
		return relaybase.InputError(c.Field, "Unknown comparison %q (table %q, field %q).", c.Op, t.name, c.Field)
	}
	return nil
}

// in writes "the column equals one of list" (null in the list matches null). The values go
// as one array parameter of the column's type, so every list shares one statement.
func (b *builder) in(col *column, list []any) {
	var hasNull bool
	var ints []int64
	var reals []float64
	var bools []bool
	var texts []string // text, or JSON text for jsonb
	for _, e := range list {
		v, _, ok := operand(col, e)
		switch {
		case !ok:
		case v == nil:
			hasNull = true
		default:
			switch x := v.(type) {
			case int64:
				ints = append(ints, x)
			case float64:
				if col.kind == kindReal {
					reals = append(reals, x)
				} // else a fraction, which no int equals
			case bool:
				bools = append(bools, x)
			case string:
				texts = append(texts, x)
			}
		}
	}
	var parts []string
	var arg any
	var cast string
	switch {
	case len(ints) > 0:
		arg, cast = ints, "::bigint[]"
	case len(reals) > 0:
		arg, cast = reals, "::double precision[]"
	case len(bools) > 0:
		arg, cast = bools, "::boolean[]"
	case len(texts) > 0 && col.kind == kindJSON:
		arg, cast = texts, "::text[]::jsonb[]"
	case len(texts) > 0:
		arg, cast = texts, "::text[]"
	}
	if arg != nil {
		b.args = append(b.args, arg)
		parts = append(parts, col.quoted+" = ANY ($"+strconv.Itoa(len(b.args))+cast+")")
	}
	if hasNull {
		parts = append(parts, col.quoted+" IS NULL")
	}
	switch len(parts) {
	case 0:
		b.WriteString("FALSE")
	case 1:
		b.WriteString(parts[0])
	default:
		b.WriteString("(" + strings.Join(parts, " OR ") + ")")
	}
}

// elements writes "the JSON array in the column has an element equal to one of vals": jsonb
// equality, so types must match, ints and decimals compare by value, and objects compare
// member by member. A json field holding an object offers its values, one holding a scalar
// the scalar itself (as SQLite's json_each does).
func (b *builder) elements(col *column, vals []any) error {
	js, err := value.EncodeJSON(vals)
	if err != nil {
		return err
	}
	q := col.quoted
	arr := q
	if !col.field.Array {
		arr = "CASE jsonb_typeof(" + q + ") WHEN 'array' THEN " + q + " WHEN 'object' THEN jsonb_path_query_array(" + q +
			", '$.*') ELSE jsonb_build_array(" + q + ") END"
	}
	b.WriteString("EXISTS (SELECT 1 FROM jsonb_array_elements(" + arr + ") AS e(v) WHERE e.v IN (SELECT jsonb_array_elements(")
	b.param(string(js), kindJSON.cast())
	b.WriteString(")))")
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

// escapeLike escapes LIKE's wildcards with backslash (PostgreSQL's default escape).
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
	b := builder{fold: tx.db.fold}
	if err := b.cond(t, q.Where); err != nil {
		return nil, err
	}
	where := b.String()
	whereArgs := b.args

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
			order.WriteString(" DESC NULLS LAST")
		} else {
			order.WriteString(" ASC NULLS FIRST")
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
		var limit any // NULL: no limit
		if q.Limit > 0 {
			limit = int64(q.Limit)
		}
		n := len(args)
		sqlText += " LIMIT $" + strconv.Itoa(n+1) + "::bigint OFFSET $" + strconv.Itoa(n+2) + "::bigint"
		args = append(args[:n:n], limit, int64(max(q.Offset, 0)))
	}
	found, err := tx.queryRows(ctx, t, sqlText, args...)
	if err != nil {
		return nil, tx.db.fail("query "+t.name, err)
	}
	res := &relaybase.QueryResult{Rows: found}
	if found == nil {
		res.Rows = []*value.Object{}
	}
	if q.Total {
		if err := tx.c.QueryRow(ctx, "SELECT count(*) FROM "+t.quoted+" WHERE "+where, whereArgs...).
			Scan(&res.Total); err != nil {
			return nil, tx.db.fail("query "+t.name, err)
		}
	}
	return res, nil
}
