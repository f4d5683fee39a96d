package storetest

import (
	"fmt"
	"sync"
	"testing"

	"relaybase"
	"relaybase/value"
)

var metaCases = map[string]func(*testing.T, Opener){
	"InitMetaKeepsTheFirstValue": func(t *testing.T, open Opener) {
		s := open(t)
		if v, ok, err := s.Meta(ctx(t), "auth_key"); err != nil || ok || v != "" {
			t.Fatalf("unset key: %q %v %v", v, ok, err)
		}
		if v, err := s.InitMeta(ctx(t), "auth_key", "first"); err != nil || v != "first" {
			t.Fatalf("InitMeta: %q %v", v, err)
		}
		if v, err := s.InitMeta(ctx(t), "auth_key", "second"); err != nil || v != "first" {
			t.Fatalf("InitMeta again: %q %v, want first", v, err)
		}
		if v, err := s.InitMeta(ctx(t), "canonical", "'; DROP TABLE x; --"); err != nil || v != "'; DROP TABLE x; --" {
			t.Fatalf("InitMeta of another key: %q %v", v, err)
		}
		s = reopen(t, s, open)
		if v, ok, err := s.Meta(ctx(t), "auth_key"); err != nil || !ok || v != "first" {
			t.Errorf("after restart: %q %v %v", v, ok, err)
		}
		if v, ok, err := s.Meta(ctx(t), "canonical"); err != nil || !ok || v != "'; DROP TABLE x; --" {
			t.Errorf("after restart: %q %v %v", v, ok, err)
		}
	},

	"InitMetaRace": func(t *testing.T, open Opener) {
		s := open(t)
		const n = 16
		got := make([]string, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				got[i], errs[i] = s.InitMeta(ctx(t), "key", fmt.Sprint("value-", i))
			}()
		}
		close(start)
		wg.Wait()
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("InitMeta %d: %v", i, errs[i])
			}
			if got[i] != got[0] {
				t.Fatalf("InitMeta results differ: %q", got)
			}
		}
		if v, ok, err := s.Meta(ctx(t), "key"); err != nil || !ok || v != got[0] {
			t.Errorf("Meta = %q %v %v, want %q", v, ok, err, got[0])
		}
	},

	"Ping": func(t *testing.T, open Opener) {
		s := open(t)
		if err := s.Ping(ctx(t)); err != nil {
			t.Errorf("Ping: %v", err)
		}
	},
}

var concurrencyCases = map[string]func(*testing.T, Opener){
	"AppendersCommitOrder": appendersCommitOrder,

	"WritersSerialise": func(t *testing.T, open Opener) {
		s := open(t)
		migrate(t, s, []*relaybase.Table{simple("counter", field("n", relaybase.TypeInt)), messageTable()}, nil)
		write(t, s, func(tx relaybase.Tx) { insert(t, tx, "counter", "n", int64(0)) })
		const writers, each = 8, 25
		var wg sync.WaitGroup
		errs := make(chan error, (writers+4)*each)
		start := make(chan struct{})
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				for i := range each {
					errs <- increment(t, s, w, i)
				}
			}()
		}
		// Readers run alongside and never see a half-done write.
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				for range each {
					errs <- readConsistent(t, s)
				}
			}()
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		read(t, s, func(tx relaybase.Tx) {
			row := get(t, tx, "counter", "id", int64(1))
			if !sameValue(mustGet(row, "n"), int64(writers*each)) {
				t.Errorf("counter = %s, want %d: a read-modify-write was lost", show(mustGet(row, "n")), writers*each)
			}
		})
		if n := count(t, s, "message"); n != writers*each {
			t.Errorf("messages = %d, want %d", n, writers*each)
		}
		p := history(t, s, "c", 0, 0)
		if p.Newest != writers*each || len(p.Entries) != writers*each {
			t.Errorf("history newest %d entries %d, want %d", p.Newest, len(p.Entries), writers*each)
		}
		for i, e := range p.Entries {
			if e.Offset != int64(i+1) {
				t.Fatalf("offsets not dense: entry %d has offset %d", i, e.Offset)
			}
		}
	},
}

// increment reads the counter, writes it back plus one, adds a message and a history frame,
// all in one write transaction: lost updates would show in the final count.
func increment(t *testing.T, s relaybase.Store, w, i int) error {
	c := ctx(t)
	tx, err := s.Begin(c, true)
	if err != nil {
		return fmt.Errorf("writer %d: Begin: %w", w, err)
	}
	defer tx.Rollback()
	row, err := tx.Get(c, "counter", "id", int64(1))
	if err != nil {
		return fmt.Errorf("writer %d: Get: %w", w, err)
	}
	n, _ := mustGet(row, "n").(int64)
	if _, err := tx.Update(c, "counter", "id", int64(1), value.ObjectOf("n", n+1)); err != nil {
		return fmt.Errorf("writer %d: Update: %w", w, err)
	}
	if _, err := tx.Insert(c, "message", value.ObjectOf("room", fmt.Sprint(w), "text", fmt.Sprint(i), "user_id", n)); err != nil {
		return fmt.Errorf("writer %d: Insert: %w", w, err)
	}
	if _, _, err := tx.AppendHistory(c, &relaybase.HistoryEntry{Channel: "c", Frame: []byte(fmt.Sprint(n))}, 0); err != nil {
		return fmt.Errorf("writer %d: AppendHistory: %w", w, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("writer %d: Commit: %w", w, err)
	}
	return nil
}

// readConsistent checks that the counter and the messages agree in one read transaction.
func readConsistent(t *testing.T, s relaybase.Store) error {
	c := ctx(t)
	tx, err := s.Begin(c, false)
	if err != nil {
		return fmt.Errorf("reader: Begin: %w", err)
	}
	defer tx.Rollback()
	row, err := tx.Get(c, "counter", "id", int64(1))
	if err != nil {
		return fmt.Errorf("reader: Get: %w", err)
	}
	res, err := tx.Query(c, &relaybase.Query{Table: "message", Total: true, Limit: 1})
	if err != nil {
		return fmt.Errorf("reader: Query: %w", err)
	}
	if n, _ := mustGet(row, "n").(int64); n != res.Total {
		return fmt.Errorf("reader saw counter %d but %d messages: a write was half visible", n, res.Total)
	}
	return tx.Commit()
}
