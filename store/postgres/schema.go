package postgres

import (
	"fmt"
	"strings"

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
		if ix.IsUnique() && !ix.IsPrimary() {
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

// limits are what PostgreSQL holds: names of at most 63 bytes, and text and names of valid
// UTF-8 without NUL.
var limits = relaybase.StoreLimits{Database: "PostgreSQL", MaxName: maxIdent, StrictText: true}

func unknownField(t *table, field string) error { return t.def.UnknownField(field) }

// encode turns a value into what the column stores (int64, float64, bool, string, or JSON
// text for jsonb): the field's model form (see relaybase.Table.Coerce, which also refuses
// text PostgreSQL can't hold).
func encode(t *table, c *column, v any) (any, error) {
	mv, err := t.def.Coerce(&c.field, v, limits)
	if err != nil || mv == nil || c.kind != kindJSON {
		return mv, err
	}
	b, err := value.EncodeJSON(mv)
	if err != nil {
		return nil, t.def.FieldError(c.name, "Value cannot be stored as JSON")
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
