package storetest

import (
	"errors"
	"strings"
	"testing"

	"relaybase"
	"relaybase/value"
)

// userTable is an auth table like the chat example's.
func userTable() *relaybase.Table {
	return &relaybase.Table{
		Name: "user",
		Auth: true,
		Fields: []relaybase.Field{
			{Name: "id", Type: relaybase.TypeInt},
			{Name: "name", Type: relaybase.TypeText},
			{Name: "email", Type: relaybase.TypeEmail},
			{Name: "password", Type: relaybase.TypePassword},
			{Name: "created_at", Type: relaybase.TypeTimestamp, Optional: true, Default: "now"},
		},
		Index: []relaybase.Index{
			{Type: "primary", Fields: []string{"id"}},
			{Type: "btree|unique", Unique: true, Fields: []string{"email"}},
		},
		File: "table/user.xs",
	}
}

func messageTable() *relaybase.Table {
	return &relaybase.Table{
		Name: "message",
		Fields: []relaybase.Field{
			{Name: "room", Type: relaybase.TypeText},
			{Name: "user_id", Type: relaybase.TypeInt, Nullable: true, RefTable: "user"},
			{Name: "text", Type: relaybase.TypeText},
			{Name: "created_at", Type: relaybase.TypeTimestamp, Optional: true, Default: "now"},
		},
		Index: []relaybase.Index{{Type: "btree", Fields: []string{"room", "created_at"}}},
	}
}

// simple is a table with the given optional fields.
func simple(name string, fields ...relaybase.Field) *relaybase.Table {
	for i := range fields {
		fields[i].Optional = true
		fields[i].Nullable = true
	}
	return &relaybase.Table{Name: name, Fields: fields}
}

func field(name string, typ relaybase.FieldType) relaybase.Field {
	return relaybase.Field{Name: name, Type: typ}
}

func arrayField(name string, typ relaybase.FieldType) relaybase.Field {
	return relaybase.Field{Name: name, Type: typ, Array: true}
}

var migrateCases = map[string]func(*testing.T, Opener){
	"CreateAssignsIDsAndIsIdempotent": func(t *testing.T, open Opener) {
		s := open(t)
		tables := []*relaybase.Table{userTable(), messageTable()}
		notes := migrate(t, s, tables, nil)
		if !hasNote(notes, "user", "created") || !hasNote(notes, "message", "created") {
			t.Errorf("notes %q don't report the created tables", notes)
		}
		if tables[0].ID <= 0 || tables[1].ID <= 0 || tables[0].ID == tables[1].ID {
			t.Fatalf("ids %d, %d: want distinct positive ids", tables[0].ID, tables[1].ID)
		}
		write(t, s, func(tx relaybase.Tx) {
			insert(t, tx, "user", "name", "Ann", "email", "ann@example.com", "password", "h")
			insert(t, tx, "message", "room", "r", "text", "hi", "user_id", int64(1))
		})
		again := []*relaybase.Table{userTable(), messageTable()}
		notes = migrate(t, s, again, nil)
		if len(notes) != 0 {
			t.Errorf("second Migrate of the same tables: notes %q, want none", notes)
		}
		if again[0].ID != tables[0].ID || again[1].ID != tables[1].ID {
			t.Errorf("second Migrate changed ids: %d,%d → %d,%d", tables[0].ID, tables[1].ID, again[0].ID, again[1].ID)
		}
		if n := count(t, s, "user"); n != 1 {
			t.Errorf("user rows after second Migrate = %d, want 1", n)
		}
	},

	"AddField": func(t *testing.T, open Opener) {
		s := open(t)
		migrate(t, s, []*relaybase.Table{simple("post", field("title", relaybase.TypeText))}, nil)
		write(t, s, func(tx relaybase.Tx) { insert(t, tx, "post", "title", "old") })
		v2 := simple("post", field("title", relaybase.TypeText), field("bio", relaybase.TypeText), field("score", relaybase.TypeInt))
		notes := migrate(t, s, []*relaybase.Table{v2}, nil)
		if !hasNote(notes, "bio") || !hasNote(notes, "score") {
			t.Errorf("notes %q don't report the added fields", notes)
		}
		write(t, s, func(tx relaybase.Tx) {
			rowIs(t, get(t, tx, "post", "id", int64(1)),
				value.ObjectOf("id", int64(1), "title", "old", "bio", nil, "score", nil))
			row := insert(t, tx, "post", "title", "new", "bio", "b", "score", int64(3))
			rowIs(t, row, value.ObjectOf("id", int64(2), "title", "new", "bio", "b", "score", int64(3)))
		})
		if notes := migrate(t, s, []*relaybase.Table{v2}, nil); len(notes) != 0 {
			t.Errorf("Migrate again: notes %q, want none", notes)
		}
	},

	"AddIndex": func(t *testing.T, open Opener) {
		s := open(t)
		plain := simple("acct", field("email", relaybase.TypeEmail), field("nick", relaybase.TypeText))
		migrate(t, s, []*relaybase.Table{plain}, nil)
		write(t, s, func(tx relaybase.Tx) {
			insert(t, tx, "acct", "email", "a@x", "nick", "same")
			insert(t, tx, "acct", "email", "b@x", "nick", "same")
		})
		indexed := simple("acct", field("email", relaybase.TypeEmail), field("nick", relaybase.TypeText))
		indexed.Index = []relaybase.Index{{Type: "btree|unique", Unique: true, Fields: []string{"email"}},
			{Type: "btree", Fields: []string{"nick"}}}
		notes := migrate(t, s, []*relaybase.Table{indexed}, nil)
		if !hasNote(notes, "email") {
			t.Errorf("notes %q don't report the added index on email", notes)
		}
		tx, err := s.Begin(ctx(t), true)
		if err != nil {
			t.Fatal(err)
		}
		_, err = tx.Insert(ctx(t), "acct", value.ObjectOf("email", "a@x"))
		tx.Rollback()
		if !errors.Is(err, relaybase.ErrConflict) {
			t.Fatalf("duplicate email after adding a unique index: err %v, want ErrConflict", err)
		}
		// A unique index over rows that already share a value can't be made.
		bad := simple("acct", field("email", relaybase.TypeEmail), field("nick", relaybase.TypeText))
		bad.Index = []relaybase.Index{{Type: "btree|unique", Unique: true, Fields: []string{"nick"}}}
		if _, err := s.Migrate(ctx(t), []*relaybase.Table{bad}, nil); err == nil || !strings.Contains(err.Error(), "acct") {
			t.Fatalf("unique index over duplicates: err %v, want an error naming the table", err)
		}
		if n := count(t, s, "acct"); n != 2 {
			t.Errorf("rows after the refused migration = %d, want 2", n)
		}
	},

	"DroppedFieldIsReportedAndKept": func(t *testing.T, open Opener) {
		s := open(t)
		v1 := simple("profile", field("name", relaybase.TypeText), field("bio", relaybase.TypeText))
		migrate(t, s, []*relaybase.Table{v1}, nil)
		write(t, s, func(tx relaybase.Tx) { insert(t, tx, "profile", "name", "a", "bio", "kept") })
		v2 := simple("profile", field("name", relaybase.TypeText))
		notes := migrate(t, s, []*relaybase.Table{v2}, nil)
		if !hasNote(notes, "profile", "bio") {
			t.Errorf("notes %q don't report the dropped field bio", notes)
		}
		write(t, s, func(tx relaybase.Tx) {
			rowIs(t, get(t, tx, "profile", "id", int64(1)), value.ObjectOf("id", int64(1), "name", "a"))
			insert(t, tx, "profile", "name", "b")
			if _, err := tx.Insert(ctx(t), "profile", value.ObjectOf("name", "c", "bio", "x")); !isInputError(err) {
				t.Errorf("insert into a dropped field: err %v, want an input error", err)
			}
		})
		// Reported again on every start, until the workspace defines it again.
		if notes := migrate(t, s, []*relaybase.Table{simple("profile", field("name", relaybase.TypeText))}, nil); !hasNote(notes, "bio") {
			t.Errorf("second Migrate: notes %q don't report bio", notes)
		}
		v3 := simple("profile", field("name", relaybase.TypeText), field("bio", relaybase.TypeText))
		migrate(t, s, []*relaybase.Table{v3}, nil)
		read(t, s, func(tx relaybase.Tx) {
			rowIs(t, get(t, tx, "profile", "id", int64(1)), value.ObjectOf("id", int64(1), "name", "a", "bio", "kept"))
		})
	},

	"LossyTypeChangeIsRefused": func(t *testing.T, open Opener) {
		cases := []struct{ from, to relaybase.Field }{
			{field("f", relaybase.TypeText), field("f", relaybase.TypeInt)},
			{field("f", relaybase.TypeDecimal), field("f", relaybase.TypeInt)},
			{field("f", relaybase.TypeInt), field("f", relaybase.TypeBool)},
			{field("f", relaybase.TypeJSON), field("f", relaybase.TypeText)},
			{field("f", relaybase.TypeJSON), field("f", relaybase.TypeObject)},
			{arrayField("f", relaybase.TypeText), field("f", relaybase.TypeText)},
			{field("f", relaybase.TypeText), arrayField("f", relaybase.TypeText)},
			{field("f", relaybase.TypeTimestamp), field("f", relaybase.TypeDate)},
		}
		s := open(t)
		for i, c := range cases {
			name := "lossy" + string(rune('a'+i))
			migrate(t, s, []*relaybase.Table{simple(name, c.from)}, nil)
			_, err := s.Migrate(ctx(t), []*relaybase.Table{simple(name, c.to)}, nil)
			if err == nil || !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), `"f"`) {
				t.Errorf("%s → %s: err %v, want an error naming table %q and field \"f\"", typeOf(c.from), typeOf(c.to), err, name)
			}
			// The old definition still works.
			migrate(t, s, []*relaybase.Table{simple(name, c.from)}, nil)
		}
	},

	"LosslessTypeChangeConverts": func(t *testing.T, open Opener) {
		s := open(t)
		v1 := simple("conv", field("a", relaybase.TypeInt), field("b", relaybase.TypeInt), field("c", relaybase.TypeBool),
			field("d", relaybase.TypeText), field("e", relaybase.TypeText), field("g", relaybase.TypeInt),
			field("h", relaybase.TypeObject), arrayField("i", relaybase.TypeInt))
		v1.Index = []relaybase.Index{{Type: "btree", Fields: []string{"a"}}}
		migrate(t, s, []*relaybase.Table{v1}, nil)
		write(t, s, func(tx relaybase.Tx) {
			insert(t, tx, "conv", "a", int64(5), "b", int64(7), "c", true, "d", "x@y", "e", "abc", "g", int64(1700000000000),
				"h", value.ObjectOf("k", int64(1)), "i", []any{int64(1), int64(2)})
			insert(t, tx, "conv")
		})
		v2 := simple("conv", field("a", relaybase.TypeDecimal), field("b", relaybase.TypeText), field("c", relaybase.TypeText),
			field("d", relaybase.TypeEmail), field("e", relaybase.TypeJSON), field("g", relaybase.TypeTimestamp),
			field("h", relaybase.TypeJSON), field("i", relaybase.TypeJSON))
		v2.Index = []relaybase.Index{{Type: "btree", Fields: []string{"a"}}}
		notes := migrate(t, s, []*relaybase.Table{v2}, nil)
		if !hasNote(notes, `"a"`, "decimal") {
			t.Errorf("notes %q don't report the type change of a", notes)
		}
		write(t, s, func(tx relaybase.Tx) {
			rowIs(t, get(t, tx, "conv", "id", int64(1)), value.ObjectOf("id", int64(1), "a", 5.0, "b", "7", "c", "true",
				"d", "x@y", "e", "abc", "g", int64(1700000000000), "h", value.ObjectOf("k", int64(1)), "i", []any{int64(1), int64(2)}))
			rowIs(t, get(t, tx, "conv", "id", int64(2)), value.ObjectOf("id", int64(2), "a", nil, "b", nil, "c", nil,
				"d", nil, "e", nil, "g", nil, "h", nil, "i", nil))
			row := insert(t, tx, "conv", "a", 2.5, "b", "007", "e", []any{"x"})
			rowIs(t, row, value.ObjectOf("id", int64(3), "a", 2.5, "b", "007", "c", nil,
				"d", nil, "e", []any{"x"}, "g", nil, "h", nil, "i", nil))
			rowIs(t, get(t, tx, "conv", "b", "007"), row)
			if got := get(t, tx, "conv", "b", "7"); got == nil || !sameValue(mustGet(got, "id"), int64(1)) {
				t.Errorf("Get b = \"7\" after int → text: %s, want row 1", show(got))
			}
			if got := get(t, tx, "conv", "a", 5); got == nil || !sameValue(mustGet(got, "id"), int64(1)) {
				t.Errorf("Get a = 5 after int → decimal: %s, want row 1", show(got))
			}
		})
	},

	"IDsStableAcrossReopen": func(t *testing.T, open Opener) {
		s := open(t)
		first := []*relaybase.Table{simple("a"), simple("b"), simple("c")}
		migrate(t, s, first, nil)
		s = reopen(t, s, open)
		second := []*relaybase.Table{simple("d"), simple("c"), simple("a"), simple("b")}
		migrate(t, s, second, nil)
		want := map[string]int64{"a": first[0].ID, "b": first[1].ID, "c": first[2].ID}
		for _, tb := range second[1:] {
			if tb.ID != want[tb.Name] {
				t.Errorf("after reopen, table %s has id %d, want %d", tb.Name, tb.ID, want[tb.Name])
			}
		}
		for _, id := range want {
			if second[0].ID == id || second[0].ID <= 0 {
				t.Errorf("new table d got id %d, which is taken or invalid (%v)", second[0].ID, want)
			}
		}
		// A table left out for a while keeps its id when it comes back.
		s = reopen(t, s, open)
		migrate(t, s, []*relaybase.Table{simple("b")}, nil)
		s = reopen(t, s, open)
		third := []*relaybase.Table{simple("a"), simple("b"), simple("c"), simple("d")}
		migrate(t, s, third, nil)
		for i, tb := range third {
			if tb.ID != append(first, second[0])[i].ID {
				t.Errorf("table %s: id %d after coming back, want %d", tb.Name, tb.ID, append(first, second[0])[i].ID)
			}
		}
	},

	"FixedIDsWin": func(t *testing.T, open Opener) {
		s := open(t)
		tables := []*relaybase.Table{simple("user"), simple("message"), simple("other")}
		migrate(t, s, tables, map[string]int64{"user": 37, "message": 40, "absent": 41})
		if tables[0].ID != 37 || tables[1].ID != 40 {
			t.Fatalf("fixed ids: user %d, message %d; want 37, 40", tables[0].ID, tables[1].ID)
		}
		if id := tables[2].ID; id <= 0 || id == 37 || id == 40 {
			t.Fatalf("table other got id %d, want a fresh one", id)
		}
		other := tables[2].ID
		s = reopen(t, s, open)
		// other's id is now fixed for user: user takes it, other moves to a fresh id.
		again := []*relaybase.Table{simple("user"), simple("message"), simple("other")}
		notes := migrate(t, s, again, map[string]int64{"user": other, "message": 40})
		if again[0].ID != other || again[1].ID != 40 {
			t.Fatalf("after changing table_ids: user %d, message %d; want %d, 40", again[0].ID, again[1].ID, other)
		}
		if id := again[2].ID; id <= 0 || id == other || id == 40 {
			t.Fatalf("displaced table got id %d, want a fresh one", id)
		}
		if !hasNote(notes, "user") {
			t.Errorf("notes %q don't report user's changed id", notes)
		}
		if _, err := s.Migrate(ctx(t), []*relaybase.Table{simple("x"), simple("y")}, map[string]int64{"x": 5, "y": 5}); err == nil {
			t.Errorf("two tables with the same fixed id: no error")
		}
	},

	"RemovedTableIsReportedAndKept": func(t *testing.T, open Opener) {
		s := open(t)
		migrate(t, s, []*relaybase.Table{simple("keep"), simple("gone", field("v", relaybase.TypeText))}, nil)
		write(t, s, func(tx relaybase.Tx) { insert(t, tx, "gone", "v", "data") })
		notes := migrate(t, s, []*relaybase.Table{simple("keep")}, nil)
		if !hasNote(notes, "gone") {
			t.Errorf("notes %q don't report the table that is no longer defined", notes)
		}
		migrate(t, s, []*relaybase.Table{simple("keep"), simple("gone", field("v", relaybase.TypeText))}, nil)
		if n := count(t, s, "gone"); n != 1 {
			t.Errorf("rows of the returning table = %d, want 1", n)
		}
	},

	"BadDefinitionsAreRefused": func(t *testing.T, open Opener) {
		s := open(t)
		cases := map[string][]*relaybase.Table{
			"reserved name":       {simple("_relaybase_meta")},
			"empty name":          {simple("")},
			"table twice":         {simple("a"), simple("a")},
			"unknown type":        {simple("a", field("f", "geometry"))},
			"field twice":         {simple("a", field("f", relaybase.TypeText), field("f", relaybase.TypeInt))},
			"index unknown field": {{Name: "a", Index: []relaybase.Index{{Type: "btree", Fields: []string{"nope"}}}}},
			"id not int":          {{Name: "a", Fields: []relaybase.Field{field("id", relaybase.TypeText)}}},
		}
		for name, tables := range cases {
			if _, err := s.Migrate(ctx(t), tables, nil); err == nil {
				t.Errorf("%s: Migrate succeeded, want an error", name)
			}
		}
	},

	"UnknownTable": func(t *testing.T, open Opener) {
		s := open(t)
		migrate(t, s, []*relaybase.Table{simple("a")}, nil)
		read(t, s, func(tx relaybase.Tx) {
			if _, err := tx.Get(ctx(t), "nope", "id", int64(1)); !errors.Is(err, relaybase.ErrNotFound) {
				t.Errorf("Get from an unknown table: err %v, want ErrNotFound", err)
			}
			if _, err := tx.Query(ctx(t), &relaybase.Query{Table: "nope"}); !errors.Is(err, relaybase.ErrNotFound) {
				t.Errorf("Query an unknown table: err %v, want ErrNotFound", err)
			}
		})
	},
}

func mustGet(o *value.Object, k string) any {
	v, _ := o.Get(k)
	return v
}

func typeOf(f relaybase.Field) string {
	if f.Array {
		return string(f.Type) + "[]"
	}
	return string(f.Type)
}
