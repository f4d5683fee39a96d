package servers

import (
	"context"
	"sync"
	"time"
)

// acks holds acknowledged cursors on their way to the Store. An ack is answered at once
// from memory and written behind, every AckFlush, all of a stream's cursors in one
// transaction: a delivery's ack then costs a map update and a reply, not a write
// transaction. A node that dies before a flush loses at most AckFlush of acks, and those
// clients get the messages again on their next join: at least once still holds.
type acks struct {
	s     *Service
	mu    sync.Mutex
	dirty map[string]map[string]int64 // stream → client → cursor
	// flying is the batch being written: a join reads it as pending too, so that a cursor
	// between the map and the Store is never missed.
	flying map[string]map[string]int64
	stop   chan struct{}
	done   chan struct{}
	once   sync.Once
}

// DefaultAckFlush is how often acknowledged cursors are written to the Store.
const DefaultAckFlush = 100 * time.Millisecond

func (a *acks) init(s *Service) {
	a.s = s
	a.dirty = map[string]map[string]int64{}
	a.stop = make(chan struct{})
	a.done = make(chan struct{})
}

// start runs the flusher until Close.
func (a *acks) start(every time.Duration) {
	go func() {
		defer close(a.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-a.stop:
				a.flush()
				return
			case <-t.C:
				a.flush()
			}
		}
	}()
}

// note records a client's cursor, to be written with the next flush.
func (a *acks) note(stream, client string, cursor int64) {
	a.mu.Lock()
	m := a.dirty[stream]
	if m == nil {
		m = map[string]int64{}
		a.dirty[stream] = m
	}
	m[client] = max(m[client], cursor)
	a.mu.Unlock()
}

// pending returns a cursor not yet written (0 when none).
func (a *acks) pending(stream, client string) int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return max(a.dirty[stream][client], a.flying[stream][client])
}

// flush writes what is dirty; a stream whose write fails is kept for the next flush.
func (a *acks) flush() {
	a.mu.Lock()
	batch := a.dirty
	a.dirty = map[string]map[string]int64{}
	a.flying = batch
	a.mu.Unlock()
	defer func() {
		a.mu.Lock()
		a.flying = nil
		a.mu.Unlock()
	}()
	if len(batch) == 0 || a.s.store == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for stream, cursors := range batch {
		if err := a.s.store.SetRealtimeCursors(ctx, stream, cursors); err != nil {
			a.s.log.Error("realtime servers: writing acknowledged cursors failed; retrying", "clients", len(cursors), "err", err)
			for client, c := range cursors {
				a.note(stream, client, c)
			}
		}
	}
}

// close writes what is dirty and stops the flusher (once).
func (a *acks) close() {
	a.once.Do(func() {
		close(a.stop)
	})
}
