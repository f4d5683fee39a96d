package sqlite

import (
	"fmt"
	"strconv"
	"strings"

	"relaybase"
	"relaybase/value"
)

// kind is how a field's values are stored.
type kind int

const (
	kindInt  kind = iota // int, timestamp: INTEGER
	kindReal             // decimal: REAL
	kindBool             // bool: INTEGER 0/1
	kindText             // text, email, password, uuid, date, enum: TEXT
	kindJSON             // json, object, T[]: TEXT holding JSON
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

// sqlType is the column type a kind is created with.
func (k kind) sqlType() string {
	switch k {
	case kindInt, kindBool:
		return "INTEGER"
	case kindReal:
		return "REAL"
	}
	return "TEXT"
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
	quoted  string
	cols    []column // id first, then the declared fields in order
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

func newTable(def *relaybase.Table) *table {
	t := &table{def: def, name: def.Name, quoted: quoteIdent(def.Name), byName: map[string]int{}}
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
	return t
}

// quoteIdent quotes an SQL identifier: double quotes, inner double quotes doubled.
func quoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// limits are what SQLite holds: any name without NUL, any text.
var limits = relaybase.StoreLimits{Database: "SQLite"}

func unknownField(t *table, field string) error { return t.def.UnknownField(field) }

// encode turns a value into what the column stores: the field's model form (see
// relaybase.Table.Coerce), with bool as 0/1 and json, object and T[] as JSON text.
func encode(t *table, c *column, v any) (any, error) {
	mv, err := t.def.Coerce(&c.field, v, limits)
	if err != nil || mv == nil {
		return nil, err
	}
	if c.kind == kindJSON {
		return jsonText(t, c, mv)
	}
	if b, ok := mv.(bool); ok {
		if b {
			return int64(1), nil
		}
		return int64(0), nil
	}
	return mv, nil
}

func jsonText(t *table, c *column, v any) (any, error) {
	b, err := value.EncodeJSON(v)
	if err != nil {
		return nil, t.def.FieldError(c.name, "Value cannot be stored as JSON")
	}
	return string(b), nil
}

// decode turns what a column holds back into a value of the field's type.
func decode(c *column, raw any) (any, error) {
	if raw == nil {
		return nil, nil
	}
	switch c.kind {
	case kindInt:
		switch n := raw.(type) {
		case int64:
			return n, nil
		case float64:
			return int64(n), nil
		case string:
			return strconv.ParseInt(n, 10, 64)
		}
	case kindReal:
		switch n := raw.(type) {
		case float64:
			return n, nil
		case int64:
			return float64(n), nil
		case string:
			return strconv.ParseFloat(n, 64)
		}
	case kindBool:
		switch n := raw.(type) {
		case int64:
			return n != 0, nil
		case float64:
			return n != 0, nil
		}
	case kindText:
		switch s := raw.(type) {
		case string:
			return s, nil
		case []byte:
			return string(s), nil
		case int64:
			return strconv.FormatInt(s, 10), nil
		case float64:
			return value.FormatFloat(s), nil
		}
	case kindJSON:
		var v any
		var err error
		switch s := raw.(type) {
		case string:
			v, err = value.DecodeJSON([]byte(s))
		case []byte:
			v, err = value.DecodeJSON(s)
		default:
			return nil, fmt.Errorf("column %q holds %T, not JSON", c.name, raw)
		}
		if err != nil {
			return nil, err
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
	return nil, fmt.Errorf("column %q holds %T, not a %s", c.name, raw, c.field.Type)
}
