package relaybase

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"relaybase/value"
)

// StoreLimits are what a store's database cannot hold, so that table definitions and values
// it would refuse (or silently change) are refused first, with a message for a person. The
// zero value is SQLite's: any name without NUL, any text.
type StoreLimits struct {
	Database string // named in messages: "PostgreSQL"
	// MaxName is the longest table or field name in bytes; 0: no limit. PostgreSQL cuts
	// longer identifiers silently, so they are refused instead.
	MaxName int
	// StrictText: names and text must be valid UTF-8 without NUL, and JSON may hold no NUL
	// (PostgreSQL's text and jsonb refuse them).
	StrictText bool
}

// Known reports whether relaybase stores fields of type t.
func (t FieldType) Known() bool {
	switch t {
	case TypeInt, TypeDecimal, TypeText, TypeBool, TypeTimestamp, TypeDate, TypeEmail,
		TypePassword, TypeUUID, TypeJSON, TypeEnum, TypeObject:
		return true
	}
	return false
}

// StoresJSON reports whether the field's values are kept as JSON: json, object and every T[].
func (f *Field) StoresJSON() bool {
	return f.Array || f.Type == TypeJSON || f.Type == TypeObject
}

// DefaultValue is what an omitted field gets on insert: its default (the default "now" of
// a timestamp, int or date field is now()'s time), else nil. The value is a fresh copy.
func (f *Field) DefaultValue(now func() time.Time) any {
	d := f.Default
	if d == nil {
		return nil
	}
	if s, ok := d.(string); ok && s == "now" {
		switch f.Type {
		case TypeTimestamp, TypeInt:
			return now().UnixMilli()
		case TypeDate:
			return now().UTC().Format(time.DateOnly)
		}
	}
	return value.Clone(value.Normalize(d))
}

// IsPrimary reports whether ix is the primary key on id, which every table has anyway.
func (ix *Index) IsPrimary() bool {
	return ix.Type == "primary" || (len(ix.Fields) == 1 && ix.Fields[0] == "id")
}

// IsUnique reports whether ix refuses two rows with the same values.
func (ix *Index) IsUnique() bool {
	return ix.Unique || strings.Contains(ix.Type, "unique")
}

// CheckTables checks a workspace's table definitions and fixed ids (table_ids) before a
// store touches its database: names (valid, not reserved, not defined twice, within lim),
// field types, defaults that fit their field, indexes on fields that exist, and ids that
// are positive and distinct. Errors name the file and the table (and field).
func CheckTables(tables []*Table, fixedIDs map[string]int64, lim StoreLimits) error {
	names := map[string]string{}
	fixedBy := map[int64]string{}
	for _, t := range tables {
		if t == nil {
			return errors.New("migrate: nil table")
		}
		if err := t.checkName(lim); err != nil {
			return err
		}
		low := strings.ToLower(t.Name)
		if other, ok := names[low]; ok {
			return fmt.Errorf("%s: table %q is defined twice (as %q too)", t.Origin(), t.Name, other)
		}
		names[low] = t.Name
		if id, ok := fixedIDs[t.Name]; ok {
			if id <= 0 {
				return fmt.Errorf("%s: table_ids gives table %q the id %d; ids are positive", t.Origin(), t.Name, id)
			}
			if other, dup := fixedBy[id]; dup {
				return fmt.Errorf("table_ids gives tables %q and %q the same id %d", other, t.Name, id)
			}
			fixedBy[id] = t.Name
		}
		if err := t.checkFields(lim); err != nil {
			return err
		}
	}
	return nil
}

// Check checks one table definition as CheckTables does (except against other tables).
func (t *Table) Check(lim StoreLimits) error {
	if err := t.checkName(lim); err != nil {
		return err
	}
	return t.checkFields(lim)
}

// Origin names where the table was defined, for messages: its file, else "table NAME".
func (t *Table) Origin() string {
	if t.File != "" {
		return t.File
	}
	return "table " + t.Name
}

func (t *Table) checkName(lim StoreLimits) error {
	low := strings.ToLower(t.Name)
	switch {
	case t.Name == "" || !lim.name(t.Name):
		return fmt.Errorf("%s: invalid table name %q", t.Origin(), t.Name)
	case lim.MaxName > 0 && len(t.Name) > lim.MaxName:
		return fmt.Errorf("%s: the table name %q is longer than %s's %d bytes", t.Origin(), t.Name, lim.Database, lim.MaxName)
	case strings.HasPrefix(low, "_relaybase_") || strings.HasPrefix(low, "sqlite_"):
		return fmt.Errorf("%s: the table name %q is reserved", t.Origin(), t.Name)
	}
	return nil
}

func (t *Table) checkFields(lim StoreLimits) error {
	where := t.Origin()
	fields := map[string]string{"id": "id"}
	for i := range t.Fields {
		f := &t.Fields[i]
		fl := strings.ToLower(f.Name)
		switch {
		case f.Name == "" || !lim.name(f.Name):
			return fmt.Errorf("%s: table %q: invalid field name %q", where, t.Name, f.Name)
		case lim.MaxName > 0 && len(f.Name) > lim.MaxName:
			return fmt.Errorf("%s: table %q: the field name %q is longer than %s's %d bytes", where, t.Name, f.Name, lim.Database, lim.MaxName)
		case fl == "id":
			if f.Name != "id" || f.Type != TypeInt || f.Array {
				return fmt.Errorf("%s: table %q: field %q must be `int id` (the primary key)", where, t.Name, f.Name)
			}
			continue
		}
		if !f.Type.Known() {
			return fmt.Errorf("%s: table %q, field %q: unknown type %q", where, t.Name, f.Name, f.Type)
		}
		if other, ok := fields[fl]; ok {
			return fmt.Errorf("%s: table %q: field %q is defined twice (as %q too)", where, t.Name, f.Name, other)
		}
		fields[fl] = f.Name
		if d := f.DefaultValue(time.Now); d != nil {
			v, err := t.Coerce(f, d, lim)
			if err == nil && f.StoresJSON() {
				if _, jerr := value.EncodeJSON(v); jerr != nil {
					err = t.FieldError(f.Name, "Value cannot be stored as JSON")
				}
			}
			if err != nil {
				return fmt.Errorf("%s: table %q, field %q: bad default: %w", where, t.Name, f.Name, err)
			}
		}
	}
	for _, ix := range t.Index {
		if len(ix.Fields) == 0 {
			return fmt.Errorf("%s: table %q: an index names no field", where, t.Name)
		}
		for _, name := range ix.Fields {
			if _, ok := t.Field(name); !ok && name != "id" {
				return fmt.Errorf("%s: table %q: index on unknown field %q", where, t.Name, name)
			}
		}
	}
	return nil
}

// name reports whether a table or field name can be stored.
func (lim StoreLimits) name(s string) bool {
	if lim.StrictText {
		return StorableText(s)
	}
	return strings.IndexByte(s, 0) < 0
}

// StorableText reports whether s is valid UTF-8 without NUL, as PostgreSQL's text needs.
func StorableText(s string) bool {
	return strings.IndexByte(s, 0) < 0 && utf8.ValidString(s)
}

// StorableJSON reports whether no string or key in v contains NUL, as PostgreSQL's jsonb
// needs (other invalid UTF-8 is replaced when the value is encoded).
func StorableJSON(v any) bool {
	switch x := v.(type) {
	case string:
		return strings.IndexByte(x, 0) < 0
	case []any:
		for _, e := range x {
			if !StorableJSON(e) {
				return false
			}
		}
	case *value.Object:
		for _, k := range x.Keys() {
			e, _ := x.Get(k)
			if strings.IndexByte(k, 0) >= 0 || !StorableJSON(e) {
				return false
			}
		}
	}
	return true
}

// Coerce checks a value for field f of t (one of t.Fields, or id) and returns it in the
// field's model form: int64 for int and timestamp, float64 for decimal, bool, string for
// the text types, a normalized value for json, *value.Object for object, []any of such
// elements for T[], or nil. The value must already have the field's type; the only
// conversions are the lossless ones between the Go shapes of one model type (int → int64,
// an integral decimal → int64 for int fields, an int → float64 for decimal fields). A bad
// value is an input error naming the table and the field.
func (t *Table) Coerce(f *Field, v any, lim StoreLimits) (any, error) {
	if v == nil {
		return nil, nil
	}
	var out any
	switch {
	case f.Array:
		arr, ok := v.([]any)
		if !ok {
			return nil, t.FieldError(f.Name, "Expected an array, got %s", value.TypeName(v))
		}
		elems := make([]any, len(arr))
		for i, e := range arr {
			ev, err := t.element(f, e, lim)
			if err != nil {
				return nil, err
			}
			elems[i] = ev
		}
		out = elems
	case f.Type == TypeJSON:
		out = value.Normalize(v)
	case f.Type == TypeObject:
		o, ok := v.(*value.Object)
		if !ok {
			return nil, t.FieldError(f.Name, "Expected an object, got %s", value.TypeName(v))
		}
		out = o
	default:
		return t.element(f, v, lim)
	}
	if lim.StrictText && !StorableJSON(out) {
		return nil, t.FieldError(f.Name, "JSON text can't contain the NUL character")
	}
	return out, nil
}

// element checks one scalar (or array element) against the field's type.
func (t *Table) element(f *Field, v any, lim StoreLimits) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch f.Type {
	case TypeInt, TypeTimestamp:
		if i, ok := AsInt(v); ok {
			return i, nil
		}
	case TypeDecimal:
		switch n := v.(type) {
		case float64:
			if math.IsNaN(n) || math.IsInf(n, 0) {
				return nil, t.FieldError(f.Name, "Expected a finite decimal")
			}
			return n, nil
		case int64:
			return float64(n), nil
		case int:
			return float64(n), nil
		}
	case TypeBool:
		if b, ok := v.(bool); ok {
			return b, nil
		}
	case TypeEnum:
		if s, ok := v.(string); ok {
			if len(f.Values) > 0 && !slices.Contains(f.Values, s) {
				return nil, t.FieldError(f.Name, "Value %q is not one of %s", s, strings.Join(f.Values, ", "))
			}
			return s, nil
		}
	case TypeText, TypeEmail, TypePassword, TypeUUID, TypeDate:
		if s, ok := v.(string); ok {
			if lim.StrictText && !f.Array && !StorableText(s) {
				return nil, t.FieldError(f.Name, "Text can't contain the NUL character or invalid UTF-8")
			}
			return s, nil
		}
	case TypeJSON:
		return value.Normalize(v), nil
	case TypeObject:
		if o, ok := v.(*value.Object); ok {
			return o, nil
		}
	}
	return nil, t.FieldError(f.Name, "Expected %s, got %s", f.Type, value.TypeName(v))
}

// AsInt returns v as an int64 when it is a whole number that fits.
func AsInt(v any) (int64, bool) {
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

// FieldError is the input error for a bad value for a field of t: the message, then the
// table and field it concerns.
func (t *Table) FieldError(field, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return InputError(field, "%s (table %q, field %q).", msg, t.Name, field)
}

// UnknownField is the input error for a field t does not have.
func (t *Table) UnknownField(field string) error {
	return InputError(field, "Table %q has no field %q.", t.Name, field)
}
