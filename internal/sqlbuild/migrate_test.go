package sqlbuild_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"relaybase"
	"relaybase/internal/sqlbuild"
)

func TestLossless(t *testing.T) {
	d := func(s string) sqlbuild.Declared {
		typ, arr := strings.CutSuffix(s, "[]")
		return sqlbuild.Declared{Type: relaybase.FieldType(typ), Array: arr}
	}
	for _, c := range []struct {
		from, to string
		same, ok bool
	}{
		{"int", "timestamp", true, true},
		{"text", "email", true, true},
		{"enum", "text", true, true},
		{"object", "json", true, true},
		{"int[]", "timestamp[]", true, true},
		{"text[]", "uuid[]", true, true},
		{"int[]", "json", true, true},
		{"bool", "int", false, true},
		{"bool", "timestamp", false, true},
		{"bool", "decimal", false, true},
		{"int", "decimal", false, true},
		{"int", "text", false, true},
		{"decimal", "text", false, true},
		{"bool", "text", false, true},
		{"int", "json", false, true},
		{"text", "json", false, true},
		{"email", "json", false, true},
		// Each of these would lose or reinterpret values.
		{"decimal", "int", false, false},
		{"text", "int", false, false},
		{"int", "email", false, false},
		{"json", "object", false, false},
		{"json", "text", false, false},
		{"int", "int[]", false, false},
		{"int[]", "text[]", false, false},
		{"int[]", "int", false, false},
		{"int[]", "object", false, false},
	} {
		same, ok := sqlbuild.Lossless(d(c.from), d(c.to))
		if same != c.same || ok != c.ok {
			t.Errorf("%s → %s: same %v ok %v, want %v %v", c.from, c.to, same, ok, c.same, c.ok)
		}
	}
}

func TestIndexName(t *testing.T) {
	ix := relaybase.Index{Type: "btree", Fields: []string{"room", "created_at"}}
	name := sqlbuild.IndexName("message", ix, false, false, 0)
	// The name existing databases already have: changing it would make every index twice.
	if name != "rb_message_room_created_at_5d7d2909" {
		t.Errorf("name %s", name)
	}
	if sqlbuild.IndexName("message", ix, true, false, 0) == name || sqlbuild.IndexName("message", ix, false, true, 0) == name {
		t.Error("unique and gin indexes must not share the plain one's name")
	}
	long := relaybase.Index{Fields: []string{strings.Repeat("é", 40)}}
	cut := sqlbuild.IndexName("t", long, false, false, 63)
	if len(cut) > 63 || !utf8.ValidString(cut) || !strings.HasSuffix(cut, sqlbuild.IndexName("t", long, false, false, 0)[len(cut)-9:]) {
		t.Errorf("cut name %q (%d bytes): want at most 63 bytes of UTF-8 ending in the hash", cut, len(cut))
	}
}

func TestIndexPlans(t *testing.T) {
	tb := sqlbuild.NewTable(`"s"."t"`, &relaybase.Table{Name: "t", Fields: []relaybase.Field{
		{Name: "tags", Type: relaybase.TypeText, Array: true},
		{Name: "email", Type: relaybase.TypeEmail},
	}, Index: []relaybase.Index{
		{Type: "primary", Fields: []string{"id"}},
		{Type: "gin", Fields: []string{"tags"}},
		{Type: "gin", Fields: []string{"email"}}, // not JSON: a btree
		{Type: "btree|unique", Fields: []string{"email", "id"}},
	}})
	for _, c := range []struct {
		gin  bool
		want []string
	}{
		{true, []string{
			`CREATE INDEX "` + sqlbuild.IndexName("t", tb.Def.Index[1], false, true, 63) + `" ON "s"."t" USING gin ("tags")`,
			`CREATE INDEX "` + sqlbuild.IndexName("t", tb.Def.Index[2], false, false, 63) + `" ON "s"."t" ("email")`,
			`CREATE UNIQUE INDEX "` + sqlbuild.IndexName("t", tb.Def.Index[3], true, false, 63) + `" ON "s"."t" ("email", "id")`,
		}},
		{false, []string{
			`CREATE INDEX "` + sqlbuild.IndexName("t", tb.Def.Index[1], false, false, 63) + `" ON "s"."t" ("tags")`,
			`CREATE INDEX "` + sqlbuild.IndexName("t", tb.Def.Index[2], false, false, 63) + `" ON "s"."t" ("email")`,
			`CREATE UNIQUE INDEX "` + sqlbuild.IndexName("t", tb.Def.Index[3], true, false, 63) + `" ON "s"."t" ("email", "id")`,
		}},
	} {
		m := &sqlbuild.Migration{MaxName: 63, GIN: c.gin}
		plans := m.Indexes(tb)
		if len(plans) != len(c.want) {
			t.Fatalf("gin %v: %d plans, want %d (the primary key is never made)", c.gin, len(plans), len(c.want))
		}
		for i, p := range plans {
			if got := p.CreateSQL(tb.Quoted); got != c.want[i] {
				t.Errorf("gin %v: %s\n want %s", c.gin, got, c.want[i])
			}
		}
	}
}
