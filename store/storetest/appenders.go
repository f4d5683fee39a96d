package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"relaybase"
	"relaybase/value"
)

// appended is one AppendHistory of a transaction that committed.
type appended struct {
	channel          string
	offset           int64
	frame            string
	began, committed time.Time // before Begin, after Commit returned
}

// Appenders on several goroutines (on PostgreSQL, several connections) append to two
// channels while readers watch them. Offsets must be dense, gap-free and in commit order:
//   - every History a reader sees holds offsets 1..Newest, none missing, because a frame
//     becomes visible only once every frame before it in its channel is (a later offset
//     committed first would show as a hole);
//   - a Tx that began after another committed has the larger offset;
//   - rolled back appends leave no gap, and every committed frame is there, at its offset.
//
// Each Tx does more work after its append (a row insert), so that appends to one channel
// really overlap where the store lets them.
func appendersCommitOrder(t *testing.T, open Opener) {
	s := open(t)
	migrate(t, s, []*relaybase.Table{messageTable()}, nil)
	const appenders, each = 6, 25
	var (
		mu    sync.Mutex
		done  []appended
		errs  = make(chan error, appenders+4)
		stop  = make(chan struct{})
		wg    sync.WaitGroup
		watch sync.WaitGroup
	)
	for range 2 {
		watch.Go(func() {
			for {
				for _, ch := range []string{"a", "b"} {
					p, err := s.History(ctx(t), ch, 0, 0)
					if err == nil {
						err = denseFromOne(p)
					}
					if err != nil {
						errs <- fmt.Errorf("reader, channel %s: %w", ch, err)
						return
					}
				}
				select {
				case <-stop:
					return
				default:
				}
			}
		})
	}
	for w := range appenders {
		wg.Go(func() {
			for i := range each {
				got, err := appendTx(t, s, w, i)
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				done = append(done, got...)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(stop)
	watch.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	byChannel := map[string]map[int64]appended{}
	for _, a := range done {
		if byChannel[a.channel] == nil {
			byChannel[a.channel] = map[int64]appended{}
		}
		if other, dup := byChannel[a.channel][a.offset]; dup {
			t.Fatalf("channel %s: offset %d given to %q and %q", a.channel, a.offset, other.frame, a.frame)
		}
		byChannel[a.channel][a.offset] = a
	}
	for ch, offs := range byChannel {
		p := history(t, s, ch, 0, 0)
		if err := denseFromOne(p); err != nil {
			t.Fatalf("channel %s at the end: %v", ch, err)
		}
		if len(p.Entries) != len(offs) {
			t.Fatalf("channel %s: %d frames stored, %d committed", ch, len(p.Entries), len(offs))
		}
		for _, e := range p.Entries {
			if a := offs[e.Offset]; string(e.Frame) != a.frame {
				t.Fatalf("channel %s offset %d holds %q, the Tx that committed it appended %q", ch, e.Offset, e.Frame, a.frame)
			}
		}
		for _, x := range offs {
			for _, y := range offs {
				if x.committed.Before(y.began) && x.offset >= y.offset {
					t.Fatalf("channel %s: %q committed before %q began, yet has offset %d ≥ %d", ch, x.frame, y.frame, x.offset, y.offset)
				}
			}
		}
	}
	if len(byChannel["a"]) == 0 || len(byChannel["b"]) == 0 {
		t.Fatalf("nothing committed to one of the channels: %d, %d", len(byChannel["a"]), len(byChannel["b"]))
	}
}

// appendTx is appender w's i-th Tx: an append to channel a (every other Tx to b as well),
// a row insert after it, and a commit, except every fifth Tx, which rolls back.
func appendTx(t *testing.T, s relaybase.Store, w, i int) ([]appended, error) {
	c := ctx(t)
	began := time.Now()
	tx, err := s.Begin(c, true)
	if err != nil {
		return nil, fmt.Errorf("appender %d: Begin: %w", w, err)
	}
	defer tx.Rollback()
	channels := []string{"a"}
	if (w+i)%2 == 0 {
		channels = append(channels, "b")
	}
	var got []appended
	for _, ch := range channels {
		frame := fmt.Sprintf("%d-%d-%s", w, i, ch)
		off, _, err := tx.AppendHistory(c, &relaybase.HistoryEntry{Channel: ch, Frame: []byte(frame)}, 0)
		if err != nil {
			return nil, fmt.Errorf("appender %d: AppendHistory(%s): %w", w, ch, err)
		}
		got = append(got, appended{channel: ch, offset: off, frame: frame, began: began})
	}
	if _, err := tx.Insert(c, "message", value.ObjectOf("room", "r", "text", fmt.Sprint(w, i))); err != nil {
		return nil, fmt.Errorf("appender %d: Insert: %w", w, err)
	}
	if i%5 == 4 {
		return nil, tx.Rollback()
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("appender %d: Commit: %w", w, err)
	}
	now := time.Now()
	for k := range got {
		got[k].committed = now
	}
	return got, nil
}

// denseFromOne checks a page of a channel that keeps every frame: offsets 1..Newest, each
// once, in order.
func denseFromOne(p relaybase.HistoryPage) error {
	if int64(len(p.Entries)) != p.Newest {
		return fmt.Errorf("newest offset %d but %d frames visible: %v", p.Newest, len(p.Entries), offsetsOf(p))
	}
	for i, e := range p.Entries {
		if e.Offset != int64(i+1) {
			return fmt.Errorf("offsets not dense from 1: %v", offsetsOf(p))
		}
	}
	return nil
}
