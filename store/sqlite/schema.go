package sqlite

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

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

// fieldError is the error for a bad value for a field: an input error the runtime passes on.
func fieldError(t *table, field, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return relaybase.InputError(field, "%s (table %q, field %q).", msg, t.name, field)
}

func unknownField(t *table, field string) error {
	return relaybase.InputError(field, "Table %q has no field %q.", t.name, field)
}

// encode turns a value into what the column stores. The value must already have the field's
// type (int for int, text for text ...); the only conversions are the lossless ones between
// the Go shapes of one model type (int → int64, an integral decimal → int for int fields).
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
	ev, err := element(t, c, v)
	if err != nil {
		return nil, err
	}
	if b, ok := ev.(bool); ok {
		if b {
			return int64(1), nil
		}
		return int64(0), nil
	}
	return ev, nil
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
	b, err := value.EncodeJSON(v)
	if err != nil {
		return nil, fieldError(t, c.name, "Value cannot be stored as JSON")
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
