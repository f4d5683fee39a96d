package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"relaybase"
	"relaybase/internal/sqlbuild"
	"relaybase/value"
)

func TestConnectionSettings(t *testing.T) {
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	check := func(write bool, want map[string]string) {
		t.Helper()
		c, err := db.acquire(t.Context(), write)
		if err != nil {
			t.Fatal(err)
		}
		defer db.release(c)
		for pragma, w := range want {
			var got string
			if err := c.c.QueryRowContext(t.Context(), "PRAGMA "+pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != w {
				t.Errorf("write=%v: PRAGMA %s = %s, want %s", write, pragma, got, w)
			}
		}
	}
	check(true, map[string]string{"journal_mode": "wal", "synchronous": "2", "foreign_keys": "1", "busy_timeout": "10000", "query_only": "0"})
	check(false, map[string]string{"journal_mode": "wal", "foreign_keys": "1", "busy_timeout": "10000", "query_only": "1"})
}

// Get by an indexed field must use the index even though it orders by id.
func TestGetUsesIndex(t *testing.T) {
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	user := &relaybase.Table{Name: "user", Fields: []relaybase.Field{{Name: "email", Type: relaybase.TypeEmail}, {Name: "name", Type: relaybase.TypeText}},
		Index: []relaybase.Index{{Type: "btree|unique", Unique: true, Fields: []string{"email"}}, {Type: "btree", Fields: []string{"name"}}}}
	if _, err := db.Migrate(t.Context(), []*relaybase.Table{user}, nil); err != nil {
		t.Fatal(err)
	}
	tb := db.schema.Load().tables["user"]
	c, err := db.acquire(t.Context(), false)
	if err != nil {
		t.Fatal(err)
	}
	defer db.release(c)
	for _, field := range []string{"email", "name"} {
		st, err := sqlbuild.Get(sq, tb, field, "x")
		if err != nil {
			t.Fatal(err)
		}
		rows, err := c.c.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+st.SQL, st.Args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		if p := strings.Join(plan, "; "); !strings.Contains(p, "USING INDEX rb_user_"+field) {
			t.Errorf("Get by %s: plan %q doesn't use its index", field, p)
		}
	}
}

// A statement interrupted by its context must leave the writer usable.
func TestCancelledStatementKeepsTheWriter(t *testing.T) {
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tb := &relaybase.Table{Name: "a", Fields: []relaybase.Field{{Name: "v", Type: relaybase.TypeInt}}}
	if _, err := db.Migrate(t.Context(), []*relaybase.Table{tb}, nil); err != nil {
		t.Fatal(err)
	}
	for _, when := range []string{"before", "during"} {
		tx, err := db.begin(t.Context(), true)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Insert(t.Context(), "a", value.ObjectOf("v", int64(1))); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		if when == "before" {
			cancel()
		} else {
			time.AfterFunc(20*time.Millisecond, cancel)
		}
		// Long enough to be running when cancelled.
		_, err = tx.c.c.ExecContext(ctx, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000000)
			SELECT count(*) FROM n`)
		cancel()
		if err == nil {
			t.Fatalf("%s: the cancelled statement succeeded", when)
		}
		if err := tx.Rollback(); err != nil {
			t.Fatalf("%s: Rollback: %v", when, err)
		}
		tx2, err := db.begin(t.Context(), true)
		if err != nil {
			t.Fatalf("%s: Begin after a cancelled statement: %v", when, err)
		}
		if _, err := tx2.Insert(t.Context(), "a", value.ObjectOf("v", int64(2))); err != nil {
			t.Fatalf("%s: Insert after a cancelled statement: %v", when, err)
		}
		if err := tx2.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	var n int
	c, _ := db.acquire(t.Context(), false)
	defer db.release(c)
	if err := c.c.QueryRowContext(t.Context(), `SELECT count(*) FROM "a"`).Scan(&n); err != nil || n != 2 {
		t.Errorf("rows = %d (%v), want the 2 committed ones", n, err)
	}
}

// Read transactions held open don't stop Meta, History or Ping until every read
// connection is in use; reads never wait for the writer.
func TestReadersOpenOnDemand(t *testing.T) {
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "db"), WithReadConns(3))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	w, err := db.Begin(t.Context(), true)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Rollback()
	var held []relaybase.Tx
	for range 2 {
		tx, err := db.Begin(t.Context(), false)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, tx)
	}
	if _, err := db.History(t.Context(), "c", 0, 0); err != nil {
		t.Fatal(err)
	}
	third, err := db.Begin(t.Context(), false)
	if err != nil {
		t.Fatal(err)
	}
	// All three are in use: the next read waits, here until its context ends.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, _, err := db.Meta(ctx, "k"); !errors.Is(err, context.Canceled) {
		t.Errorf("Meta with every reader busy: %v, want to wait (context.Canceled)", err)
	}
	third.Rollback()
	if _, _, err := db.Meta(t.Context(), "k"); err != nil {
		t.Fatal(err)
	}
	for _, tx := range held {
		tx.Rollback()
	}
	if db.nreaders != 3 {
		t.Errorf("opened %d readers, want 3", db.nreaders)
	}
}
