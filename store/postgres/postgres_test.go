//go:build integration

package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"relaybase"
	"relaybase/internal/testenv"
	"relaybase/store/postgres"
	"relaybase/store/storetest"
	"relaybase/value"
)

// freshSchema makes a schema of its own for t in the test database (dropped when t ends) and
// returns a URL whose search_path selects it.
func freshSchema(t testing.TB) string { return testenv.PostgresSchema(t, "rbtest") }

// opener gives each test a schema of its own and reopens it on later calls.
func opener() storetest.Opener {
	return storetest.PerTest(func(t *testing.T) string { return freshSchema(t) },
		func(t *testing.T, u string) relaybase.Store { return openAt(t, u) })
}

func openAt(t *testing.T, u string, opts ...postgres.Option) *postgres.DB {
	db, err := postgres.Open(t.Context(), u, opts...)
	return storetest.Opened(t, db, err)
}

func TestStore(t *testing.T) { storetest.Run(t, opener()) }

func mustMigrate(t *testing.T, s relaybase.Store, tables []*relaybase.Table) {
	t.Helper()
	if _, err := s.Migrate(t.Context(), tables, nil); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
}

// Two DBs on one schema stand for two nodes: they migrate at once (taking turns through the
// advisory lock), agree on table ids and metadata, and their writers meet in row locks
// only: offsets appended from both are dense (the channel's row), and a read-modify-write
// from either never loses an update (Get in a write Tx locks the row it returns).
func TestTwoNodes(t *testing.T) {
	u := freshSchema(t)
	// Open and migrate together, as nodes starting at once do.
	nodes := make([]*postgres.DB, 2)
	tables := make([][]*relaybase.Table, 2)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range nodes {
		wg.Go(func() {
			db, err := postgres.Open(t.Context(), u)
			if err != nil {
				errs[i] = err
				return
			}
			nodes[i] = db
			t.Cleanup(func() { db.Close() })
			tables[i] = []*relaybase.Table{
				{Name: "counter", Fields: []relaybase.Field{{Name: "n", Type: relaybase.TypeInt}}},
				{Name: "message", Fields: []relaybase.Field{{Name: "node", Type: relaybase.TypeInt}, {Name: "text", Type: relaybase.TypeText}},
					Index: []relaybase.Index{{Type: "btree", Fields: []string{"node"}}}},
			}
			_, errs[i] = db.Migrate(t.Context(), tables[i], nil)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("node %d: %v", i, err)
		}
	}
	for j := range tables[0] {
		if a, b := tables[0][j].ID, tables[1][j].ID; a != b || a <= 0 {
			t.Errorf("table %s: ids %d and %d, want the same positive id", tables[0][j].Name, a, b)
		}
	}
	// A later Migrate finds nothing to do.
	if notes, err := nodes[1].Migrate(t.Context(), tables[1], nil); err != nil || len(notes) != 0 {
		t.Errorf("Migrate again: %q, %v; want no notes", notes, err)
	}

	// Metadata: both race to set it; both end with the first value written.
	got := make([]string, 2)
	for i, db := range nodes {
		wg.Go(func() {
			got[i], errs[i] = db.InitMeta(t.Context(), "auth_key", fmt.Sprint("key-from-", i))
		})
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil || got[0] != got[1] {
		t.Fatalf("InitMeta: %q, %v", got, errs)
	}
	for i, db := range nodes {
		if v, ok, err := db.Meta(t.Context(), "auth_key"); err != nil || !ok || v != got[0] {
			t.Errorf("node %d Meta = %q %v %v, want %q", i, v, ok, err, got[0])
		}
	}

	write := func(db *postgres.DB, fn func(tx relaybase.Tx) error) error {
		tx, err := db.Begin(t.Context(), true)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		if err := fn(tx); err != nil {
			return err
		}
		return tx.Commit()
	}
	if err := write(nodes[0], func(tx relaybase.Tx) error {
		_, err := tx.Insert(t.Context(), "counter", value.ObjectOf("n", int64(0)))
		return err
	}); err != nil {
		t.Fatal(err)
	}

	const perNode, goroutines = 40, 3
	var mu sync.Mutex
	offsets := map[int][]int64{}
	var epochs []string
	failed := make(chan error, 2*goroutines)
	for i, db := range nodes {
		for range goroutines {
			wg.Go(func() {
				for j := range perNode {
					err := write(db, func(tx relaybase.Tx) error {
						row, err := tx.Get(t.Context(), "counter", "id", int64(1))
						if err != nil {
							return err
						}
						n, _ := row.Get("n")
						if _, err := tx.Update(t.Context(), "counter", "id", int64(1), value.ObjectOf("n", n.(int64)+1)); err != nil {
							return err
						}
						if _, err := tx.Insert(t.Context(), "message", value.ObjectOf("node", int64(i), "text", fmt.Sprint(j))); err != nil {
							return err
						}
						off, epoch, err := tx.AppendHistory(t.Context(), &relaybase.HistoryEntry{Channel: "room",
							Frame: []byte(fmt.Sprintf(`{"node":%d,"n":%d}`, i, j))}, 0)
						if err != nil {
							return err
						}
						mu.Lock()
						offsets[i] = append(offsets[i], off)
						epochs = append(epochs, epoch)
						mu.Unlock()
						return nil
					})
					if err != nil {
						failed <- fmt.Errorf("node %d: %w", i, err)
						return
					}
				}
			})
		}
	}
	wg.Wait()
	close(failed)
	for err := range failed {
		t.Fatal(err)
	}
	total := 2 * goroutines * perNode
	var all []int64
	for _, o := range offsets {
		all = append(all, o...)
	}
	sort.Slice(all, func(a, b int) bool { return all[a] < all[b] })
	for k, o := range all {
		if o != int64(k+1) {
			t.Fatalf("offsets from both nodes are not 1..%d without gaps or duplicates: %v", total, all)
		}
	}
	if len(offsets[0]) != goroutines*perNode || len(offsets[1]) != goroutines*perNode {
		t.Errorf("offsets per node: %d and %d, want %d each", len(offsets[0]), len(offsets[1]), goroutines*perNode)
	}
	for _, e := range epochs {
		if e != epochs[0] {
			t.Fatalf("epochs differ between appends: %q and %q", epochs[0], e)
		}
	}
	pages := make([]relaybase.HistoryPage, 2)
	for i, db := range nodes {
		p, err := db.History(t.Context(), "room", 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		pages[i] = p
		if p.Newest != int64(total) || len(p.Entries) != total || p.Epoch != epochs[0] {
			t.Errorf("node %d History: newest %d, %d entries, epoch %q; want %d, %d, %q",
				i, p.Newest, len(p.Entries), p.Epoch, total, total, epochs[0])
		}
	}
	for k := range pages[0].Entries {
		if string(pages[0].Entries[k].Frame) != string(pages[1].Entries[k].Frame) {
			t.Fatalf("entry %d differs between nodes: %s / %s", k, pages[0].Entries[k].Frame, pages[1].Entries[k].Frame)
		}
	}
	// No read-modify-write was lost, whichever node ran it.
	tx, err := nodes[1].Begin(t.Context(), false)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	row, err := tx.Get(t.Context(), "counter", "id", int64(1))
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := row.Get("n"); n != int64(total) {
		t.Errorf("counter = %v, want %d", n, total)
	}
	res, err := tx.Query(t.Context(), &relaybase.Query{Table: "message", Total: true, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if res.Total != int64(total) {
		t.Errorf("messages = %d, want %d", res.Total, total)
	}
}

// Many nodes opening a fresh schema at once: the internal migrations run once, in turn.
func TestOpenTogether(t *testing.T) {
	u := freshSchema(t)
	const n = 6
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			db, err := postgres.Open(t.Context(), u)
			if err == nil {
				_, err = db.InitMeta(t.Context(), "k", "v")
				db.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Open %d: %v", i, err)
		}
	}
}

// A unique violation doesn't end the transaction: the stack's try_catch may handle it and
// go on writing (SQLite undoes only the failed statement; PostgreSQL would abort the Tx).
func TestConflictLeavesTxUsable(t *testing.T) {
	db := openAt(t, freshSchema(t))
	acct := &relaybase.Table{Name: "acct", Fields: []relaybase.Field{{Name: "email", Type: relaybase.TypeEmail}},
		Index: []relaybase.Index{{Type: "btree|unique", Unique: true, Fields: []string{"email"}}}}
	mustMigrate(t, db, []*relaybase.Table{acct})
	tx, err := db.Begin(t.Context(), true)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	ins := func(email string) error {
		_, err := tx.Insert(t.Context(), "acct", value.ObjectOf("email", email))
		return err
	}
	if err := ins("a@x"); err != nil {
		t.Fatal(err)
	}
	if err := ins("b@x"); err != nil {
		t.Fatal(err)
	}
	if err := ins("a@x"); !errors.Is(err, relaybase.ErrConflict) {
		t.Fatalf("duplicate insert: %v, want ErrConflict", err)
	}
	if _, err := tx.Update(t.Context(), "acct", "email", "b@x", value.ObjectOf("email", "a@x")); !errors.Is(err, relaybase.ErrConflict) {
		t.Fatalf("duplicate update: %v, want ErrConflict", err)
	}
	if _, err := tx.Insert(t.Context(), "acct", value.ObjectOf("id", int64(1), "email", "c@x")); !errors.Is(err, relaybase.ErrConflict) {
		t.Fatalf("duplicate id: %v, want ErrConflict", err)
	}
	if err := ins("c@x"); err != nil {
		t.Fatalf("insert after the conflicts: %v", err)
	}
	if _, err := tx.Update(t.Context(), "acct", "email", "b@x", value.ObjectOf("email", "d@x")); err != nil {
		t.Fatalf("update after the conflicts: %v", err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatalf("Commit after the conflicts: %v", err)
	}
	rtx, err := db.Begin(t.Context(), false)
	if err != nil {
		t.Fatal(err)
	}
	defer rtx.Rollback()
	res, err := rtx.Query(t.Context(), &relaybase.Query{Table: "acct"})
	if err != nil {
		t.Fatal(err)
	}
	var emails []any
	for _, r := range res.Rows {
		e, _ := r.Get("email")
		emails = append(emails, e)
	}
	if fmt.Sprint(emails) != "[a@x d@x c@x]" {
		t.Errorf("rows %v, want [a@x d@x c@x]", emails)
	}
}

// Writers of two nodes don't wait for each other: no lock covers the schema, only the rows
// a Tx writes (and the channels it appends to) are locked until it ends.
func TestWritersDoNotWaitForEachOther(t *testing.T) {
	u := freshSchema(t)
	a, b := openAt(t, u), openAt(t, u)
	mustMigrate(t, a, []*relaybase.Table{{Name: "n", Fields: []relaybase.Field{{Name: "v", Type: relaybase.TypeInt}}}})
	mustMigrate(t, b, []*relaybase.Table{{Name: "n", Fields: []relaybase.Field{{Name: "v", Type: relaybase.TypeInt}}}})
	held, err := a.Begin(t.Context(), true)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Rollback()
	if _, err := held.Insert(t.Context(), "n", value.ObjectOf("v", int64(1))); err != nil {
		t.Fatal(err)
	}
	if _, _, err := held.AppendHistory(t.Context(), &relaybase.HistoryEntry{Channel: "x", Frame: []byte("a")}, 0); err != nil {
		t.Fatal(err)
	}
	// While a's Tx is open, b (and a itself) write other rows and another channel.
	for _, db := range []*postgres.DB{b, a} {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		tx, err := db.Begin(ctx, true)
		if err != nil {
			cancel()
			t.Fatalf("Begin(write) while another writer is open: %v", err)
		}
		if _, err := tx.Insert(ctx, "n", value.ObjectOf("v", int64(2))); err != nil {
			t.Fatal(err)
		}
		if _, _, err := tx.AppendHistory(ctx, &relaybase.HistoryEntry{Channel: "y", Frame: []byte("b")}, 0); err != nil {
			t.Fatalf("AppendHistory to another channel while one is held: %v", err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		cancel()
	}
	if err := held.Commit(); err != nil {
		t.Fatal(err)
	}
	if p, err := b.History(t.Context(), "y", 0, 0); err != nil || p.Newest != 2 {
		t.Errorf("channel y: %+v %v, want two frames", p, err)
	}
}

// An append to a channel waits for the open Tx that appended to it before (so offsets stay
// dense and in commit order), gives up when its context ends, and takes the next offset
// once the other commits. Readers never wait.
func TestAppendWaitsForTheChannelUntilCancelled(t *testing.T) {
	u := freshSchema(t)
	a, b := openAt(t, u), openAt(t, u)
	appendTo := func(tx relaybase.Tx, ctx context.Context) (int64, error) {
		off, _, err := tx.AppendHistory(ctx, &relaybase.HistoryEntry{Channel: "x", Frame: []byte("f")}, 0)
		return off, err
	}
	held, err := a.Begin(t.Context(), true)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Rollback()
	if off, err := appendTo(held, t.Context()); err != nil || off != 1 {
		t.Fatalf("first append: %d %v", off, err)
	}
	waiter, err := b.Begin(t.Context(), true)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	_, err = appendTo(waiter, ctx)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("append while the channel is held, then timed out: %v, want context.DeadlineExceeded", err)
	}
	waiter.Rollback()
	if p, err := b.History(t.Context(), "x", 0, 0); err != nil || p.Newest != 0 {
		t.Errorf("History while an append is uncommitted: %+v %v, want nothing yet", p, err)
	}
	if err := b.Ping(t.Context()); err != nil {
		t.Fatal(err)
	}

	// A second appender waits now, and gets offset 2 once the first commits.
	got := make(chan error, 1)
	go func() {
		tx, err := b.Begin(t.Context(), true)
		if err != nil {
			got <- err
			return
		}
		defer tx.Rollback()
		off, err := appendTo(tx, t.Context())
		if err == nil && off != 2 {
			err = fmt.Errorf("offset %d, want 2", off)
		}
		if err == nil {
			err = tx.Commit()
		}
		got <- err
	}()
	if err := held.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Fatalf("the appender that waited: %v", err)
	}
}

// A DB lets at most half its connections write: a writer beyond that waits in Go (until its
// context ends), and reads always find a connection.
func TestWriterSlots(t *testing.T) {
	db := openAt(t, freshSchema(t), postgres.WithMaxConns(3)) // one writer slot
	held, err := db.Begin(t.Context(), true)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	tx, err := db.Begin(ctx, true)
	cancel()
	if err == nil {
		tx.Rollback()
		t.Fatal("a second writer began with one writer slot")
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("second writer: %v, want context.DeadlineExceeded", err)
	}
	for range 2 {
		rtx, err := db.Begin(t.Context(), false)
		if err != nil {
			t.Fatalf("a read while the writer slot is taken: %v", err)
		}
		defer rtx.Rollback()
	}
	held.Rollback()
	tx, err = db.Begin(t.Context(), true)
	if err != nil {
		t.Fatalf("Begin after the writer ended: %v", err)
	}
	tx.Rollback()
}

func TestCloseRefusesWork(t *testing.T) {
	db := openAt(t, freshSchema(t))
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := db.Begin(t.Context(), false); !errors.Is(err, relaybase.ErrUnavailable) {
		t.Errorf("Begin after Close: %v, want ErrUnavailable", err)
	}
	if err := db.Ping(t.Context()); !errors.Is(err, relaybase.ErrUnavailable) {
		t.Errorf("Ping after Close: %v, want ErrUnavailable", err)
	}
	if _, _, err := db.Meta(t.Context(), "k"); !errors.Is(err, relaybase.ErrUnavailable) {
		t.Errorf("Meta after Close: %v, want ErrUnavailable", err)
	}
}

func TestClockFillsNow(t *testing.T) {
	storetest.Clock(t, func(t *testing.T, now func() time.Time) relaybase.Store {
		return openAt(t, freshSchema(t), postgres.WithClock(now))
	})
}

// Text PostgreSQL can't hold is an input error, before any SQL runs, and the Tx goes on.
func TestUnstorableTextIsAnInputError(t *testing.T) {
	db := openAt(t, freshSchema(t))
	mustMigrate(t, db, []*relaybase.Table{{Name: "n", Fields: []relaybase.Field{
		{Name: "s", Type: relaybase.TypeText, Optional: true}, {Name: "j", Type: relaybase.TypeJSON, Optional: true}}}})
	tx, err := db.Begin(t.Context(), true)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	for name, row := range map[string]*value.Object{
		"NUL in text":       value.ObjectOf("s", "a\x00b"),
		"invalid UTF-8":     value.ObjectOf("s", "a\xffb"),
		"NUL in JSON":       value.ObjectOf("j", value.ObjectOf("k", "a\x00")),
		"NUL in a JSON key": value.ObjectOf("j", value.ObjectOf("k\x00", "a")),
		"NUL in JSON array": value.ObjectOf("j", []any{"\x00"}),
	} {
		_, err := tx.Insert(t.Context(), "n", row)
		var re *relaybase.Error
		if !errors.As(err, &re) || re.Code != relaybase.CodeInputError {
			t.Errorf("%s: %v, want an input error", name, err)
		}
	}
	// Comparing with such text matches nothing and fails nothing.
	if _, err := tx.Insert(t.Context(), "n", value.ObjectOf("s", "x")); err != nil {
		t.Fatal(err)
	}
	res, err := tx.Query(t.Context(), &relaybase.Query{Table: "n", Where: relaybase.Or{
		&relaybase.Cmp{Field: "s", Op: relaybase.OpEq, Value: "x\x00"},
		&relaybase.Cmp{Field: "s", Op: relaybase.OpIncludes, Value: "\x00"},
		&relaybase.Cmp{Field: "j", Op: relaybase.OpEq, Value: "\x00"},
	}, Total: true})
	if err != nil || len(res.Rows) != 0 {
		t.Errorf("query with NUL text: %v rows, %v", res, err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// Migrate converts a column on one node while another node holds prepared statements for
// its old type: after the conversion, this node's statements still work.
func TestConvertThenQuery(t *testing.T) {
	db := openAt(t, freshSchema(t))
	v1 := []*relaybase.Table{{Name: "c", Fields: []relaybase.Field{{Name: "a", Type: relaybase.TypeInt, Optional: true}}}}
	mustMigrate(t, db, v1)
	read := func() *value.Object {
		t.Helper()
		tx, err := db.Begin(t.Context(), true)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		if _, err := tx.Insert(t.Context(), "c", value.ObjectOf("a", int64(1))); err != nil {
			t.Fatal(err)
		}
		row, err := tx.Get(t.Context(), "c", "id", int64(1))
		if err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		return row
	}
	read()
	mustMigrate(t, db, []*relaybase.Table{{Name: "c", Fields: []relaybase.Field{{Name: "a", Type: relaybase.TypeDecimal, Optional: true}}}})
	if v, _ := read().Get("a"); v != 1.0 {
		t.Errorf("after int → decimal: a = %v (%T), want 1.0", v, v)
	}
}
