package relaybase_test

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"relaybase"
	"relaybase/value"
)

var (
	sqliteLimits   = relaybase.StoreLimits{Database: "SQLite"}
	postgresLimits = relaybase.StoreLimits{Database: "PostgreSQL", MaxName: 63, StrictText: true}
)

func table(fields ...relaybase.Field) *relaybase.Table {
	return &relaybase.Table{Name: "t", File: "table/t.xs", Fields: fields}
}

func TestCheckTablesRefuses(t *testing.T) {
	long := strings.Repeat("n", 64)
	for name, c := range map[string]struct {
		tables []*relaybase.Table
		fixed  map[string]int64
		lim    relaybase.StoreLimits
		want   string // a part of the message
	}{
		"nil table":           {tables: []*relaybase.Table{nil}, want: "nil table"},
		"empty name":          {tables: []*relaybase.Table{{Name: ""}}, want: "invalid table name"},
		"NUL in a name":       {tables: []*relaybase.Table{{Name: "a\x00b"}}, want: "invalid table name"},
		"invalid UTF-8 (pg)":  {tables: []*relaybase.Table{{Name: "a\xffb"}}, lim: postgresLimits, want: "invalid table name"},
		"long name (pg)":      {tables: []*relaybase.Table{{Name: long}}, lim: postgresLimits, want: "longer than PostgreSQL's 63 bytes"},
		"reserved":            {tables: []*relaybase.Table{{Name: "_Relaybase_x"}}, want: "is reserved"},
		"reserved sqlite_":    {tables: []*relaybase.Table{{Name: "sqlite_master"}}, want: "is reserved"},
		"twice, by case":      {tables: []*relaybase.Table{{Name: "user"}, {Name: "User"}}, want: `"User" is defined twice (as "user" too)`},
		"id not positive":     {tables: []*relaybase.Table{{Name: "a"}}, fixed: map[string]int64{"a": 0}, want: "ids are positive"},
		"same fixed id":       {tables: []*relaybase.Table{{Name: "a"}, {Name: "b"}}, fixed: map[string]int64{"a": 3, "b": 3}, want: "the same id 3"},
		"long field (pg)":     {tables: []*relaybase.Table{table(relaybase.Field{Name: long, Type: relaybase.TypeInt})}, lim: postgresLimits, want: "field name"},
		"Id is not id":        {tables: []*relaybase.Table{table(relaybase.Field{Name: "Id", Type: relaybase.TypeInt})}, want: "must be `int id`"},
		"text id":             {tables: []*relaybase.Table{table(relaybase.Field{Name: "id", Type: relaybase.TypeText})}, want: "must be `int id`"},
		"unknown type":        {tables: []*relaybase.Table{table(relaybase.Field{Name: "a", Type: "money"})}, want: `unknown type "money"`},
		"field twice":         {tables: []*relaybase.Table{table(relaybase.Field{Name: "a", Type: relaybase.TypeInt}, relaybase.Field{Name: "A", Type: relaybase.TypeInt})}, want: "defined twice"},
		"bad default":         {tables: []*relaybase.Table{table(relaybase.Field{Name: "a", Type: relaybase.TypeInt, Default: "x"})}, want: "bad default"},
		"enum default":        {tables: []*relaybase.Table{table(relaybase.Field{Name: "a", Type: relaybase.TypeEnum, Values: []string{"x"}, Default: "y"})}, want: "bad default"},
		"NUL default (pg)":    {tables: []*relaybase.Table{table(relaybase.Field{Name: "a", Type: relaybase.TypeText, Default: "a\x00"})}, lim: postgresLimits, want: "bad default"},
		"empty index":         {tables: []*relaybase.Table{{Name: "a", Index: []relaybase.Index{{Type: "btree"}}}}, want: "names no field"},
		"index unknown field": {tables: []*relaybase.Table{{Name: "a", Index: []relaybase.Index{{Type: "btree", Fields: []string{"b"}}}}}, want: `unknown field "b"`},
	} {
		t.Run(name, func(t *testing.T) {
			err := relaybase.CheckTables(c.tables, c.fixed, c.lim)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("CheckTables: %v, want an error containing %q", err, c.want)
			}
		})
	}
}

func TestCheckTablesAccepts(t *testing.T) {
	tables := []*relaybase.Table{
		table(relaybase.Field{Name: "id", Type: relaybase.TypeInt},
			relaybase.Field{Name: "at", Type: relaybase.TypeTimestamp, Default: "now"},
			relaybase.Field{Name: "day", Type: relaybase.TypeDate, Default: "now"},
			relaybase.Field{Name: "tags", Type: relaybase.TypeText, Array: true, Default: []any{"a"}},
			relaybase.Field{Name: "naïve", Type: relaybase.TypeDecimal, Default: int64(2)}),
		{Name: "u", Index: []relaybase.Index{{Type: "primary", Fields: []string{"id"}}}},
	}
	tables[0].Index = []relaybase.Index{{Type: "btree", Fields: []string{"at", "id"}}}
	for _, lim := range []relaybase.StoreLimits{sqliteLimits, postgresLimits} {
		if err := relaybase.CheckTables(tables, map[string]int64{"t": 7, "u": 8}, lim); err != nil {
			t.Errorf("%s: %v", lim.Database, err)
		}
	}
	// What only PostgreSQL refuses, SQLite takes.
	if err := relaybase.CheckTables([]*relaybase.Table{{Name: strings.Repeat("n", 64) + "\xff"}}, nil, sqliteLimits); err != nil {
		t.Errorf("SQLite: %v", err)
	}
}

func TestCoerce(t *testing.T) {
	tb := table(
		relaybase.Field{Name: "n", Type: relaybase.TypeInt},
		relaybase.Field{Name: "d", Type: relaybase.TypeDecimal},
		relaybase.Field{Name: "b", Type: relaybase.TypeBool},
		relaybase.Field{Name: "s", Type: relaybase.TypeText},
		relaybase.Field{Name: "e", Type: relaybase.TypeEnum, Values: []string{"red", "blue"}},
		relaybase.Field{Name: "j", Type: relaybase.TypeJSON},
		relaybase.Field{Name: "o", Type: relaybase.TypeObject},
		relaybase.Field{Name: "ns", Type: relaybase.TypeInt, Array: true},
		relaybase.Field{Name: "ss", Type: relaybase.TypeText, Array: true},
	)
	obj := value.ObjectOf("k", "v")
	ok := []struct {
		field string
		in    any
		lim   relaybase.StoreLimits
		want  any
	}{
		{"n", int64(5), sqliteLimits, int64(5)},
		{"n", 5, sqliteLimits, int64(5)},
		{"n", 5.0, sqliteLimits, int64(5)},
		{"n", nil, sqliteLimits, nil},
		{"d", int64(2), sqliteLimits, 2.0},
		{"d", 2.5, sqliteLimits, 2.5},
		{"b", true, sqliteLimits, true},
		{"s", "a\x00b", sqliteLimits, "a\x00b"},
		{"e", "red", sqliteLimits, "red"},
		{"j", 3, sqliteLimits, int64(3)},
		{"o", obj, sqliteLimits, obj},
		{"ns", []any{1, 2.0, nil}, sqliteLimits, []any{int64(1), int64(2), nil}},
		// In an array, invalid UTF-8 is replaced when the JSON is written: not an error.
		{"ss", []any{"a\xff"}, postgresLimits, []any{"a\xff"}},
	}
	for _, c := range ok {
		f, _ := tb.Field(c.field)
		got, err := tb.Coerce(f, c.in, c.lim)
		if err != nil || !value.Equal(got, c.want) {
			t.Errorf("Coerce(%s, %#v) = %#v, %v; want %#v", c.field, c.in, got, err, c.want)
		}
	}
	bad := []struct {
		field string
		in    any
		lim   relaybase.StoreLimits
		want  string
	}{
		{"n", 1.5, sqliteLimits, "Expected int, got decimal"},
		{"n", "1", sqliteLimits, "Expected int, got text"},
		{"n", math.Inf(1), sqliteLimits, "Expected int"},
		{"d", math.NaN(), sqliteLimits, "Expected a finite decimal"},
		{"b", int64(1), sqliteLimits, "Expected bool"},
		{"e", "green", sqliteLimits, `Value "green" is not one of red, blue`},
		{"s", "a\x00b", postgresLimits, "NUL character or invalid UTF-8"},
		{"s", "a\xffb", postgresLimits, "NUL character or invalid UTF-8"},
		{"j", value.ObjectOf("k\x00", 1), postgresLimits, "JSON text can't contain the NUL character"},
		{"ss", []any{"a\x00"}, postgresLimits, "JSON text can't contain the NUL character"},
		{"o", []any{}, sqliteLimits, "Expected an object, got array"},
		{"ns", int64(1), sqliteLimits, "Expected an array, got int"},
		{"ns", []any{"x"}, sqliteLimits, "Expected int, got text"},
	}
	for _, c := range bad {
		f, _ := tb.Field(c.field)
		_, err := tb.Coerce(f, c.in, c.lim)
		var e *relaybase.Error
		if !errors.As(err, &e) || e.Code != relaybase.CodeInputError || !strings.Contains(e.Message, c.want) ||
			!strings.Contains(e.Message, `(table "t", field "`+c.field+`")`) {
			t.Errorf("Coerce(%s, %#v) = %v; want an input error containing %q and naming the field", c.field, c.in, err, c.want)
		}
	}
}

func TestDefaultValue(t *testing.T) {
	at := time.Date(2024, 2, 29, 23, 30, 0, 0, time.FixedZone("x", -3600))
	now := func() time.Time { return at }
	tags := []any{"a"}
	for _, c := range []struct {
		f    relaybase.Field
		want any
	}{
		{relaybase.Field{Type: relaybase.TypeTimestamp, Default: "now"}, at.UnixMilli()},
		{relaybase.Field{Type: relaybase.TypeInt, Default: "now"}, at.UnixMilli()},
		{relaybase.Field{Type: relaybase.TypeDate, Default: "now"}, "2024-03-01"}, // in UTC
		{relaybase.Field{Type: relaybase.TypeText, Default: "now"}, "now"},
		{relaybase.Field{Type: relaybase.TypeInt, Default: 3}, int64(3)},
		{relaybase.Field{Type: relaybase.TypeText}, nil},
		{relaybase.Field{Type: relaybase.TypeText, Array: true, Default: tags}, []any{"a"}},
	} {
		if got := c.f.DefaultValue(now); !value.Equal(got, c.want) {
			t.Errorf("%+v: DefaultValue = %#v, want %#v", c.f, got, c.want)
		}
	}
	// The default is a copy: changing what an insert got does not change the next one.
	f := relaybase.Field{Type: relaybase.TypeJSON, Default: tags}
	f.DefaultValue(now).([]any)[0] = "changed"
	if tags[0] != "a" {
		t.Error("DefaultValue handed out the definition's own array")
	}
}

func TestIndexKinds(t *testing.T) {
	for _, c := range []struct {
		ix              relaybase.Index
		primary, unique bool
	}{
		{relaybase.Index{Type: "primary", Fields: []string{"id"}}, true, false},
		{relaybase.Index{Type: "btree", Fields: []string{"id"}}, true, false},
		{relaybase.Index{Type: "btree|unique", Fields: []string{"a"}}, false, true},
		{relaybase.Index{Type: "btree", Unique: true, Fields: []string{"a"}}, false, true},
		{relaybase.Index{Type: "btree", Fields: []string{"id", "a"}}, false, false},
	} {
		if c.ix.IsPrimary() != c.primary || c.ix.IsUnique() != c.unique {
			t.Errorf("%+v: primary %v unique %v, want %v %v", c.ix, c.ix.IsPrimary(), c.ix.IsUnique(), c.primary, c.unique)
		}
	}
}
