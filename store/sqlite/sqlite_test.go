package sqlite_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"relaybase"
	"relaybase/store/sqlite"
	"relaybase/store/storetest"
	"relaybase/value"
)

// opener gives each test a database file of its own and reopens it on later calls.
func opener() storetest.Opener {
	return storetest.PerTest(func(t *testing.T) string { return filepath.Join(t.TempDir(), "relaybase.db") },
		func(t *testing.T, path string) relaybase.Store { return openAt(t, path) })
}

func TestStore(t *testing.T) { storetest.Run(t, opener()) }

func openAt(t *testing.T, path string, opts ...sqlite.Option) *sqlite.DB {
	db, err := sqlite.Open(t.Context(), path, opts...)
	return storetest.Opened(t, db, err)
}

func TestOpenUnavailable(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.db")
	if err := os.WriteFile(garbage, bytes.Repeat([]byte("not a database "), 1000), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, path := range map[string]string{
		"missing directory": filepath.Join(dir, "no", "such", "dir", "x.db"),
		"a directory":       dir,
		"not a database":    garbage,
		"empty path":        "",
	} {
		storetest.OpenFails(t, name, func() (relaybase.Store, error) { return sqlite.Open(t.Context(), path) })
	}
}

func TestPathWithURICharacters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a?b#c%20d&e.db")
	db := openAt(t, path)
	if _, err := db.InitMeta(t.Context(), "k", "v"); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the database is not at the path given: %v", err)
	}
}

func TestClockFillsNow(t *testing.T) {
	storetest.Clock(t, func(t *testing.T, now func() time.Time) relaybase.Store {
		return openAt(t, filepath.Join(t.TempDir(), "db"), sqlite.WithClock(now))
	})
}

// Two DBs on one file stand for two processes: their writers meet in SQLite's file lock
// and wait for each other (busy timeout) instead of failing with SQLITE_BUSY.
func TestTwoHandlesOnOneFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shared.db")
	handles := []*sqlite.DB{openAt(t, path), openAt(t, path)}
	tb := func() []*relaybase.Table {
		return []*relaybase.Table{{Name: "n", Fields: []relaybase.Field{{Name: "v", Type: relaybase.TypeInt}}}}
	}
	// Both migrate at once, as nodes starting together do.
	var wg sync.WaitGroup
	errs := make(chan error, 1000)
	for _, h := range handles {
		wg.Go(func() {
			_, err := h.Migrate(t.Context(), tb(), nil)
			errs <- err
		})
	}
	wg.Wait()
	const each = 50
	for i, h := range handles {
		for g := range 3 {
			wg.Go(func() {
				for j := range each {
					tx, err := h.Begin(t.Context(), true)
					if err != nil {
						errs <- err
						return
					}
					if _, err := tx.Insert(t.Context(), "n", value.ObjectOf("v", int64(i*1000+g*100+j))); err != nil {
						tx.Rollback()
						errs <- err
						return
					}
					if _, _, err := tx.AppendHistory(t.Context(), &relaybase.HistoryEntry{Channel: "c", Frame: []byte("x")}, 0); err != nil {
						tx.Rollback()
						errs <- err
						return
					}
					errs <- tx.Commit()
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	page, err := handles[1].History(t.Context(), "c", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(len(handles) * 3 * each); page.Newest != want || int64(len(page.Entries)) != want {
		t.Errorf("history newest %d, %d entries; want %d", page.Newest, len(page.Entries), want)
	}
}

func TestBeginWaitsForTheWriterUntilCancelled(t *testing.T) {
	db := openAt(t, filepath.Join(t.TempDir(), "db"))
	held, err := db.Begin(t.Context(), true)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		tx, err := db.Begin(ctx, true)
		if err == nil {
			tx.Rollback()
		}
		done <- err
	}()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Begin while the writer is held, then cancelled: %v, want context.Canceled", err)
	}
	// Reads don't wait for the writer.
	if err := db.Ping(t.Context()); err != nil {
		t.Fatal(err)
	}
	held.Rollback()
	tx, err := db.Begin(t.Context(), true)
	if err != nil {
		t.Fatalf("Begin after the writer was released: %v", err)
	}
	tx.Rollback()
}

func TestCloseCheckpointsAndRefusesWork(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	db := openAt(t, path)
	if _, err := db.InitMeta(t.Context(), "k", "v"); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if fi, err := os.Stat(path + "-wal"); err == nil && fi.Size() != 0 {
		t.Errorf("WAL holds %d bytes after Close; want it checkpointed", fi.Size())
	}
	if _, err := db.Begin(t.Context(), false); !errors.Is(err, relaybase.ErrUnavailable) {
		t.Errorf("Begin after Close: %v, want ErrUnavailable", err)
	}
	if err := db.Ping(t.Context()); !errors.Is(err, relaybase.ErrUnavailable) {
		t.Errorf("Ping after Close: %v, want ErrUnavailable", err)
	}
	// The file alone holds everything.
	again := openAt(t, path)
	if v, ok, err := again.Meta(t.Context(), "k"); err != nil || !ok || v != "v" {
		t.Errorf("after reopening: %q %v %v", v, ok, err)
	}
}
