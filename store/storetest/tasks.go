package storetest

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"relaybase"
)

// RunTaskLedger runs the task ledger's cases (relaybase.TaskLedger) on Stores that
// implement it. Two Stores opened on one database stand for two nodes.
func RunTaskLedger(t *testing.T, open Opener) {
	runCases(t, open, map[string]func(*testing.T, Opener){
		"LeaseExcludes":    taskLeaseExcludes,
		"SlotOnce":         taskSlotOnce,
		"LeaseExpires":     taskLeaseExpires,
		"ClaimRace":        taskClaimRace,
		"RunsRecorded":     taskRunsRecorded,
		"RunsBounded":      taskRunsBounded,
		"NoRunsBeforehand": taskNoRunsBeforehand,
	})
}

func ledger(t *testing.T, s relaybase.Store) relaybase.TaskLedger {
	t.Helper()
	l, ok := s.(relaybase.TaskLedger)
	if !ok {
		t.Fatalf("%T does not implement relaybase.TaskLedger", s)
	}
	return l
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func claim(t *testing.T, l relaybase.TaskLedger, task, holder string, slot int64, now time.Time, lease time.Duration) bool {
	t.Helper()
	ok, err := l.ClaimTask(ctx(t), task, holder, slot, now, now.Add(lease))
	if err != nil {
		t.Fatalf("ClaimTask(%s, %s, %d): %v", task, holder, slot, err)
	}
	return ok
}

// A held lease keeps everyone else out, the holder included, until it is released.
func taskLeaseExcludes(t *testing.T, open Opener) {
	a, b := ledger(t, open(t)), ledger(t, open(t))
	if !claim(t, a, "sync", "node-a", 0, t0, time.Hour) {
		t.Fatal("the first claim failed")
	}
	if claim(t, b, "sync", "node-b", 0, t0.Add(time.Minute), time.Hour) {
		t.Fatal("node-b took a lease node-a holds")
	}
	if claim(t, a, "sync", "node-a", 0, t0.Add(time.Minute), time.Hour) {
		t.Fatal("node-a took its own lease twice")
	}
	if !claim(t, b, "other", "node-b", 0, t0, time.Hour) {
		t.Fatal("a lease on one task kept another task out")
	}
	if err := b.ReleaseTask(ctx(t), "sync", "node-b"); err != nil {
		t.Fatal(err)
	}
	if claim(t, b, "sync", "node-b", 0, t0.Add(time.Minute), time.Hour) {
		t.Fatal("a release by a node that does not hold the lease ended it")
	}
	if err := a.ReleaseTask(ctx(t), "sync", "node-a"); err != nil {
		t.Fatal(err)
	}
	if !claim(t, b, "sync", "node-b", 0, t0.Add(2*time.Minute), time.Hour) {
		t.Fatal("the lease was not free after its release")
	}
}

// A scheduled slot is claimed once; an earlier slot can never be claimed after a later one.
func taskSlotOnce(t *testing.T, open Opener) {
	a, b := ledger(t, open(t)), ledger(t, open(t))
	slot := t0.UnixMilli()
	if !claim(t, a, "hourly", "node-a", slot, t0, time.Minute) {
		t.Fatal("the first claim of the slot failed")
	}
	if err := a.ReleaseTask(ctx(t), "hourly", "node-a"); err != nil {
		t.Fatal(err)
	}
	if claim(t, b, "hourly", "node-b", slot, t0.Add(time.Second), time.Minute) {
		t.Fatal("node-b claimed a slot node-a already ran")
	}
	if claim(t, b, "hourly", "node-b", slot-1, t0.Add(time.Second), time.Minute) {
		t.Fatal("node-b claimed an earlier slot")
	}
	next := t0.Add(time.Hour).UnixMilli()
	if !claim(t, b, "hourly", "node-b", next, t0.Add(time.Hour), time.Minute) {
		t.Fatal("the next slot could not be claimed")
	}
	// A manual run (slot 0) needs only the lease, and leaves the slot record alone.
	if err := b.ReleaseTask(ctx(t), "hourly", "node-b"); err != nil {
		t.Fatal(err)
	}
	if !claim(t, a, "hourly", "cli", 0, t0.Add(time.Hour), time.Minute) {
		t.Fatal("a manual claim failed on a free lease")
	}
	if err := a.ReleaseTask(ctx(t), "hourly", "cli"); err != nil {
		t.Fatal(err)
	}
	if claim(t, a, "hourly", "node-a", next, t0.Add(time.Hour), time.Minute) {
		t.Fatal("the manual claim reset the slot record")
	}
}

// A node that dies holding a lease keeps the task only until the lease runs out.
func taskLeaseExpires(t *testing.T, open Opener) {
	a, b := ledger(t, open(t)), ledger(t, open(t))
	if !claim(t, a, "sync", "node-a", 0, t0, time.Minute) {
		t.Fatal("claim failed")
	}
	if claim(t, b, "sync", "node-b", 0, t0.Add(59*time.Second), time.Minute) {
		t.Fatal("node-b took the lease before it ran out")
	}
	if !claim(t, b, "sync", "node-b", 0, t0.Add(time.Minute), time.Minute) {
		t.Fatal("node-b could not take the lease once it ran out")
	}
}

// Of many nodes claiming one slot at the same moment, exactly one gets it.
func taskClaimRace(t *testing.T, open Opener) {
	const nodes = 8
	ls := make([]relaybase.TaskLedger, nodes)
	for i := range ls {
		ls[i] = ledger(t, open(t))
	}
	for round := range 5 {
		slot := t0.Add(time.Duration(round) * time.Hour)
		var won atomic.Int32
		var wg sync.WaitGroup
		errs := make(chan error, nodes)
		for i, l := range ls {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, err := l.ClaimTask(ctx(t), "race", fmt.Sprintf("node-%d", i), slot.UnixMilli(), slot, slot.Add(time.Minute))
				if err != nil {
					errs <- err
					return
				}
				if ok {
					won.Add(1)
					errs <- l.ReleaseTask(ctx(t), "race", fmt.Sprintf("node-%d", i))
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if n := won.Load(); n != 1 {
			t.Fatalf("round %d: %d nodes claimed the slot, want 1", round, n)
		}
	}
}

func taskRunsRecorded(t *testing.T, open Opener) {
	s := open(t)
	l := ledger(t, s)
	runs := []relaybase.TaskRun{
		{Task: "a", Node: "n1", Trigger: "schedule", Slot: 1000, StartedAt: 1000, EndedAt: 1200, OK: true, Result: `{"n":1}`},
		{Task: "b", Node: "n2", Trigger: "manual", StartedAt: 2000, EndedAt: 2100, OK: false, Error: "boom", Result: "null"},
		{Task: "a", Node: "n2", Trigger: "schedule", Slot: 4600000, StartedAt: 4600000, EndedAt: 4600010, OK: true, Result: "null"},
	}
	for _, r := range runs {
		if err := l.RecordTaskRun(ctx(t), r); err != nil {
			t.Fatal(err)
		}
	}
	got, err := l.TaskRuns(ctx(t), "a", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Node != "n2" || got[1].Result != `{"n":1}` || got[1].Slot != 1000 || !got[1].OK || got[0].ID <= got[1].ID {
		t.Fatalf("runs of a: %+v", got)
	}
	all, err := l.TaskRuns(ctx(t), "", 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[0].Task != "a" || all[1].Task != "b" || all[1].Error != "boom" || all[1].OK || all[1].Trigger != "manual" {
		t.Fatalf("newest runs: %+v", all)
	}
	// The record survives a restart.
	again, err := ledger(t, open(t)).TaskRuns(ctx(t), "b", 0)
	if err != nil || len(again) != 1 {
		t.Fatalf("after reopening: %+v %v", again, err)
	}
}

func taskRunsBounded(t *testing.T, open Opener) {
	l := ledger(t, open(t))
	for i := range relaybase.KeptTaskRuns + 20 {
		if err := l.RecordTaskRun(ctx(t), relaybase.TaskRun{Task: "busy", Node: "n", Trigger: "schedule", Slot: int64(i + 1), OK: true, Result: "null"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.RecordTaskRun(ctx(t), relaybase.TaskRun{Task: "quiet", Node: "n", Trigger: "manual", OK: true, Result: "null"}); err != nil {
		t.Fatal(err)
	}
	got, err := l.TaskRuns(ctx(t), "busy", 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != relaybase.KeptTaskRuns || got[0].Slot != relaybase.KeptTaskRuns+20 || got[len(got)-1].Slot != 21 {
		t.Fatalf("kept %d runs, newest slot %d, oldest %d", len(got), got[0].Slot, got[len(got)-1].Slot)
	}
	if q, err := l.TaskRuns(ctx(t), "quiet", 0); err != nil || len(q) != 1 {
		t.Fatalf("another task's runs: %+v %v", q, err)
	}
}

func taskNoRunsBeforehand(t *testing.T, open Opener) {
	got, err := ledger(t, open(t)).TaskRuns(ctx(t), "", 10)
	if err != nil || len(got) != 0 {
		t.Fatalf("runs of a new database: %+v %v", got, err)
	}
}
