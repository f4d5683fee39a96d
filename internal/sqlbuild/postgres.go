package sqlbuild

import (
	"math"
	"strconv"

	"relaybase"
	"relaybase/value"
)

// postgresDialect is PostgreSQL's Dialect: $n placeholders, each with the cast that fixes
// its type (so that a statement means the same whatever the driver guesses), TRUE/FALSE,
// IS DISTINCT FROM, explicit null ordering, jsonb element tests. fold is the quoted
// collation whose lower() folds Unicode (for includes).
type postgresDialect struct{ fold string }

// Postgres is the Dialect of store/postgres; fold is the quoted collation whose lower()
// folds Unicode, for includes.
func Postgres(fold string) Dialect { return postgresDialect{fold: fold} }

// Limits: PostgreSQL cuts identifiers longer than NAMEDATALEN-1 (63) bytes silently, so
// they are refused; its text and jsonb refuse NUL, and text invalid UTF-8.
func (postgresDialect) Limits() relaybase.StoreLimits {
	return relaybase.StoreLimits{Database: "PostgreSQL", MaxName: 63, StrictText: true}
}

func (postgresDialect) Param(n int, k Kind) string { return "$" + strconv.Itoa(n) + pgCast(k) }

func (postgresDialect) Literal(v bool) string {
	if v {
		return "TRUE"
	}
	return "FALSE"
}

func (postgresDialect) BoolValue(v bool) any { return v }
func (postgresDialect) DistinctFrom() string { return " IS DISTINCT FROM " }
func (postgresDialect) NoLimit() any         { return nil }
func (postgresDialect) Order(desc bool) string {
	if desc {
		return " DESC NULLS LAST"
	}
	return " ASC NULLS FIRST"
}

// RestartIDs restarts the identity of id: transactional (undone by a rollback), but it
// locks the table until the transaction ends.
func (postgresDialect) RestartIDs(t *Table) Stmt {
	return Stmt{SQL: "ALTER TABLE " + t.Quoted + ` ALTER COLUMN "id" RESTART WITH 1`}
}

// Operand: an int column compares with whole numbers as bigint and with fractions (or
// numbers beyond int64) as double precision; text no column can hold (NUL, invalid UTF-8)
// equals nothing.
func (postgresDialect) Operand(c *Column, v any) (Arg, bool) {
	switch c.Kind {
	case KindJSON:
		if !relaybase.StorableJSON(v) {
			return Arg{}, false
		}
		b, err := value.EncodeJSON(v)
		if err != nil {
			return Arg{}, false
		}
		return Arg{V: string(b), K: KindJSON}, true
	case KindInt:
		if i, isInt := relaybase.AsInt(v); isInt {
			return Arg{V: i, K: KindInt}, true
		}
		if f, isNum := v.(float64); isNum && !math.IsNaN(f) {
			return Arg{V: f, K: KindReal}, true
		}
	case KindReal:
		if f, isNum := value.AsFloat(v); isNum {
			return Arg{V: f, K: KindReal}, true
		}
	case KindBool:
		if x, isBool := v.(bool); isBool {
			return Arg{V: x, K: KindBool}, true
		}
	case KindText:
		if s, isText := v.(string); isText && relaybase.StorableText(s) {
			return Arg{V: s, K: KindText}, true
		}
	}
	return Arg{}, false
}

// In sends the values as one array parameter of the column's type, so that lists of any
// length share one statement.
func (postgresDialect) In(b *Builder, c *Column, vals []Arg) {
	var arg any
	arrayCast := pgCast(c.Kind) + "[]"
	switch c.Kind {
	case KindInt:
		arg = listOf[int64](vals)
	case KindReal:
		arg = listOf[float64](vals)
	case KindBool:
		arg = listOf[bool](vals)
	case KindJSON:
		arg, arrayCast = listOf[string](vals), "::text[]::jsonb[]"
	default:
		arg = listOf[string](vals)
	}
	n := b.AddArg(arg)
	b.WriteString(c.Quoted + " = ANY ($" + strconv.Itoa(n) + arrayCast + ")")
}

func listOf[T any](vals []Arg) []T {
	out := make([]T, len(vals))
	for i, a := range vals {
		out[i] = a.V.(T)
	}
	return out
}

// Includes: ILIKE (wildcards escaped), which folds case with lower() of the collation, which
// the collation makes Unicode-aware; on a text array, an element equal to s ignoring case.
func (d postgresDialect) Includes(b *Builder, c *Column, s string) bool {
	if !relaybase.StorableText(s) {
		return false
	}
	if c.Kind == KindJSON && c.Field.Array {
		b.WriteString("EXISTS (SELECT 1 FROM jsonb_array_elements(" + c.Quoted + ") AS e(v) WHERE jsonb_typeof(e.v) = 'string' AND " +
			"lower((e.v #>> '{}') COLLATE " + d.fold + ") = lower(")
		b.Param(Arg{V: s, K: KindText})
		b.WriteString(" COLLATE " + d.fold + "))")
		return true
	}
	subject := c.Quoted
	if c.Kind != KindText {
		subject = "(" + c.Quoted + ")::text"
	}
	b.WriteString("(" + subject + " COLLATE " + d.fold + ") ILIKE ")
	b.Param(Arg{V: "%" + EscapeLike(s) + "%", K: KindText})
	return true
}

func (postgresDialect) ContainsText(b *Builder, c *Column, s string) bool {
	if !relaybase.StorableText(s) {
		return false
	}
	b.WriteString("strpos(" + c.Quoted + ", ")
	b.Param(Arg{V: s, K: KindText})
	b.WriteString(") > 0")
	return true
}

func (postgresDialect) ContainsJSON(b *Builder, c *Column, v any) (bool, error) {
	if !relaybase.StorableJSON(v) {
		return false, nil
	}
	switch v.(type) {
	case []any, *value.Object:
	default:
		if c.Field.Array {
			// For a scalar, jsonb containment is element equality, and a GIN index serves it.
			js, err := value.EncodeJSON([]any{v})
			if err != nil {
				return false, err
			}
			b.WriteString(c.Quoted + " @> ")
			b.Param(Arg{V: string(js), K: KindJSON})
			return true, nil
		}
	}
	return true, postgresElements(b, c, []any{v})
}

func (postgresDialect) Overlaps(b *Builder, c *Column, list []any) (bool, error) {
	if !relaybase.StorableJSON(list) {
		return false, nil
	}
	return true, postgresElements(b, c, list)
}

// elements writes "the JSON array in the column has an element equal to one of vals": jsonb
// equality, so types must match, ints and decimals compare by value, and objects compare
// member by member. A json field holding an object offers its values, one holding a scalar
// the scalar itself (as SQLite's json_each does).
func postgresElements(b *Builder, c *Column, vals []any) error {
	js, err := value.EncodeJSON(vals)
	if err != nil {
		return err
	}
	q := c.Quoted
	arr := q
	if !c.Field.Array {
		arr = "CASE jsonb_typeof(" + q + ") WHEN 'array' THEN " + q + " WHEN 'object' THEN jsonb_path_query_array(" + q +
			", '$.*') ELSE jsonb_build_array(" + q + ") END"
	}
	b.WriteString("EXISTS (SELECT 1 FROM jsonb_array_elements(" + arr + ") AS e(v) WHERE e.v IN (SELECT jsonb_array_elements(")
	b.Param(Arg{V: string(js), K: KindJSON})
	b.WriteString(")))")
	return nil
}

// pgCast is the cast a parameter of this kind is written with. jsonb travels as text and is
// parsed by the server, so the driver never reinterprets it.
func pgCast(k Kind) string {
	switch k {
	case KindInt:
		return "::bigint"
	case KindReal:
		return "::double precision"
	case KindBool:
		return "::boolean"
	case KindJSON:
		return "::text::jsonb"
	}
	return "::text"
}
