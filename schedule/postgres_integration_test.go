//go:build integration

package schedule

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"relaybase"
	"relaybase/internal/testenv"
	"relaybase/stack"
	"relaybase/store/postgres"
	"relaybase/workspace"
	"relaybase/xs"
)

// manualClock is a Clock the test moves by hand.
type manualClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []waiter
}

type waiter struct {
	at time.Time
	ch chan time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, waiter{at: c.now.Add(d), ch: ch})
	return ch
}

// Advance moves the clock and fires the waits that are due.
func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if w.at.After(c.now) {
			kept = append(kept, w)
			continue
		}
		w.ch <- c.now
	}
	c.waiters = kept
}

// waiting reports how many waits are pending.
func (c *manualClock) waiting() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.waiters)
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// freshSchema makes a schema of its own for t in the test database (dropped when t ends) and
// returns a URL whose search_path selects it.
func freshSchema(t *testing.T) string { return testenv.PostgresSchema(t, "rbsched") }

// countingHandler counts the scheduler's "another node has this run" records.
type countingHandler struct {
	mu      sync.Mutex
	skipped int
}

func (h *countingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *countingHandler) Handle(_ context.Context, r slog.Record) error {
	if strings.Contains(r.Message, "another node has this run") {
		h.mu.Lock()
		h.skipped++
		h.mu.Unlock()
	}
	return nil
}
func (h *countingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *countingHandler) WithGroup(string) slog.Handler      { return h }

func (h *countingHandler) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.skipped
}

// Two nodes sharing a PostgreSQL schema, on one clock: each slot runs exactly once, on
// one of them, and the other sees it taken.
func TestTwoNodesOnPostgres(t *testing.T) {
	dir := writeWorkspace(t, map[string]string{"tick": `task tick {
  stack {
    db.add tick {
      data = {note: "scheduled"}
    }
  }
  schedule = [{starts_on: 2025-01-01 00:01:00+0000, freq: 60}]
}`})
	dsn := freshSchema(t)
	ctx := context.Background()
	_, diags, err := workspace.Load(dir)
	if err != nil || workspace.HasErrors(diags) {
		t.Fatalf("load: %v %v", err, diags)
	}
	clock := &manualClock{now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	counter := &countingHandler{}
	var dbs []*postgres.DB
	var scheds []*Scheduler
	for _, name := range []string{"node-a", "node-b"} {
		db, err := postgres.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		// Each node loads its own copy of the tables, as separate processes would.
		w, _, _ := workspace.Load(dir)
		if _, err := db.Migrate(ctx, w.Tables, w.TableIDs); err != nil {
			t.Fatal(err)
		}
		prog, diags := stack.Compile(w, stack.Options{Store: db})
		for _, d := range diags {
			if d.Severity != xs.Warning {
				t.Fatalf("compile: %s", d)
			}
		}
		s := New(Options{Program: prog, Ledger: db, Node: name, Clock: clock, Logger: slog.New(counter)})
		dbs, scheds = append(dbs, db), append(scheds, s)
	}
	for _, s := range scheds {
		s.Start(ctx)
	}
	defer func() {
		for _, s := range scheds {
			s.Stop()
		}
	}()
	eventually(t, "both nodes waiting for the first slot", func() bool { return clock.waiting() == 2 })
	const rounds = 6
	for i := 1; i <= rounds; i++ {
		clock.Advance(time.Minute)
		// The slot is done when one node ran it, the other found it taken, and both wait
		// for the next one.
		eventually(t, "the slot to be settled", func() bool {
			runs, err := dbs[0].TaskRuns(ctx, "tick", 0)
			return err == nil && len(runs) == i && counter.count() == i && clock.waiting() == 2
		})
	}
	runs, err := dbs[1].TaskRuns(ctx, "tick", 0)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int64]bool{}
	nodes := map[string]int{}
	for _, r := range runs {
		if seen[r.Slot] {
			t.Errorf("slot %d ran twice", r.Slot)
		}
		seen[r.Slot] = true
		nodes[r.Node]++
		if !r.OK {
			t.Errorf("run failed: %+v", r)
		}
	}
	if len(seen) != rounds {
		t.Errorf("%d slots ran, want %d", len(seen), rounds)
	}
	tx, err := dbs[0].Begin(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	res, err := tx.Query(ctx, &relaybase.Query{Table: "tick", Total: true, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if res.Total != rounds {
		t.Errorf("%d rows written, want %d", res.Total, rounds)
	}
	t.Logf("runs per node: %v", nodes)
}
