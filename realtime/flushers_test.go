package realtime

import "testing"

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
