package schedule

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"relaybase"
	"relaybase/internal/testenv"
	"relaybase/stack"
	"relaybase/store/sqlite"
	"relaybase/workspace"
	"relaybase/xs"
)

// The bubbles of testing/synctest start at 2000-01-01 00:00:00 UTC; schedules in these
// tests are written from there.

// node is one relaybase "node" of a test: its own database handle on a shared file and
// its own compiled program.
type node struct {
	db   *sqlite.DB
	prog *stack.Program
}

// writeWorkspace writes a workspace with one table and the given task files.
func writeWorkspace(t *testing.T, tasks map[string]string) string {
	t.Helper()
	files := map[string]string{
		"table/tick.xs": "table tick {\n  schema {\n    int id\n    text note?\n    timestamp at?=now\n  }\n}\n",
	}
	for k, v := range tasks {
		files["task/"+k+".xs"] = v
	}
	return testenv.TempFiles(t, files)
}

// openNode opens the database file at path for one node and compiles the workspace on it.
func openNode(t *testing.T, dir, path string, taskTimeout time.Duration) *node {
	t.Helper()
	ctx := context.Background()
	ws, diags, err := workspace.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range diags {
		if d.Severity == xs.Error {
			t.Fatalf("load: %s", d)
		}
	}
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Migrate(ctx, ws.Tables, ws.TableIDs); err != nil {
		t.Fatal(err)
	}
	prog, diags := stack.Compile(ws, stack.Options{Store: db, TaskTimeout: taskTimeout})
	for _, d := range diags {
		if d.Severity != xs.Warning {
			t.Fatalf("compile: %s", d)
		}
	}
	return &node{db: db, prog: prog}
}

// runNodes runs one scheduler per name, each a node of its own on one database, for d of
// the bubble's clock (inside synctest.Test), then stops them; their database stays open
// until the test ends, for the test to read what they did.
func runNodes(t *testing.T, dir string, d time.Duration, names ...string) []*node {
	t.Helper()
	path := filepath.Join(t.TempDir(), "db")
	nodes := make([]*node, len(names))
	for i := range names {
		n := openNode(t, dir, path, 0)
		t.Cleanup(func() { n.db.Close() })
		nodes[i] = n
	}
	scheds := make([]*Scheduler, len(names))
	for i, name := range names {
		scheds[i] = New(Options{Program: nodes[i].prog, Ledger: nodes[i].db, Node: name})
	}
	for _, s := range scheds {
		s.Start(context.Background())
	}
	time.Sleep(d)
	synctest.Wait()
	for _, s := range scheds {
		s.Stop()
	}
	return nodes
}

func (n *node) ticks(t *testing.T) int {
	t.Helper()
	ctx := context.Background()
	tx, err := n.db.Begin(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	res, err := tx.Query(ctx, &relaybase.Query{Table: "tick", Total: true, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	return int(res.Total)
}

func slots(runs []relaybase.TaskRun) []string {
	var out []string
	for i := len(runs) - 1; i >= 0; i-- {
		out = append(out, time.UnixMilli(runs[i].Slot).UTC().Format("15:04"))
	}
	return out
}

const everyMinute = `task tick {
  stack {
    db.add tick {
      data = {note: "scheduled"}
    }
  }
  schedule = [{starts_on: 2000-01-01 00:01:00+0000, freq: 60, ends_on: 2000-01-01 00:05:00+0000}]
}`

func TestRunsOnSchedule(t *testing.T) {
	dir := writeWorkspace(t, map[string]string{"tick": everyMinute})
	synctest.Test(t, func(t *testing.T) {
		n := openNode(t, dir, filepath.Join(t.TempDir(), "db"), 0)
		defer n.db.Close()
		s := New(Options{Program: n.prog, Ledger: n.db, Node: "a"})
		s.Start(context.Background())
		time.Sleep(30 * time.Second)
		synctest.Wait()
		if got := n.ticks(t); got != 0 {
			t.Fatalf("%d runs before the first slot", got)
		}
		time.Sleep(10 * time.Minute)
		synctest.Wait()
		s.Stop()
		if got := n.ticks(t); got != 5 {
			t.Errorf("%d runs, want 5 (00:01 to 00:05)", got)
		}
		runs, err := n.db.TaskRuns(context.Background(), "tick", 0)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(slots(runs), " "); got != "00:01 00:02 00:03 00:04 00:05" {
			t.Errorf("slots %s", got)
		}
		for _, r := range runs {
			if !r.OK || r.Node != "a" || r.Trigger != "schedule" || r.StartedAt != r.Slot {
				t.Errorf("run %+v", r)
			}
		}
	})
}

// Two nodes on one database run each slot once between them.
func TestTwoNodesRunEachSlotOnce(t *testing.T) {
	dir := writeWorkspace(t, map[string]string{"tick": everyMinute})
	synctest.Test(t, func(t *testing.T) {
		nodes := runNodes(t, dir, 10*time.Minute, "a", "b")
		a, b := nodes[0], nodes[1]
		if got := a.ticks(t); got != 5 {
			t.Errorf("%d runs between the two nodes, want 5", got)
		}
		runs, err := b.db.TaskRuns(context.Background(), "tick", 0)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(slots(runs), " "); got != "00:01 00:02 00:03 00:04 00:05" {
			t.Errorf("slots %s", got)
		}
	})
}

// A run that outlasts its interval makes the slots it overlaps be skipped, on every node:
// the task never runs twice at once.
func TestOverlappingSlotsAreSkipped(t *testing.T) {
	dir := writeWorkspace(t, map[string]string{"slow": `task slow {
  stack {
    db.add tick {
      data = {note: "slow"}
    }
    util.sleep { value = 90 }
  }
  schedule = [{starts_on: 2000-01-01 00:01:00+0000, freq: 60, ends_on: 2000-01-01 00:05:00+0000}]
}`})
	synctest.Test(t, func(t *testing.T) {
		a := runNodes(t, dir, 10*time.Minute, "a", "b")[0]
		runs, err := a.db.TaskRuns(context.Background(), "slow", 0)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(slots(runs), " "); got != "00:01 00:03 00:05" {
			t.Errorf("slots %s, want 00:01 00:03 00:05", got)
		}
		for i := 1; i < len(runs); i++ {
			if runs[i].EndedAt > runs[i-1].StartedAt {
				t.Errorf("runs overlap: %+v and %+v", runs[i], runs[i-1])
			}
		}
	})
}

// Stop stops a running task: it is rolled back and recorded as stopped.
func TestStopStopsARunningTask(t *testing.T) {
	dir := writeWorkspace(t, map[string]string{"long": `task long {
  stack {
    db.add tick {
      data = {note: "never kept"}
    }
    util.sleep { value = 3600 }
  }
  schedule = [{starts_on: 2000-01-01 00:01:00+0000}]
}`})
	synctest.Test(t, func(t *testing.T) {
		n := runNodes(t, dir, 2*time.Minute, "a")[0]
		runs, err := n.db.TaskRuns(context.Background(), "long", 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(runs) != 1 || runs[0].OK || !strings.Contains(runs[0].Error, "shutting down") {
			t.Fatalf("runs %+v", runs)
		}
		if got := n.ticks(t); got != 0 {
			t.Errorf("the stopped task's write was kept")
		}
		// Its lease was released: it can run again at once.
		if ok, err := n.db.ClaimTask(context.Background(), "long", "b", 0, time.Now(), time.Now().Add(time.Minute)); err != nil || !ok {
			t.Errorf("lease still held: %v %v", ok, err)
		}
	})
}

// A task past its time limit fails, is rolled back, and frees its lease.
func TestTaskTimeLimit(t *testing.T) {
	dir := writeWorkspace(t, map[string]string{"long": `task long {
  stack {
    db.add tick {
      data = {note: "never kept"}
    }
    util.sleep { value = 3600 }
  }
}`})
	synctest.Test(t, func(t *testing.T) {
		n := openNode(t, dir, filepath.Join(t.TempDir(), "db"), time.Minute)
		defer n.db.Close()
		run, err := Run(context.Background(), n.prog, n.db, "long", "cli", nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if run.OK || !strings.Contains(run.Error, "limit of 1m0s") || run.EndedAt-run.StartedAt != time.Minute.Milliseconds() {
			t.Errorf("run %+v", run)
		}
		if got := n.ticks(t); got != 0 {
			t.Errorf("the timed-out task's write was kept")
		}
	})
}

func TestRunNow(t *testing.T) {
	dir := writeWorkspace(t, map[string]string{
		"tick": everyMinute,
		"off": `task off {
  active = false
  stack {
    db.add tick {
      data = {note: "manual"}
    } as $row
  }
  response = $row.note
}`,
		"broken": `task broken {
  stack {
    throw {
      name = "Nope"
      value = "it broke"
    }
  }
}`,
	})
	n := openNode(t, dir, filepath.Join(t.TempDir(), "db"), 0)
	defer n.db.Close()
	ctx := context.Background()
	run, err := Run(ctx, n.prog, n.db, "off", "cli", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !run.OK || run.Trigger != "manual" || run.Result != `"manual"` || run.Slot != 0 {
		t.Errorf("run %+v", run)
	}
	run, err = Run(ctx, n.prog, n.db, "broken", "cli", nil, nil)
	if err != nil || run.OK || run.Error != "it broke" {
		t.Errorf("broken: %+v %v", run, err)
	}
	if _, err := Run(ctx, n.prog, n.db, "missing", "cli", nil, nil); err == nil || !strings.Contains(err.Error(), `no task "missing"`) {
		t.Errorf("missing task: %v", err)
	}
	// While a node holds the lease, a manual run is refused and nothing runs.
	if ok, err := n.db.ClaimTask(ctx, "off", "node-a", 0, time.Now(), time.Now().Add(time.Hour)); !ok || err != nil {
		t.Fatalf("claim: %v %v", ok, err)
	}
	if _, err := Run(ctx, n.prog, n.db, "off", "cli", nil, nil); !errors.Is(err, ErrBusy) {
		t.Errorf("busy: %v", err)
	}
	if got := n.ticks(t); got != 1 {
		t.Errorf("%d rows, want the one manual run's", got)
	}
	runs, _ := n.db.TaskRuns(ctx, "", 0)
	if len(runs) != 2 {
		t.Errorf("runs recorded: %+v", runs)
	}
}
