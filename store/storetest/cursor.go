package storetest

import (
	"errors"
	"sync"
	"testing"

	"relaybase"
)

// cursorCases hold the cursors of at-least-once clients (Store.RealtimeCursor,
// Store.SetRealtimeCursor): per stream and client, forward only, bounded by what the
// stream issued, and kept across a restart.
var cursorCases = map[string]func(*testing.T, Opener){
	"ForwardOnly": func(t *testing.T, open Opener) {
		s := open(t)
		appendFrames(t, s, "\x1fws\x1fc\x1frooms/1", 1000, `{"a":1}`, `{"a":2}`, `{"a":3}`)
		const stream = "\x1fws\x1fc\x1frooms/1"
		if c, ok, err := s.RealtimeCursor(ctx(t), stream, "c:tab"); err != nil || ok || c != 0 {
			t.Fatalf("no cursor yet: %d %v %v", c, ok, err)
		}
		for _, step := range []struct{ set, want int64 }{{2, 2}, {1, 2}, {3, 3}, {0, 3}} {
			got, err := s.SetRealtimeCursor(ctx(t), stream, "c:tab", step.set)
			if err != nil || got != step.want {
				t.Errorf("SetRealtimeCursor(%d) = %d, %v; want %d", step.set, got, err, step.want)
			}
		}
		if c, ok, err := s.RealtimeCursor(ctx(t), stream, "c:tab"); err != nil || !ok || c != 3 {
			t.Errorf("cursor = %d %v %v, want 3", c, ok, err)
		}
		// Another client, another stream: their own.
		if c, ok, _ := s.RealtimeCursor(ctx(t), stream, "u:1:2"); ok || c != 0 {
			t.Errorf("another client's cursor = %d %v", c, ok)
		}
		if c, ok, _ := s.RealtimeCursor(ctx(t), "room", "c:tab"); ok || c != 0 {
			t.Errorf("another stream's cursor = %d %v", c, ok)
		}
	},
	"OnlyIssuedIDs": func(t *testing.T, open Opener) {
		s := open(t)
		appendFrames(t, s, "st", 1000, `{"a":1}`)
		for _, id := range []int64{2, -1} {
			if _, err := s.SetRealtimeCursor(ctx(t), "st", "c:x", id); !errors.Is(err, relaybase.ErrNotFound) {
				t.Errorf("SetRealtimeCursor(%d) = %v, want ErrNotFound", id, err)
			}
		}
		if _, err := s.SetRealtimeCursor(ctx(t), "never", "c:x", 1); !errors.Is(err, relaybase.ErrNotFound) {
			t.Errorf("a stream that issued nothing: %v, want ErrNotFound", err)
		}
		if _, ok, _ := s.RealtimeCursor(ctx(t), "st", "c:x"); ok {
			t.Error("a refused ack stored a cursor")
		}
	},
	"SurvivesRestart": func(t *testing.T, open Opener) {
		s := open(t)
		appendFrames(t, s, "st", 1000, `1`, `2`)
		if _, err := s.SetRealtimeCursor(ctx(t), "st", "u:5:6", 2); err != nil {
			t.Fatal(err)
		}
		s.Close()
		s = open(t)
		if c, ok, err := s.RealtimeCursor(ctx(t), "st", "u:5:6"); err != nil || !ok || c != 2 {
			t.Errorf("after a restart: %d %v %v, want 2", c, ok, err)
		}
	},
	"Batch": func(t *testing.T, open Opener) {
		s := open(t)
		appendFrames(t, s, "st", 1000, `1`, `2`, `3`)
		if _, err := s.SetRealtimeCursor(ctx(t), "st", "c:ahead", 3); err != nil {
			t.Fatal(err)
		}
		err := s.SetRealtimeCursors(ctx(t), "st", map[string]int64{"c:a": 2, "c:b": 3, "c:ahead": 1, "c:future": 9, `c:"é\`: 2, "c:bad\xff": 1})
		if err != nil {
			t.Fatal(err)
		}
		for client, want := range map[string]int64{"c:a": 2, "c:b": 3, "c:ahead": 3, `c:"é\`: 2} {
			if c, ok, _ := s.RealtimeCursor(ctx(t), "st", client); !ok || c != want {
				t.Errorf("%s = %d %v, want %d", client, c, ok, want)
			}
		}
		if _, ok, _ := s.RealtimeCursor(ctx(t), "st", "c:future"); ok {
			t.Error("an id the stream never issued was stored")
		}
	},
	"ConcurrentAcks": func(t *testing.T, open Opener) {
		s := open(t)
		var frames []string
		for range 40 {
			frames = append(frames, `{}`)
		}
		appendFrames(t, s, "st", 1000, frames...)
		var wg sync.WaitGroup
		for i := int64(1); i <= 40; i++ {
			wg.Go(func() {
				if _, err := s.SetRealtimeCursor(ctx(t), "st", "c:many", i); err != nil {
					t.Errorf("SetRealtimeCursor(%d): %v", i, err)
				}
			})
		}
		wg.Wait()
		if c, _, _ := s.RealtimeCursor(ctx(t), "st", "c:many"); c != 40 {
			t.Errorf("cursor after concurrent acks = %d, want 40", c)
		}
	},
}
