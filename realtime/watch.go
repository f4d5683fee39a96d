package realtime

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
)

// What the admin console watches of this node: frame counts and taps on channels. Both
// cost the hot paths one atomic load (counting) or one nil check under a lock already held
// (taps) while no console watches, and nothing else.

// watch is the Server's side of the console's views.
type watch struct {
	watchers atomic.Int32 // open Watch calls: frames are counted while > 0
	in, out  atomic.Int64 // frames received from clients, frames queued for them
}

// counting reports whether frames are being counted.
func (w *watch) counting() bool { return w.watchers.Load() > 0 }

// Watch starts counting frames in and out (FrameCounts) until stop is called; counting
// goes on while any Watch is open.
func (s *Server) Watch() (stop func()) {
	s.watch.watchers.Add(1)
	var once sync.Once
	return func() { once.Do(func() { s.watch.watchers.Add(-1) }) }
}

// FrameCounts returns the frames received from clients and queued for them on this node
// while some Watch was open (totals: callers take differences).
func (s *Server) FrameCounts() (in, out int64) {
	return s.watch.in.Load(), s.watch.out.Load()
}

// ChannelStat is a channel with members on this node.
type ChannelStat struct {
	Name    string
	Members int // memberships on this node
}

// ChannelStats lists the channels that have members on this node, by name.
func (s *Server) ChannelStats() []ChannelStat {
	var out []ChannelStat
	for i := range s.hub.shards {
		for _, ch := range s.hub.shards[i].list() {
			ch.mu.Lock()
			n := len(ch.members)
			ch.mu.Unlock()
			if n > 0 {
				out = append(out, ChannelStat{Name: ch.name, Members: n})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// TapFrame is a frame a tap saw: the frame's JSON (the caller's to keep), and its offset
// when it was stored.
type TapFrame struct {
	Offset int64
	JSON   []byte
}

// tap is one Tap: frames go to c without waiting; those that find it full are counted.
type tap struct {
	c       chan TapFrame
	dropped atomic.Int64
}

// ErrNoRule is Tap's error for a channel no active rule matches.
var ErrNoRule = errors.New("no realtime_channel rule matches the channel")

// Tap delivers a copy of every broadcast frame (api.realtime_event and client messages)
// that reaches this node for channel, in arrival order, on the returned channel of the
// given capacity, until stop. The node subscribes to the channel for as long as the tap is
// open, members or not. A tap that is not read fast enough loses frames, counted by
// dropped, and never slows the channel down.
func (s *Server) Tap(ctx context.Context, channel string, capacity int) (frames <-chan TapFrame, dropped func() int64, stop func(), err error) {
	rule, ok := s.Match(channel)
	if !ok || !rule.Active {
		return nil, nil, nil, fmt.Errorf("tap %q: %w", channel, ErrNoRule)
	}
	t := &tap{c: make(chan TapFrame, capacity)}
	ch := s.hub.acquire(channel, rule)
	ch.opMu.Lock()
	if !ch.subscribed {
		if err := s.engine.Subscribe(ctx, channel); err != nil {
			s.release(ch)
			ch.opMu.Unlock()
			return nil, nil, nil, fmt.Errorf("tap %q: subscribe: %w", channel, err)
		}
		ch.subscribed = true
	}
	ch.mu.Lock()
	ch.taps = append(ch.taps, t)
	ch.mu.Unlock()
	ch.opMu.Unlock()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			ch.opMu.Lock()
			ch.mu.Lock()
			for i, x := range ch.taps {
				if x == t {
					ch.taps = append(ch.taps[:i:i], ch.taps[i+1:]...)
					break
				}
			}
			if len(ch.taps) == 0 {
				ch.taps = nil
			}
			ch.mu.Unlock()
			s.release(ch)
			ch.opMu.Unlock()
		})
	}
	return t.c, t.dropped.Load, stop, nil
}

// sendTaps hands a broadcast frame to the channel's taps. Caller holds ch.mu and has
// checked that ch.taps is not nil.
func sendTaps(ch *hubChannel, env envelope) {
	js := payload(env.wire)
	for _, t := range ch.taps {
		select {
		case t.c <- TapFrame{Offset: env.offset, JSON: append([]byte(nil), js...)}:
		default:
			t.dropped.Add(1)
		}
	}
}

// payload is the JSON of a text frame as it goes on the wire (an unmasked server frame).
func payload(w []byte) []byte {
	if len(w) < 2 {
		return nil
	}
	switch w[1] & 0x7f {
	case 126:
		return w[4:]
	case 127:
		return w[10:]
	}
	return w[2:]
}
