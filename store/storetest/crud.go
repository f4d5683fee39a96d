package storetest

import (
	"testing"
	"time"

	"relaybase"
	"relaybase/value"
)

var crudCases = map[string]func(*testing.T, Opener){
	"InsertFillsIDAndDefaults": func(t *testing.T, open Opener) {
		s := open(t)
		migrate(t, s, []*relaybase.Table{userTable()}, nil)
		before := time.Now().UnixMilli()
		var row *value.Object
		write(t, s, func(tx relaybase.Tx) {
			row = insert(t, tx, "user", "email", "ann@example.com", "password", "hash", "name", "Ann")
		})
		after := time.Now().UnixMilli()
		if got := row.Keys(); len(got) != 5 || got[0] != "id" || got[1] != "name" || got[4] != "created_at" {
			t.Fatalf("row keys %v: want id first, then the fields in schema order", got)
		}
		created, ok := mustGet(row, "created_at").(int64)
		if !ok || created < before || created > after {
			t.Errorf("created_at = %v, want ms between %d and %d", mustGet(row, "created_at"), before, after)
		}
		rowIs(t, row, value.ObjectOf("id", int64(1), "name", "Ann", "email", "ann@example.com", "password", "hash", "created_at", created))
		write(t, s, func(tx relaybase.Tx) {
			rowIs(t, get(t, tx, "user", "id", int64(1)), row)
			second := insert(t, tx, "user", "email", "bob@example.com", "password", "h", "name", "Bob", "created_at", int64(5))
			if !sameValue(mustGet(second, "id"), int64(2)) || !sameValue(mustGet(second, "created_at"), int64(5)) {
				t.Errorf("second row %s: want id 2 and the given created_at", show(second))
			}
		})
	},

	"InsertOptionalNullableAndDefaults": func(t *testing.T, open Opener) {
		s := open(t)
		tb := &relaybase.Table{Name: "opt", Fields: []relaybase.Field{
			{Name: "req", Type: relaybase.TypeText},
			{Name: "nullable", Type: relaybase.TypeText, Nullable: true},
			{Name: "optional", Type: relaybase.TypeInt, Optional: true},
			{Name: "count", Type: relaybase.TypeInt, Optional: true, Default: int64(7)},
			{Name: "flag", Type: relaybase.TypeBool, Optional: true, Default: true},
			{Name: "label", Type: relaybase.TypeText, Optional: true, Default: "none"},
			{Name: "kind", Type: relaybase.TypeEnum, Optional: true, Default: "b", Values: []string{"a", "b"}},
		}}
		migrate(t, s, []*relaybase.Table{tb}, nil)
		write(t, s, func(tx relaybase.Tx) {
			row := insert(t, tx, "opt", "req", "x")
			rowIs(t, row, value.ObjectOf("id", int64(1), "req", "x", "nullable", nil, "optional", nil,
				"count", int64(7), "flag", true, "label", "none", "kind", "b"))
			// The contract pins down: a required field without a default must be given.
			if _, err := tx.Insert(ctx(t), "opt", value.ObjectOf("nullable", "y")); !isInputError(err) {
				t.Errorf("insert without the required field: err %v, want an input error", err)
			}
			// Given values win over defaults, null included.
			row = insert(t, tx, "opt", "req", "y", "count", nil, "flag", false)
			if !sameValue(mustGet(row, "count"), nil) || !sameValue(mustGet(row, "flag"), false) {
				t.Errorf("given values lost: %s", show(row))
			}
		})
	},

	"InsertRejectsBadData": func(t *testing.T, open Opener) {
		s := open(t)
		tb := simple("thing", field("n", relaybase.TypeInt), field("s", relaybase.TypeText), field("b", relaybase.TypeBool),
			field("o", relaybase.TypeObject), arrayField("l", relaybase.TypeInt),
			relaybase.Field{Name: "e", Type: relaybase.TypeEnum, Values: []string{"x", "y"}})
		migrate(t, s, []*relaybase.Table{tb}, nil)
		bad := map[string]*value.Object{
			"unknown field":     value.ObjectOf("nope", int64(1)),
			"text into int":     value.ObjectOf("n", "12"),
			"fraction into int": value.ObjectOf("n", 1.5),
			"int into text":     value.ObjectOf("s", int64(1)),
			"int into bool":     value.ObjectOf("b", int64(1)),
			"text into object":  value.ObjectOf("o", "{}"),
			"scalar into array": value.ObjectOf("l", int64(1)),
			"text in int array": value.ObjectOf("l", []any{int64(1), "2"}),
			"value not in enum": value.ObjectOf("e", "z"),
		}
		write(t, s, func(tx relaybase.Tx) {
			for name, row := range bad {
				if _, err := tx.Insert(ctx(t), "thing", row); !isInputError(err) {
					t.Errorf("%s: err %v, want an input error", name, err)
				}
			}
			// An integral decimal is an int.
			row := insert(t, tx, "thing", "n", 3.0)
			if !sameValue(mustGet(row, "n"), int64(3)) {
				t.Errorf("3.0 into an int field gave %s", show(mustGet(row, "n")))
			}
		})
		if n := count(t, s, "thing"); n != 1 {
			t.Errorf("rows = %d, want only the good one", n)
		}
	},

	"Get": func(t *testing.T, open Opener) {
		s := open(t)
		migrate(t, s, []*relaybase.Table{messageTable()}, nil)
		write(t, s, func(tx relaybase.Tx) {
			insert(t, tx, "message", "room", "b", "text", "1", "user_id", nil)
			insert(t, tx, "message", "room", "a", "text", "2", "user_id", int64(9))
			insert(t, tx, "message", "room", "a", "text", "3", "user_id", nil)
		})
		read(t, s, func(tx relaybase.Tx) {
			for _, c := range []struct {
				field  string
				v      any
				wantID any
			}{
				{"id", int64(2), int64(2)},
				{"id", 2, int64(2)},
				{"id", 2.0, int64(2)},
				{"id", int64(99), nil},
				{"room", "a", int64(2)}, // several match: the lowest id
				{"room", "c", nil},
				{"user_id", nil, int64(1)}, // null matches null
				{"user_id", int64(9), int64(2)},
				{"user_id", "9", nil}, // type-strict
			} {
				row := get(t, tx, "message", c.field, c.v)
				var id any
				if row != nil {
					id = mustGet(row, "id")
				}
				if !sameValue(id, c.wantID) {
					t.Errorf("Get(%s = %s) gave row %s, want id %v", c.field, show(c.v), show(row), c.wantID)
				}
			}
			if _, err := tx.Get(ctx(t), "message", "nope", int64(1)); !isInputError(err) {
				t.Errorf("Get by an unknown field: err %v, want an input error", err)
			}
		})
	},

	"Update": func(t *testing.T, open Opener) {
		s := open(t)
		migrate(t, s, []*relaybase.Table{messageTable()}, nil)
		write(t, s, func(tx relaybase.Tx) {
			insert(t, tx, "message", "room", "a", "text", "one", "user_id", int64(1), "created_at", int64(10))
			insert(t, tx, "message", "room", "a", "text", "two", "user_id", int64(2), "created_at", int64(20))
			insert(t, tx, "message", "room", "b", "text", "three", "user_id", int64(3), "created_at", int64(30))
		})
		write(t, s, func(tx relaybase.Tx) {
			row, err := tx.Update(ctx(t), "message", "id", int64(2), value.ObjectOf("text", "TWO", "user_id", nil))
			if err != nil {
				t.Fatal(err)
			}
			rowIs(t, row, value.ObjectOf("id", int64(2), "room", "a", "user_id", nil, "text", "TWO", "created_at", int64(20)))
			rowIs(t, get(t, tx, "message", "id", int64(2)), row)

			// Several rows: all change, the lowest id comes back.
			row, err = tx.Update(ctx(t), "message", "room", "a", value.ObjectOf("room", "z"))
			if err != nil {
				t.Fatal(err)
			}
			if !sameValue(mustGet(row, "id"), int64(1)) || !sameValue(mustGet(row, "room"), "z") {
				t.Errorf("update of several rows returned %s, want row 1 changed", show(row))
			}
			if got := get(t, tx, "message", "id", int64(2)); !sameValue(mustGet(got, "room"), "z") {
				t.Errorf("row 2 not updated: %s", show(got))
			}
			if got := get(t, tx, "message", "id", int64(3)); !sameValue(mustGet(got, "room"), "b") {
				t.Errorf("row 3 changed: %s", show(got))
			}

			row, err = tx.Update(ctx(t), "message", "id", int64(99), value.ObjectOf("text", "x"))
			if err != nil || row != nil {
				t.Errorf("update of no row: %s, %v; want nil, nil", show(row), err)
			}
			// id can't change: it is ignored, the rest applies.
			row, err = tx.Update(ctx(t), "message", "id", int64(3), value.ObjectOf("id", int64(3), "text", "THREE"))
			if err != nil || !sameValue(mustGet(row, "text"), "THREE") {
				t.Errorf("update with id in the changes: %s, %v", show(row), err)
			}
			// No changes: the row as it is.
			row, err = tx.Update(ctx(t), "message", "id", int64(3), value.NewObject(0))
			if err != nil || !sameValue(mustGet(row, "text"), "THREE") {
				t.Errorf("update without changes: %s, %v", show(row), err)
			}
			if _, err := tx.Update(ctx(t), "message", "id", int64(3), value.ObjectOf("nope", int64(1))); !isInputError(err) {
				t.Errorf("update of an unknown field: err %v, want an input error", err)
			}
			if _, err := tx.Update(ctx(t), "message", "id", int64(3), value.ObjectOf("user_id", "x")); !isInputError(err) {
				t.Errorf("update with a wrong type: err %v, want an input error", err)
			}
		})
	},

	"Delete": func(t *testing.T, open Opener) {
		s := open(t)
		migrate(t, s, []*relaybase.Table{messageTable()}, nil)
		write(t, s, func(tx relaybase.Tx) {
			for _, room := range []string{"a", "a", "b", "c"} {
				insert(t, tx, "message", "room", room, "text", "t")
			}
		})
		write(t, s, func(tx relaybase.Tx) {
			for _, c := range []struct {
				field string
				v     any
				want  int64
			}{{"id", int64(4), 1}, {"id", int64(4), 0}, {"room", "a", 2}, {"room", "zzz", 0}, {"user_id", nil, 1}} {
				n, err := tx.Delete(ctx(t), "message", c.field, c.v)
				if err != nil || n != c.want {
					t.Errorf("Delete(%s = %s) = %d, %v; want %d", c.field, show(c.v), n, err, c.want)
				}
			}
		})
		if n := count(t, s, "message"); n != 0 {
			t.Errorf("rows left = %d, want 0", n)
		}
	},

	"Truncate": func(t *testing.T, open Opener) {
		s := open(t)
		migrate(t, s, []*relaybase.Table{simple("a", field("v", relaybase.TypeText)), simple("b", field("v", relaybase.TypeText))}, nil)
		write(t, s, func(tx relaybase.Tx) {
			insert(t, tx, "a", "v", "1")
			insert(t, tx, "a", "v", "2")
			insert(t, tx, "b", "v", "1")
			insert(t, tx, "b", "v", "2")
		})
		write(t, s, func(tx relaybase.Tx) {
			if err := tx.Truncate(ctx(t), "a", false); err != nil {
				t.Fatal(err)
			}
			if err := tx.Truncate(ctx(t), "b", true); err != nil {
				t.Fatal(err)
			}
		})
		write(t, s, func(tx relaybase.Tx) {
			if row := insert(t, tx, "a", "v", "3"); !sameValue(mustGet(row, "id"), int64(3)) {
				t.Errorf("after truncate without reset: id %s, want 3", show(mustGet(row, "id")))
			}
			if row := insert(t, tx, "b", "v", "3"); !sameValue(mustGet(row, "id"), int64(1)) {
				t.Errorf("after truncate with reset: id %s, want 1", show(mustGet(row, "id")))
			}
		})
	},

	"ExplicitID": func(t *testing.T, open Opener) {
		s := open(t)
		migrate(t, s, []*relaybase.Table{simple("a", field("v", relaybase.TypeText))}, nil)
		write(t, s, func(tx relaybase.Tx) {
			if row := insert(t, tx, "a", "id", int64(100), "v", "x"); !sameValue(mustGet(row, "id"), int64(100)) {
				t.Errorf("explicit id: %s", show(row))
			}
			if row := insert(t, tx, "a", "v", "y"); !sameValue(mustGet(row, "id"), int64(101)) {
				t.Errorf("id after an explicit one: %s, want 101", show(row))
			}
		})
	},
}

var typeCases = map[string]func(*testing.T, Opener){
	"RoundTripEveryType": func(t *testing.T, open Opener) {
		s := open(t)
		tb := simple("every",
			field("i", relaybase.TypeInt), field("d", relaybase.TypeDecimal), field("t", relaybase.TypeText),
			field("b", relaybase.TypeBool), field("ts", relaybase.TypeTimestamp), field("day", relaybase.TypeDate),
			field("em", relaybase.TypeEmail), field("pw", relaybase.TypePassword), field("u", relaybase.TypeUUID),
			field("j", relaybase.TypeJSON), relaybase.Field{Name: "e", Type: relaybase.TypeEnum, Values: []string{"x", "y"}},
			field("o", relaybase.TypeObject), arrayField("ia", relaybase.TypeInt), arrayField("ta", relaybase.TypeText),
			arrayField("da", relaybase.TypeDecimal), arrayField("ba", relaybase.TypeBool), arrayField("oa", relaybase.TypeObject))
		migrate(t, s, []*relaybase.Table{tb}, nil)
		nested := value.ObjectOf("z", int64(1), "a", []any{int64(1), 2.5, "x", nil, true, value.ObjectOf("k", "v")})
		full := value.ObjectOf(
			"i", int64(-1<<62), "d", 3.25, "t", "héllo\n\"x\" 😀", "b", true, "ts", int64(1700000000123),
			"day", "2024-02-29", "em", "a@b.c", "pw", "$argon2id$v=19$m=65536,t=1,p=4$c2FsdA$aGFzaA",
			"u", "8c1c9e0e-3f8e-4d8e-9a2b-0a8b5c9d1e2f", "j", nested, "e", "y", "o", value.ObjectOf("b", int64(2), "a", int64(1)),
			"ia", []any{int64(1), int64(2), int64(3)}, "ta", []any{"a", "", "c"}, "da", []any{1.5, 2.0},
			"ba", []any{true, false}, "oa", []any{value.ObjectOf("k", int64(1))})
		zero := value.ObjectOf("i", int64(0), "d", 0.0, "t", "", "b", false, "ts", int64(0), "j", []any{},
			"o", value.NewObject(0), "ia", []any{}, "ta", []any{})
		want := func(id int64, in *value.Object) *value.Object {
			o := value.ObjectOf("id", id)
			for _, f := range tb.Fields {
				v, _ := in.Get(f.Name)
				o.Set(f.Name, v)
			}
			return o
		}
		write(t, s, func(tx relaybase.Tx) {
			for i, in := range []*value.Object{full, zero, value.NewObject(0)} {
				row, err := tx.Insert(ctx(t), "every", in)
				if err != nil {
					t.Fatalf("insert %s: %v", show(in), err)
				}
				rowIs(t, row, want(int64(i+1), in))
			}
			// json holds any value.
			for _, v := range []any{"text", int64(5), 2.5, true, []any{int64(1), "a"}} {
				row := insert(t, tx, "every", "j", v)
				rowIs(t, get(t, tx, "every", "id", mustGet(row, "id")), want(mustGet(row, "id").(int64), value.ObjectOf("j", v)))
			}
			// An int given to a decimal field reads back as a decimal.
			row := insert(t, tx, "every", "d", int64(3))
			if !sameValue(mustGet(row, "d"), 3.0) {
				t.Errorf("int into decimal: %s (%T), want 3.0", show(mustGet(row, "d")), mustGet(row, "d"))
			}
		})
		// In a new transaction, from the database rather than from what Insert returned.
		read(t, s, func(tx relaybase.Tx) {
			rowIs(t, get(t, tx, "every", "id", int64(1)), want(1, full))
			rowIs(t, get(t, tx, "every", "id", int64(2)), want(2, zero))
			rowIs(t, get(t, tx, "every", "id", int64(3)), want(3, value.NewObject(0)))
			// Empty text and false are not null.
			if row := get(t, tx, "every", "t", nil); !sameValue(mustGet(row, "id"), int64(3)) {
				t.Errorf("Get t = null gave %s, want row 3", show(row))
			}
			if row := get(t, tx, "every", "b", false); !sameValue(mustGet(row, "id"), int64(2)) {
				t.Errorf("Get b = false gave %s, want row 2", show(row))
			}
		})
	},
}
