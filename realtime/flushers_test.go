package realtime

import (
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// TestFlushersTakeOldestFirst: under load the connection that has waited longest is
// written first (taking the newest first starved the oldest members of a big room).
func TestFlushersTakeOldestFirst(t *testing.T) {
	var f flushers
	f.wake = make(chan struct{}, 1)
	conns := make([]*conn, 10000)
	for i := range conns {
		conns[i] = &conn{}
		f.add(conns[i])
	}
	var got []*conn
	for next := 0; next < len(conns); {
		got, _ = f.take(got)
		if len(got) == 0 {
			t.Fatalf("take returned nothing with %d waiting", len(conns)-next)
		}
		for _, c := range got {
			if c != conns[next] {
				t.Fatalf("took connection %d out of order", next)
			}
			next++
		}
		if next == 5000 { // more arrive while the list drains: they queue behind
			extra := &conn{}
			conns = append(conns, extra)
			f.add(extra)
		}
	}
	if got, _ = f.take(got); len(got) != 0 {
		t.Fatalf("%d left after draining", len(got))
	}
}

// TestFlushersLaterByDue: a paced connection comes off the later list when it is due, not
// after those added before it. Connections are added in the order a fan-out reaches them,
// which is not the order they were last written in; a list kept in the order of adding held
// a connection due now behind one due later.
func TestFlushersLaterByDue(t *testing.T) {
	var f flushers
	f.wake = make(chan struct{}, 2)
	now := monoNow()
	notYet := &conn{}
	dueNow := &conn{}
	f.addLater(notYet, now+int64(time.Hour))
	f.addLater(dueNow, now-1)
	got, next := f.take(nil)
	if len(got) != 1 || got[0] != dueNow {
		t.Fatalf("took %v, want the connection already due", got)
	}
	if next != now+int64(time.Hour) {
		t.Fatalf("next due %d, want the other one's %d", next, now+int64(time.Hour))
	}
	if len(f.wake) != 2 {
		t.Fatalf("%d wakes, want one for each connection that became the first due", len(f.wake))
	}
}

// TestFlushersLaterHeap: whatever the order dues are added in (and taken between), the later
// list gives them back soonest first.
func TestFlushersLaterHeap(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var f flushers
		var want []int64
		ops := rapid.SliceOfN(rapid.Int64Range(-1, 1000), 1, 200).Draw(t, "ops") // -1: pop
		for _, op := range ops {
			if op < 0 {
				if len(f.later) == 0 {
					continue
				}
				slices.Sort(want)
				if got := f.popLater().due; got != want[0] {
					t.Fatalf("popped due %d, want %d", got, want[0])
				}
				want = want[1:]
				continue
			}
			f.pushLater(&conn{due: op})
			want = append(want, op)
		}
		slices.Sort(want)
		for _, w := range want {
			if got := f.popLater().due; got != w {
				t.Fatalf("drained due %d, want %d", got, w)
			}
		}
		if len(f.later) != 0 {
			t.Fatalf("%d left", len(f.later))
		}
	})
}
