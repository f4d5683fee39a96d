package storetest

import (
	"errors"
	"testing"

	"relaybase"
	"relaybase/value"
)

var txCases = map[string]func(*testing.T, Opener){
	"RollbackLeavesNothing": func(t *testing.T, open Opener) {
		s := open(t)
		migrate(t, s, []*relaybase.Table{messageTable()}, nil)
		write(t, s, func(tx relaybase.Tx) { insert(t, tx, "message", "room", "a", "text", "kept") })
		tx, err := s.Begin(ctx(t), true)
		if err != nil {
			t.Fatal(err)
		}
		insert(t, tx, "message", "room", "a", "text", "new")
		if _, err := tx.Update(ctx(t), "message", "id", int64(1), value.ObjectOf("text", "changed")); err != nil {
			t.Fatal(err)
		}
		if _, _, err := tx.AppendHistory(ctx(t), &relaybase.HistoryEntry{Channel: "c", Frame: []byte("{}")}, 10); err != nil {
			t.Fatal(err)
		}
		if err := tx.Truncate(ctx(t), "message", true); err != nil {
			t.Fatal(err)
		}
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
		if err := tx.Rollback(); err != nil {
			t.Errorf("second Rollback: %v, want nil", err)
		}
		read(t, s, func(tx relaybase.Tx) {
			res, err := tx.Query(ctx(t), &relaybase.Query{Table: "message"})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Rows) != 1 || !sameValue(mustGet(res.Rows[0], "text"), "kept") {
				t.Errorf("after rollback: rows %s, want only the kept one unchanged", show(rowsValue(res.Rows)))
			}
		})
		page, err := s.History(ctx(t), "c", 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Entries) != 0 || page.Epoch != "" || page.Newest != 0 {
			t.Errorf("history after rollback: %+v, want none", page)
		}
		// The id sequence is not burnt by the rollback either... nor must it be: only
		// that the next row gets a fresh id is promised.
		write(t, s, func(tx relaybase.Tx) {
			row := insert(t, tx, "message", "room", "a", "text", "next")
			if id, _ := mustGet(row, "id").(int64); id < 2 {
				t.Errorf("next id %d, want > 1", id)
			}
		})
	},

	"SavepointRollbackInsideCommittedTx": func(t *testing.T, open Opener) {
		s := open(t)
		migrate(t, s, []*relaybase.Table{simple("log", field("v", relaybase.TypeText))}, nil)
		write(t, s, func(tx relaybase.Tx) {
			insert(t, tx, "log", "v", "a")
			sp, err := tx.Savepoint(ctx(t))
			if err != nil {
				t.Fatal(err)
			}
			insert(t, tx, "log", "v", "b")
			inner, err := tx.Savepoint(ctx(t))
			if err != nil {
				t.Fatal(err)
			}
			insert(t, tx, "log", "v", "b2")
			if err := inner.Release(); err != nil {
				t.Fatal(err)
			}
			if err := sp.Rollback(); err != nil {
				t.Fatal(err)
			}
			insert(t, tx, "log", "v", "c")
			kept, err := tx.Savepoint(ctx(t))
			if err != nil {
				t.Fatal(err)
			}
			insert(t, tx, "log", "v", "d")
			if err := kept.Release(); err != nil {
				t.Fatal(err)
			}
			if _, err := tx.Savepoint(ctx(t)); err != nil { // left open: commits with the tx
				t.Fatal(err)
			}
			insert(t, tx, "log", "v", "e")
		})
		read(t, s, func(tx relaybase.Tx) {
			res, err := tx.Query(ctx(t), &relaybase.Query{Table: "log"})
			if err != nil {
				t.Fatal(err)
			}
			var got []any
			for _, r := range res.Rows {
				got = append(got, mustGet(r, "v"))
			}
			if !sameValue(got, []any{"a", "c", "d", "e"}) {
				t.Errorf("after savepoints: %s, want [a c d e]", show(got))
			}
		})
	},

	"ReadTxRefusesWrites": func(t *testing.T, open Opener) {
		s := open(t)
		migrate(t, s, []*relaybase.Table{simple("a", field("v", relaybase.TypeText))}, nil)
		tx, err := s.Begin(ctx(t), false)
		if err != nil {
			t.Fatal(err)
		}
		_, err = tx.Insert(ctx(t), "a", value.ObjectOf("v", "x"))
		tx.Rollback()
		if err == nil {
			t.Errorf("Insert in a read transaction succeeded")
		}
		if n := count(t, s, "a"); n != 0 {
			t.Errorf("rows = %d, want 0", n)
		}
	},

	"CommitIsVisible": func(t *testing.T, open Opener) {
		s := open(t)
		migrate(t, s, []*relaybase.Table{simple("a", field("v", relaybase.TypeText))}, nil)
		tx, err := s.Begin(ctx(t), true)
		if err != nil {
			t.Fatal(err)
		}
		insert(t, tx, "a", "v", "x")
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		if err := tx.Rollback(); err != nil {
			t.Errorf("Rollback after Commit: %v, want nil", err)
		}
		if n := count(t, s, "a"); n != 1 {
			t.Errorf("rows after commit = %d, want 1", n)
		}
	},

	"UniqueViolationIsConflict": func(t *testing.T, open Opener) {
		s := open(t)
		migrate(t, s, []*relaybase.Table{userTable()}, nil)
		write(t, s, func(tx relaybase.Tx) {
			insert(t, tx, "user", "name", "a", "email", "a@x", "password", "h")
			insert(t, tx, "user", "name", "b", "email", "b@x", "password", "h")
		})
		try := func(name string, fn func(tx relaybase.Tx) error) {
			tx, err := s.Begin(ctx(t), true)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			if err := fn(tx); !errors.Is(err, relaybase.ErrConflict) {
				t.Errorf("%s: err %v, want ErrConflict", name, err)
			}
		}
		try("insert", func(tx relaybase.Tx) error {
			_, err := tx.Insert(ctx(t), "user", value.ObjectOf("name", "c", "email", "a@x", "password", "h"))
			return err
		})
		try("update", func(tx relaybase.Tx) error {
			_, err := tx.Update(ctx(t), "user", "id", int64(2), value.ObjectOf("email", "a@x"))
			return err
		})
		try("explicit id", func(tx relaybase.Tx) error {
			_, err := tx.Insert(ctx(t), "user", value.ObjectOf("id", int64(1), "name", "c", "email", "c@x", "password", "h"))
			return err
		})
		// Nothing of the failed transactions remains; the good rows are untouched.
		read(t, s, func(tx relaybase.Tx) {
			rowIs(t, get(t, tx, "user", "id", int64(2)), value.ObjectOf("id", int64(2), "name", "b", "email", "b@x",
				"password", "h", "created_at", mustGet(get(t, tx, "user", "id", int64(2)), "created_at")))
		})
		if n := count(t, s, "user"); n != 2 {
			t.Errorf("rows = %d, want 2", n)
		}
		// Nulls never conflict.
		migrate(t, s, []*relaybase.Table{uniqueNullable()}, nil)
		write(t, s, func(tx relaybase.Tx) {
			insert(t, tx, "handle", "h", nil)
			insert(t, tx, "handle", "h", nil)
		})
	},
}

func uniqueNullable() *relaybase.Table {
	tb := simple("handle", field("h", relaybase.TypeText))
	tb.Index = []relaybase.Index{{Type: "btree|unique", Unique: true, Fields: []string{"h"}}}
	return tb
}

func rowsValue(rows []*value.Object) []any {
	out := make([]any, len(rows))
	for i, r := range rows {
		out[i] = r
	}
	return out
}
