package storetest

import (
	"bytes"
	"fmt"
	"testing"

	"relaybase"
)

func appendFrames(t *testing.T, s relaybase.Store, channel string, keep int, frames ...string) (offsets []int64, epoch string) {
	t.Helper()
	write(t, s, func(tx relaybase.Tx) {
		for i, f := range frames {
			e := &relaybase.HistoryEntry{Channel: channel, CreatedAt: int64(1000 + i), Frame: []byte(f),
				SenderAuthenticated: i%2 == 1, AuthenticatedOnly: i%3 == 2}
			off, ep, err := tx.AppendHistory(ctx(t), e, keep)
			if err != nil {
				t.Fatalf("AppendHistory(%s): %v", channel, err)
			}
			if e.Offset != off {
				t.Errorf("entry Offset %d, returned offset %d", e.Offset, off)
			}
			if epoch != "" && ep != epoch {
				t.Errorf("epoch changed within a channel: %q → %q", epoch, ep)
			}
			epoch = ep
			offsets = append(offsets, off)
		}
	})
	return offsets, epoch
}

func history(t *testing.T, s relaybase.Store, channel string, after int64, limit int) relaybase.HistoryPage {
	t.Helper()
	page, err := s.History(ctx(t), channel, after, limit)
	if err != nil {
		t.Fatalf("History(%s): %v", channel, err)
	}
	return page
}

func offsetsOf(page relaybase.HistoryPage) []int64 {
	out := []int64{}
	for _, e := range page.Entries {
		out = append(out, e.Offset)
	}
	return out
}

var historyCases = map[string]func(*testing.T, Opener){
	"OffsetsAndEpochs": func(t *testing.T, open Opener) {
		s := open(t)
		offs, epoch := appendFrames(t, s, "room", 100, `{"a":1}`, `{"a":2}`, `{"a":3}`)
		if !sameIDs(offs, []int64{1, 2, 3}) || epoch == "" {
			t.Fatalf("offsets %v epoch %q, want 1,2,3 and an epoch", offs, epoch)
		}
		more, epoch2 := appendFrames(t, s, "room", 100, `{"a":4}`)
		if !sameIDs(more, []int64{4}) || epoch2 != epoch {
			t.Errorf("next transaction: offsets %v epoch %q, want 4 and %q", more, epoch2, epoch)
		}
		other, otherEpoch := appendFrames(t, s, "room/2", 100, `x`)
		if !sameIDs(other, []int64{1}) || otherEpoch == "" || otherEpoch == epoch {
			t.Errorf("another channel: offsets %v epoch %q, want 1 and an epoch of its own", other, otherEpoch)
		}
		page := history(t, s, "room", 0, 0)
		if page.Epoch != epoch || page.Newest != 4 || page.Oldest != 1 || !sameIDs(offsetsOf(page), []int64{1, 2, 3, 4}) {
			t.Fatalf("History: %+v", page)
		}
		for i, e := range page.Entries {
			want := relaybase.HistoryEntry{Channel: "room", Offset: int64(i + 1), CreatedAt: int64(1000 + i%3),
				SenderAuthenticated: i%3 == 1, AuthenticatedOnly: i%3 == 2, Frame: []byte(fmt.Sprintf(`{"a":%d}`, i+1))}
			if i == 3 {
				want.CreatedAt, want.SenderAuthenticated, want.AuthenticatedOnly = 1000, false, false
			}
			if e.Channel != want.Channel || e.Offset != want.Offset || e.CreatedAt != want.CreatedAt ||
				e.SenderAuthenticated != want.SenderAuthenticated || e.AuthenticatedOnly != want.AuthenticatedOnly ||
				!bytes.Equal(e.Frame, want.Frame) {
				t.Errorf("entry %d = %+v (frame %s), want %+v (frame %s)", i, e, e.Frame, want, want.Frame)
			}
		}
		if got := offsetsOf(history(t, s, "room", 2, 0)); !sameIDs(got, []int64{3, 4}) {
			t.Errorf("after 2: %v, want [3 4]", got)
		}
		if got := offsetsOf(history(t, s, "room", 0, 2)); !sameIDs(got, []int64{1, 2}) {
			t.Errorf("limit 2: %v, want [1 2]", got)
		}
		if p := history(t, s, "room", 4, 0); len(p.Entries) != 0 || p.Newest != 4 || p.Epoch != epoch {
			t.Errorf("after the newest: %+v", p)
		}
	},

	"UnknownChannel": func(t *testing.T, open Opener) {
		s := open(t)
		p := history(t, s, "never", 0, 0)
		if len(p.Entries) != 0 || p.Epoch != "" || p.Newest != 0 || p.Oldest != 0 {
			t.Errorf("unknown channel: %+v, want zero page", p)
		}
	},

	"TrimKeepsNewest": func(t *testing.T, open Opener) {
		s := open(t)
		appendFrames(t, s, "c", 3, "1", "2", "3", "4", "5")
		p := history(t, s, "c", 0, 0)
		if !sameIDs(offsetsOf(p), []int64{3, 4, 5}) || p.Oldest != 3 || p.Newest != 5 {
			t.Errorf("keep 3 of 5: %v oldest %d newest %d", offsetsOf(p), p.Oldest, p.Newest)
		}
		appendFrames(t, s, "c", 1, "6")
		p = history(t, s, "c", 0, 0)
		if !sameIDs(offsetsOf(p), []int64{6}) || p.Oldest != 6 || p.Newest != 6 || string(p.Entries[0].Frame) != "6" {
			t.Errorf("keep 1: %+v", p)
		}
		// Asking from before what is kept gives what is kept: the caller sees Oldest > after+1.
		if p := history(t, s, "c", 2, 0); !sameIDs(offsetsOf(p), []int64{6}) {
			t.Errorf("after a trimmed offset: %v", offsetsOf(p))
		}
	},

	"TrimEveryBatchesTheTrim": func(t *testing.T, open Opener) {
		s := open(t)
		add := func(n int) {
			write(t, s, func(tx relaybase.Tx) {
				for range n {
					if _, _, err := tx.AppendHistory(ctx(t), &relaybase.HistoryEntry{Channel: "b", Frame: []byte("x"), TrimEvery: 4}, 3); err != nil {
						t.Fatalf("AppendHistory: %v", err)
					}
				}
			})
		}
		// Offsets 1..7: the trim runs at 4 (keeping 2..4) and not again until 8.
		add(7)
		if p := history(t, s, "b", 0, 0); !sameIDs(offsetsOf(p), []int64{2, 3, 4, 5, 6, 7}) {
			t.Errorf("7 appends, keep 3, trim every 4: %v", offsetsOf(p))
		}
		add(1)
		if p := history(t, s, "b", 0, 0); !sameIDs(offsetsOf(p), []int64{6, 7, 8}) {
			t.Errorf("8 appends, keep 3, trim every 4: %v", offsetsOf(p))
		}
	},

	"RolledBackAppendLeavesNoGap": func(t *testing.T, open Opener) {
		s := open(t)
		appendFrames(t, s, "c", 10, "1")
		tx, err := s.Begin(ctx(t), true)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := tx.AppendHistory(ctx(t), &relaybase.HistoryEntry{Channel: "c", Frame: []byte("lost")}, 10); err != nil {
			t.Fatal(err)
		}
		tx.Rollback()
		if offs, _ := appendFrames(t, s, "c", 10, "2"); !sameIDs(offs, []int64{2}) {
			t.Errorf("offset after a rolled back append: %v, want 2", offs)
		}
	},

	"SurvivesRestart": func(t *testing.T, open Opener) {
		s := open(t)
		_, epoch := appendFrames(t, s, "c", 10, "1", "2")
		s = reopen(t, s, open)
		p := history(t, s, "c", 0, 0)
		if p.Epoch != epoch || !sameIDs(offsetsOf(p), []int64{1, 2}) || string(p.Entries[1].Frame) != "2" {
			t.Fatalf("after restart: %+v, want the two frames and epoch %q", p, epoch)
		}
		offs, ep := appendFrames(t, s, "c", 10, "3")
		if !sameIDs(offs, []int64{3}) || ep != epoch {
			t.Errorf("append after restart: %v %q, want 3 %q", offs, ep, epoch)
		}
	},

	"EmptyAndBinaryFrames": func(t *testing.T, open Opener) {
		s := open(t)
		frames := [][]byte{nil, {}, {0, 1, 2, 0xff, 0}, []byte(`'; DROP TABLE _relaybase_history; --`)}
		write(t, s, func(tx relaybase.Tx) {
			for _, f := range frames {
				if _, _, err := tx.AppendHistory(ctx(t), &relaybase.HistoryEntry{Channel: "b", Frame: f}, 0); err != nil {
					t.Fatal(err)
				}
			}
		})
		p := history(t, s, "b", 0, 0)
		if len(p.Entries) != len(frames) {
			t.Fatalf("entries %d, want %d (keep 0 keeps all)", len(p.Entries), len(frames))
		}
		for i, e := range p.Entries {
			if !bytes.Equal(e.Frame, frames[i]) {
				t.Errorf("frame %d = %q, want %q", i, e.Frame, frames[i])
			}
		}
	},
}
