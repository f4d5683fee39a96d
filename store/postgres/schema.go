package postgres

import (
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"relaybase"
	"relaybase/value"
)

// kind is how a field's values are stored.
type kind int

const (
	kindInt  kind = iota // int, timestamp: bigint
	kindReal             // decimal: double precision
	kindBool             // bool: boolean
	kindText             // text, email, password, uuid, date, enum: text COLLATE "C"
	kindJSON             // json, object, T[]: jsonb
)

// kindOf returns how a field type is stored; ok is false for a type relaybase doesn't know.
func kindOf(t relaybase.FieldType, array bool) (kind, bool) {
	k, ok := scalarKind(t)
	if array && ok {
		return kindJSON, true
	}
	return k, ok
}

func scalarKind(t relaybase.FieldType) (kind, bool) {
	switch t {
	case relaybase.TypeInt, relaybase.TypeTimestamp:
		return kindInt, true
	case relaybase.TypeDecimal:
		return kindReal, true
	case relaybase.TypeBool:
		return kindBool, true
	case relaybase.TypeText, relaybase.TypeEmail, relaybase.TypePassword, relaybase.TypeUUID,
		relaybase.TypeDate, relaybase.TypeEnum:
		return kindText, true
	case relaybase.TypeJSON, relaybase.TypeObject:
		return kindJSON, true
	}
	return 0, false
}

// sqlType is the column type a kind is created with. Text columns sort and compare by
// code point (COLLATE "C", which for UTF-8 is byte order), as Go and SQLite do, whatever
// the database's locale.
func (k kind) sqlType() string {
	switch k {
	case kindInt:
		return "bigint"
	case kindReal:
		return "double precision"
	case kindBool:
		return "boolean"
	case kindJSON:
		return "jsonb"
	}
	return `text COLLATE "C"`
}

// typeName is the type as PostgreSQL's format_type() spells it (to compare with the catalog).
func (k kind) typeName() string {
	if k == kindText {
		return "text"
	}
	return k.sqlType()
}

// cast is the cast a parameter of this kind is written with. jsonb travels as text and is
// parsed by the server, so the driver never reinterprets it.
func (k kind) cast() string {
	switch k {
	case kindInt:
		return "::bigint"
	case kindReal:
		return "::double precision"
	case kindBool:
		return "::boolean"
	case kindJSON:
		return "::text::jsonb"
	}
	return "::text"
}

// column is one column of a workspace table as this package reads and writes it.
type column struct {
	name   string
	quoted string
	field  relaybase.Field
	kind   kind
}

// table is a migrated workspace table, with the SQL fragments that depend only on its schema.
type table struct {
	def     *relaybase.Table
	name    string
	quoted  string // schema-qualified
	seq     string // the id sequence, schema-qualified and quoted, as regclass text
	unique  bool   // has a unique index besides the primary key
	cols    []column
	byName  map[string]int
	selCols string // "id","a","b"
}

func (t *table) column(name string) (*column, bool) {
	i, ok := t.byName[name]
	if !ok {
		return nil, false
	}
	return &t.cols[i], true
}

// schema is every migrated table by name. It is replaced whole by Migrate, never changed.
type schema struct {
	tables map[string]*table
}

func newTable(nsp string, def *relaybase.Table) *table {
	t := &table{def: def, name: def.Name, quoted: qualify(nsp, def.Name), byName: map[string]int{}}
	t.cols = append(t.cols, column{name: "id", quoted: `"id"`, kind: kindInt,
		field: relaybase.Field{Name: "id", Type: relaybase.TypeInt}})
	for _, f := range def.Fields {
		if f.Name == "id" {
			continue
		}
		k, _ := kindOf(f.Type, f.Array)
		t.cols = append(t.cols, column{name: f.Name, quoted: quoteIdent(f.Name), field: f, kind: k})
	}
	var sel []string
	for i, c := range t.cols {
		t.byName[c.name] = i
		sel = append(sel, c.quoted)
	}
	t.selCols = strings.Join(sel, ",")
	for _, ix := range def.Index {
		if isUnique(ix) && !isPrimary(ix) {
			t.unique = true
		}
	}
	return t
}

// quoteIdent quotes an SQL identifier: double quotes, inner double quotes doubled.
func quoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// qualify names a relation in the schema nsp.
func qualify(nsp, name string) string { return quoteIdent(nsp) + "." + quoteIdent(name) }

// maxIdent is the longest identifier PostgreSQL keeps (NAMEDATALEN-1 bytes); longer ones
// are silently cut, so relaybase refuses them instead.
const maxIdent = 63

// fieldError is the error for a bad value for a field: an input error the runtime passes on.
func fieldError(t *table, field, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return relaybase.InputError(field, "%s (table %q, field %q).", msg, t.name, field)
}

func unknownField(t *table, field string) error {
	return relaybase.InputError(field, "Table %q has no field %q.", t.name, field)
}

// storableText reports whether PostgreSQL's text type can hold s: valid UTF-8 without NUL.
func storableText(s string) bool {
	return strings.IndexByte(s, 0) < 0 && utf8.ValidString(s)
}

// storableJSON reports whether jsonb can hold v: no string or key contains NUL (jsonb
// refuses \u0000; other invalid UTF-8 is replaced when the value is encoded).
func storableJSON(v any) bool {
	switch x := v.(type) {
	case string:
		return strings.IndexByte(x, 0) < 0
	case []any:
		for _, e := range x {
			if !storableJSON(e) {
				return false
			}
		}
	case *value.Object:
		for _, k := range x.Keys() {
			e, _ := x.Get(k)
			if strings.IndexByte(k, 0) >= 0 || !storableJSON(e) {
				return false
			}
		}
	}
	return true
}

// encode turns a value into what the column stores (int64, float64, bool, string, or JSON
// text for jsonb). The value must already have the field's type (int for int, text for
// text ...); the only conversions are the lossless ones between the Go shapes of one model
// type (int → int64, an integral decimal → int for int fields).
func encode(t *table, c *column, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	if c.field.Array {
		arr, ok := v.([]any)
		if !ok {
			return nil, fieldError(t, c.name, "Expected an array, got %s", value.TypeName(v))
		}
		out := make([]any, len(arr))
		for i, e := range arr {
			ev, err := element(t, c, e)
			if err != nil {
				return nil, err
			}
			out[i] = ev
		}
		return jsonText(t, c, out)
	}
	switch c.field.Type {
	case relaybase.TypeJSON:
		return jsonText(t, c, value.Normalize(v))
	case relaybase.TypeObject:
		o, ok := v.(*value.Object)
		if !ok {
			return nil, fieldError(t, c.name, "Expected an object, got %s", value.TypeName(v))
		}
		return jsonText(t, c, o)
	}
	return element(t, c, v)
}

// element checks one scalar (or array element) against the field's type and returns it in
// its model form.
func element(t *table, c *column, v any) (any, error) {
	ft := c.field.Type
	if v == nil {
		return nil, nil
	}
	switch ft {
	case relaybase.TypeInt, relaybase.TypeTimestamp:
		if i, ok := asInt(v); ok {
			return i, nil
		}
	case relaybase.TypeDecimal:
		switch n := v.(type) {
		case float64:
			if math.IsNaN(n) || math.IsInf(n, 0) {
				return nil, fieldError(t, c.name, "Expected a finite decimal")
			}
			return n, nil
		case int64:
			return float64(n), nil
		case int:
			return float64(n), nil
		}
	case relaybase.TypeBool:
		if b, ok := v.(bool); ok {
			return b, nil
		}
	case relaybase.TypeEnum:
		if s, ok := v.(string); ok {
			if len(c.field.Values) > 0 && !contains(c.field.Values, s) {
				return nil, fieldError(t, c.name, "Value %q is not one of %s", s, strings.Join(c.field.Values, ", "))
			}
			return s, nil
		}
	case relaybase.TypeText, relaybase.TypeEmail, relaybase.TypePassword, relaybase.TypeUUID, relaybase.TypeDate:
		if s, ok := v.(string); ok {
			if !c.field.Array && !storableText(s) {
				return nil, fieldError(t, c.name, "Text can't contain the NUL character or invalid UTF-8")
			}
			return s, nil
		}
	case relaybase.TypeJSON:
		return value.Normalize(v), nil
	case relaybase.TypeObject:
		if o, ok := v.(*value.Object); ok {
			return o, nil
		}
	}
	return nil, fieldError(t, c.name, "Expected %s, got %s", ft, value.TypeName(v))
}

func asInt(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case int:
		return int64(n), true
	case float64:
		if n == math.Trunc(n) && n >= -(1<<63) && n < 1<<63 {
			return int64(n), true
		}
	}
	return 0, false
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

func jsonText(t *table, c *column, v any) (any, error) {
	if !storableJSON(v) {
		return nil, fieldError(t, c.name, "JSON text can't contain the NUL character")
	}
	b, err := value.EncodeJSON(v)
	if err != nil {
		return nil, fieldError(t, c.name, "Value cannot be stored as JSON")
	}
	return string(b), nil
}

// decodeJSON turns jsonb text back into a value of the field's type.
func decodeJSON(c *column, raw []byte) (any, error) {
	v, err := value.DecodeJSON(raw)
	if err != nil {
		return nil, fmt.Errorf("column %q: %w", c.name, err)
	}
	if arr, ok := v.([]any); ok && c.field.Array && c.field.Type == relaybase.TypeDecimal {
		// JSON writes 2.0 as 2, which reads back as an int.
		for i, e := range arr {
			if n, ok := e.(int64); ok {
				arr[i] = float64(n)
			}
		}
	}
	return v, nil
}

// defaultValue is what an omitted field gets on insert: its default ("now" is the clock's
// time), else null.
func defaultValue(c *column, now func() time.Time) any {
	d := c.field.Default
	if d == nil {
		return nil
	}
	if s, ok := d.(string); ok && s == "now" {
		switch c.field.Type {
		case relaybase.TypeTimestamp, relaybase.TypeInt:
			return now().UnixMilli()
		case relaybase.TypeDate:
			return now().UTC().Format(time.DateOnly)
		}
	}
	return value.Clone(value.Normalize(d))
}

func isPrimary(ix relaybase.Index) bool {
	return ix.Type == "primary" || (len(ix.Fields) == 1 && ix.Fields[0] == "id")
}

func isUnique(ix relaybase.Index) bool {
	return ix.Unique || strings.Contains(ix.Type, "unique")
}
