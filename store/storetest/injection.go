package storetest

import (
	"testing"

	"relaybase"
	"relaybase/value"
)

// hostile are values that break naively built SQL.
var hostile = []string{
	`'; DROP TABLE victim; --`,
	`"; DROP TABLE victim; --`,
	`Robert'); DROP TABLE victim;--`,
	`' OR '1'='1`,
	`" OR "1"="1`,
	`1; DELETE FROM victim`,
	`a'b"c` + "`d`",
	`\'; DROP TABLE victim; --`,
	`%_\%\_`,
	`$1 ? ?1 :name @p`,
	"line\nbreak\r\ttab",
	"unicode ✓ 😀 \u2028 \u00e9",
	`{"json": "looks"}`,
	`)) OR 1=1 --`,
	`/* comment */`,
}

var injectionCases = map[string]func(*testing.T, Opener){
	"ValuesAreStoredByteForByte": func(t *testing.T, open Opener) {
		s := open(t)
		tables := []*relaybase.Table{
			simple("victim", field("v", relaybase.TypeText)),
			simple("note", field("body", relaybase.TypeText), arrayField("tags", relaybase.TypeText), field("j", relaybase.TypeJSON)),
		}
		migrate(t, s, tables, nil)
		write(t, s, func(tx relaybase.Tx) {
			insert(t, tx, "victim", "v", "untouched")
			for _, h := range hostile {
				row := insert(t, tx, "note", "body", h, "tags", []any{h}, "j", value.ObjectOf(h, h))
				rowIs(t, get(t, tx, "note", "id", mustGet(row, "id")), row)
			}
		})
		read(t, s, func(tx relaybase.Tx) {
			for i, h := range hostile {
				id := int64(i + 1)
				row := get(t, tx, "note", "body", h)
				if row == nil || !sameValue(mustGet(row, "id"), id) || !sameValue(mustGet(row, "body"), h) {
					t.Errorf("Get body = %q: %s, want row %d holding it byte for byte", h, show(row), id)
				}
				for name, where := range map[string]relaybase.Cond{
					"eq":       cmp("body", relaybase.OpEq, h),
					"includes": cmp("body", relaybase.OpIncludes, h),
					"in":       cmp("body", relaybase.OpIn, []any{h}),
					"contains": cmp("tags", relaybase.OpContains, h),
					"overlaps": cmp("tags", relaybase.OpOverlaps, []any{h, "x"}),
					"json":     cmp("j", relaybase.OpEq, value.ObjectOf(h, h)),
				} {
					res, err := tx.Query(ctx(t), &relaybase.Query{Table: "note", Where: where})
					if err != nil {
						t.Errorf("%s %q: %v", name, h, err)
						continue
					}
					found := false
					for _, r := range res.Rows {
						found = found || sameValue(mustGet(r, "id"), id)
					}
					if !found || (name != "includes" && len(res.Rows) != 1) {
						t.Errorf("%s %q: rows %v, want row %d", name, h, ids(res.Rows), id)
					}
				}
			}
			if got := get(t, tx, "victim", "id", int64(1)); !sameValue(mustGet(got, "v"), "untouched") {
				t.Errorf("victim row: %s", show(got))
			}
		})
		// The schema is as it was.
		if notes := migrate(t, s, tables, nil); len(notes) != 0 {
			t.Errorf("Migrate after the hostile values: notes %q, want none", notes)
		}
		if n := count(t, s, "note"); n != int64(len(hostile)) {
			t.Errorf("note rows = %d, want %d", n, len(hostile))
		}
	},

	"HostileIdentifiersAreQuoted": func(t *testing.T, open Opener) {
		s := open(t)
		odd := &relaybase.Table{Name: `odd "table"; DROP TABLE victim; --`, Fields: []relaybase.Field{
			{Name: `it's "a" field`, Type: relaybase.TypeText, Optional: true},
			{Name: `select`, Type: relaybase.TypeInt, Optional: true},
			{Name: `order by; --`, Type: relaybase.TypeText, Optional: true},
		}, Index: []relaybase.Index{{Type: "btree|unique", Unique: true, Fields: []string{`it's "a" field`}}}}
		tables := []*relaybase.Table{simple("victim", field("v", relaybase.TypeText)), odd}
		migrate(t, s, tables, nil)
		write(t, s, func(tx relaybase.Tx) {
			insert(t, tx, "victim", "v", "untouched")
			row := insert(t, tx, odd.Name, `it's "a" field`, "x", "select", int64(1), "order by; --", "y")
			rowIs(t, row, value.ObjectOf("id", int64(1), `it's "a" field`, "x", "select", int64(1), "order by; --", "y"))
			res, err := tx.Query(ctx(t), &relaybase.Query{Table: odd.Name, Where: cmp("select", relaybase.OpGe, int64(1)),
				Sort: []relaybase.SortKey{{Field: "order by; --"}}})
			if err != nil || len(res.Rows) != 1 {
				t.Fatalf("query on odd names: %v, %v", res, err)
			}
			if _, err := tx.Update(ctx(t), odd.Name, "select", int64(1), value.ObjectOf("order by; --", "z")); err != nil {
				t.Fatal(err)
			}
		})
		if notes := migrate(t, s, tables, nil); len(notes) != 0 {
			t.Errorf("Migrate again: notes %q, want none", notes)
		}
		if n := count(t, s, "victim"); n != 1 {
			t.Errorf("victim rows = %d, want 1", n)
		}
	},
}
