package sqlbuild

import (
	"strings"

	"relaybase"
	"relaybase/value"
)

// sqliteDialect is SQLite's Dialect: ? placeholders (SQLite types values by what they are,
// so no casts), 1/0 for true/false, IS NOT for "distinct from", JSON elements through
// json_each, includes through LIKE (ASCII) or SQLiteLower.
type sqliteDialect struct{}

// SQLite is the Dialect of store/sqlite.
var SQLite Dialect = sqliteDialect{}

func (sqliteDialect) Limits() relaybase.StoreLimits { return relaybase.StoreLimits{Database: "SQLite"} }
func (sqliteDialect) Param(int, Kind) string        { return "?" }

func (sqliteDialect) Literal(v bool) string {
	if v {
		return "1"
	}
	return "0"
}

func (sqliteDialect) BoolValue(v bool) any {
	if v {
		return int64(1)
	}
	return int64(0)
}

func (sqliteDialect) DistinctFrom() string { return " IS NOT " }
func (sqliteDialect) NoLimit() any         { return int64(-1) }

// RestartIDs: AUTOINCREMENT keeps a table's highest id in sqlite_sequence.
func (sqliteDialect) RestartIDs(t *Table) Stmt {
	return Stmt{"DELETE FROM sqlite_sequence WHERE name = ?", []any{t.Name}}
}

// Order: SQLite sorts nulls first ascending and last descending by itself.
func (sqliteDialect) Order(desc bool) string {
	if desc {
		return " DESC"
	}
	return ""
}

// Operand: numbers compare with int and decimal columns by value as they are; a bool is
// 0/1; JSON compares by its text.
func (sqliteDialect) Operand(c *Column, v any) (Arg, bool) {
	switch c.Kind {
	case KindJSON:
		b, err := value.EncodeJSON(v)
		if err != nil {
			return Arg{}, false
		}
		return Arg{V: string(b), K: c.Kind}, true
	case KindInt, KindReal:
		if value.IsNumber(v) {
			return Arg{V: v, K: c.Kind}, true
		}
	case KindBool:
		if x, ok := v.(bool); ok {
			return Arg{V: sqliteDialect{}.BoolValue(x), K: c.Kind}, true
		}
	case KindText:
		if s, ok := v.(string); ok {
			return Arg{V: s, K: c.Kind}, true
		}
	}
	return Arg{}, false
}

func (sqliteDialect) In(b *Builder, c *Column, vals []Arg) {
	b.WriteString(c.Quoted + " IN (")
	for i, a := range vals {
		if i > 0 {
			b.WriteString(",")
		}
		b.Param(a)
	}
	b.WriteString(")")
}

func (sqliteDialect) Includes(b *Builder, c *Column, s string) bool {
	switch {
	case c.Kind == KindJSON && c.Field.Array:
		return sqliteElements(b, c, []any{s}, true) == nil
	case isASCII(s):
		// LIKE folds ASCII letters, which is all an ASCII needle needs, and runs in SQLite.
		b.WriteString(c.Quoted + ` LIKE `)
		b.Param(Arg{V: "%" + EscapeLike(s) + "%", K: KindText})
		b.WriteString(` ESCAPE '\'`)
	default:
		b.WriteString("instr(" + SQLiteLower + "(" + c.Quoted + "), ")
		b.Param(Arg{V: strings.ToLower(s), K: KindText})
		b.WriteString(") > 0")
	}
	return true
}

func (sqliteDialect) ContainsText(b *Builder, c *Column, s string) bool {
	b.WriteString("instr(" + c.Quoted + ", ")
	b.Param(Arg{V: s, K: KindText})
	b.WriteString(") > 0")
	return true
}

func (sqliteDialect) ContainsJSON(b *Builder, c *Column, v any) (bool, error) {
	return true, sqliteElements(b, c, []any{v}, false)
}

func (sqliteDialect) Overlaps(b *Builder, c *Column, list []any) (bool, error) {
	return true, sqliteElements(b, c, list, false)
}

// elements writes "the JSON in column c has an element equal to one of vals": type and
// value must match, ints and decimals compare by value, objects and arrays by their JSON
// text. fold compares text case-insensitively (includes on a text array).
func sqliteElements(b *Builder, c *Column, vals []any, fold bool) error {
	js, err := value.EncodeJSON(vals)
	if err != nil {
		return err
	}
	eq := "a.value = v.value"
	if fold {
		eq = SQLiteLower + "(a.value) = " + SQLiteLower + "(v.value)" // Unicode, as includes folds everywhere
	}
	b.WriteString("EXISTS (SELECT 1 FROM json_each(" + c.Quoted + ") AS a, json_each(")
	b.Param(Arg{V: string(js), K: KindJSON})
	b.WriteString(") AS v WHERE " +
		"(a.type = v.type OR (a.type IN ('integer','real') AND v.type IN ('integer','real'))) AND " +
		"(a.type IN ('null','true','false') OR " + eq + "))")
	return nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// SQLiteLower is the SQL function SQLite's includes calls: lower() with Unicode case
// mapping (SQLite's own maps ASCII only), so that includes folds "É" like Go and PostgreSQL
// do. store/sqlite registers it on its connections.
const SQLiteLower = "relaybase_lower"
