package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"relaybase/metrics"
	"relaybase/store/sqlite"
)

// TestMetrics: each transaction is timed once by its mode and how it ended, and the pool's
// connections are reported in use while a transaction holds one.
func TestMetrics(t *testing.T) {
	ctx := context.Background()
	m := metrics.New()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "relaybase.db"), sqlite.WithMetrics(m.Store), sqlite.WithReadConns(3))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })

	w, err := db.Begin(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	if inUse, _, max := db.Conns(); inUse != 1 || max != 4 {
		t.Errorf("Conns during a write = %d in use of %d, want 1 of 4", inUse, max)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		r, err := db.Begin(ctx, false)
		if err != nil {
			t.Fatal(err)
		}
		r.Rollback()
		r.Rollback() // a second Rollback does nothing, and is not counted
	}
	w, err = db.Begin(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	w.Rollback()
	if inUse, _, _ := db.Conns(); inUse != 0 {
		t.Errorf("Conns after every transaction ended: %d in use", inUse)
	}
	for _, tc := range []struct {
		mode, outcome string
		want          float64
	}{
		{"write", "commit", 1},
		{"write", "rollback", 1},
		{"read", "rollback", 2},
		{"read", "commit", 0},
	} {
		got, _ := m.Sample("relaybase_db_transaction_duration_seconds", map[string]string{"mode": tc.mode, "outcome": tc.outcome})
		if got != tc.want {
			t.Errorf("%s transactions ended by %s: %v, want %v", tc.mode, tc.outcome, got, tc.want)
		}
	}

	ctxDone, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := db.Begin(ctxDone, true); err == nil {
		t.Fatal("Begin with a cancelled context succeeded")
	}
	if got, _ := m.Sample("relaybase_db_transaction_errors_total", map[string]string{"op": "begin"}); got != 1 {
		t.Errorf("failed begins counted %v, want 1", got)
	}
}
