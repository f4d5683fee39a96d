package realtime

import (
	"sync/atomic"
	"time"
)

// Adaptive coalescing: fewer writes than frames, when it pays.
//
// A write(2) costs about the same for one small frame as for several, and under load the
// fan-out is almost all writes. So when the server is busy writing, the flushers pace each
// connection: one written at t is not written again before t + delay, and the frames that
// reach it meanwhile leave together in that next write. A frame for a connection that was
// not written within the last delay (a quiet member, any member at a low publish rate) is
// written at once, as before: the wait a frame sees is max(0, last write + delay − now),
// never more than delay.
//
// delay itself follows the load, not the other way round: every coalesceWindow the
// flushers look at how much of a core the frames they wrote would have cost as one write
// each (frames written × the mean time of a write), a figure that coalescing does not
// change. Below coalesceLow of a core delay is zero, and nothing is ever held back; from
// there it grows linearly to Limits.FlushDelay at coalesceHigh. At 1,000 members × 100
// publishes/s that demand is most of a core here, and the delay is the full FlushDelay:
// each member gets one write per FlushDelay carrying the frames of that span. At 1
// publish/s it is a few per cent and the delay is zero.
const (
	coalesceWindow = 50 * time.Millisecond
	coalesceLow    = 0.25 // of a core: below it, no delay
	coalesceHigh   = 0.60 // of a core: at and above it, the full delay
)

// monoStart is the origin of monoNow: time.Since reads the monotonic clock.
var monoStart = time.Now()

// monoNow is nanoseconds on the monotonic clock.
func monoNow() int64 { return int64(time.Since(monoStart)) }

// coalescer is the flushers' load account and the delay it sets.
type coalescer struct {
	max   int64        // Limits.FlushDelay in ns; 0: never delay
	delay atomic.Int64 // ns: the current pacing of a busy connection's writes
	// seen is the latest monoNow a flusher read (at the end of a write): never ahead of
	// the clock, so a due at or before it is past without reading the clock. In a big room
	// (a frame per member every 100 ms, the delay at its ceiling) that is every member of
	// every publish: 10,000 clock reads a publish spared.
	seen atomic.Int64

	// This window's account, from every flusher.
	windowAt atomic.Int64 // monoNow when the window began
	frames   atomic.Int64 // frames written
	writes   atomic.Int64 // write system calls
	writeNs  atomic.Int64 // time spent in them
}

// note records one write of frames frames that took ns, and ends the window when it is
// over. now is monoNow.
func (k *coalescer) note(frames int, ns, now int64) {
	if k.max == 0 {
		return
	}
	k.frames.Add(int64(frames))
	k.writes.Add(1)
	k.writeNs.Add(ns)
	k.settle(now)
}

// settle ends the window if it is over, setting delay from it. now is monoNow.
func (k *coalescer) settle(now int64) {
	start := k.windowAt.Load()
	span := now - start
	if span < int64(coalesceWindow) || !k.windowAt.CompareAndSwap(start, now) {
		return
	}
	frames, writes, ns := k.frames.Swap(0), k.writes.Swap(0), k.writeNs.Swap(0)
	k.delay.Store(coalesceDelay(frames, writes, ns, span, k.max))
}

// coalesceDelay is the delay for a window of span ns in which writes writes took ns ns and
// carried frames frames: the share of a core those frames would take one write each.
func coalesceDelay(frames, writes, ns, span, maxDelay int64) int64 {
	if writes == 0 || span <= 0 {
		return 0
	}
	demand := float64(frames) * float64(ns) / float64(writes) / float64(span)
	switch {
	case demand <= coalesceLow:
		return 0
	case demand >= coalesceHigh:
		return maxDelay
	}
	return int64(float64(maxDelay) * (demand - coalesceLow) / (coalesceHigh - coalesceLow))
}

// dueAt is when a connection last written at last (monoNow; 0: never) may be written
// again: 0 (at once) unless the server is busy and the last write was less than the delay
// ago.
func (k *coalescer) dueAt(last int64) int64 {
	d := k.delay.Load()
	if d == 0 || last == 0 {
		return 0
	}
	due := last + d
	if due <= k.seen.Load() || due <= monoNow() {
		return 0
	}
	return due
}
