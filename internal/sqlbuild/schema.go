package sqlbuild

import (
	"fmt"
	"strings"

	"relaybase"
	"relaybase/value"
)

// Kind is how a field's values are stored: the storage class both databases have, each
// under its own SQL type.
type Kind int

// The kinds of storage.
const (
	KindInt  Kind = iota // int, timestamp (ms)
	KindReal             // decimal
	KindBool             // bool
	KindText             // text, email, password, uuid, date, enum
	KindJSON             // json, object and every T[]
)

// KindOf returns how a field type is stored; ok is false for a type relaybase doesn't know.
func KindOf(t relaybase.FieldType, array bool) (Kind, bool) {
	k, ok := ScalarKind(t)
	if array && ok {
		return KindJSON, true
	}
	return k, ok
}

// ScalarKind is how one value (an array's element) of type t is stored.
func ScalarKind(t relaybase.FieldType) (Kind, bool) {
	switch t {
	case relaybase.TypeInt, relaybase.TypeTimestamp:
		return KindInt, true
	case relaybase.TypeDecimal:
		return KindReal, true
	case relaybase.TypeBool:
		return KindBool, true
	case relaybase.TypeText, relaybase.TypeEmail, relaybase.TypePassword, relaybase.TypeUUID,
		relaybase.TypeDate, relaybase.TypeEnum:
		return KindText, true
	case relaybase.TypeJSON, relaybase.TypeObject:
		return KindJSON, true
	}
	return 0, false
}

// Column is one column of a workspace table.
type Column struct {
	Name   string
	Quoted string // the quoted identifier
	Field  relaybase.Field
	Kind   Kind
}

// Table is a migrated workspace table with the SQL fragments that depend only on its
// definition. It is never changed once made.
type Table struct {
	Def     *relaybase.Table
	Name    string
	Quoted  string   // the table as statements name it (schema-qualified where there is one)
	Cols    []Column // id first, then the declared fields in order
	SelCols string   // "id","a","b": every column, in Cols order
	Unique  bool     // has a unique index besides the primary key
	byName  map[string]int
}

// NewTable makes the Table of def (which CheckTables accepted), named in statements as
// quoted.
func NewTable(quoted string, def *relaybase.Table) *Table {
	t := &Table{Def: def, Name: def.Name, Quoted: quoted, byName: map[string]int{}}
	t.Cols = append(t.Cols, Column{Name: "id", Quoted: `"id"`, Kind: KindInt,
		Field: relaybase.Field{Name: "id", Type: relaybase.TypeInt}})
	for _, f := range def.Fields {
		if f.Name == "id" {
			continue
		}
		k, _ := KindOf(f.Type, f.Array)
		t.Cols = append(t.Cols, Column{Name: f.Name, Quoted: QuoteIdent(f.Name), Field: f, Kind: k})
	}
	sel := make([]string, len(t.Cols))
	for i, c := range t.Cols {
		t.byName[c.Name] = i
		sel[i] = c.Quoted
	}
	t.SelCols = strings.Join(sel, ",")
	for _, ix := range def.Index {
		if ix.IsUnique() && !ix.IsPrimary() {
			t.Unique = true
		}
	}
	return t
}

// Column looks a column up by name.
func (t *Table) Column(name string) (*Column, bool) {
	i, ok := t.byName[name]
	if !ok {
		return nil, false
	}
	return &t.Cols[i], true
}

// QuoteIdent quotes an SQL identifier: double quotes, inner double quotes doubled.
func QuoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// Encode turns a value for column c into what the column stores: the field's model form
// (relaybase.Table.Coerce under the dialect's limits: a bad value is an input error), with
// json, object and T[] as JSON text and a bool as the dialect stores it.
func Encode(d Dialect, t *Table, c *Column, v any) (any, error) {
	mv, err := t.Def.Coerce(&c.Field, v, d.Limits())
	if err != nil || mv == nil {
		return nil, err
	}
	switch c.Kind {
	case KindBool:
		return d.BoolValue(mv.(bool)), nil
	case KindJSON:
		b, err := value.EncodeJSON(mv)
		if err != nil {
			return nil, t.Def.FieldError(c.Name, "Value cannot be stored as JSON")
		}
		return string(b), nil
	}
	return mv, nil
}

// DecodeJSON turns the JSON text a column holds back into a value of the field's type.
func DecodeJSON(c *Column, raw []byte) (any, error) {
	v, err := value.DecodeJSON(raw)
	if err != nil {
		return nil, fmt.Errorf("column %q: %w", c.Name, err)
	}
	if arr, ok := v.([]any); ok && c.Field.Array && c.Field.Type == relaybase.TypeDecimal {
		// JSON writes 2.0 as 2, which reads back as an int.
		for i, e := range arr {
			if n, ok := e.(int64); ok {
				arr[i] = float64(n)
			}
		}
	}
	return v, nil
}
