package bench

import (
	"context"
	"math"
	"time"
)

// Pacer spreads events evenly at Rate per second from Start: event i is due at
// Start + i/Rate. Due times are computed from i, never by adding intervals, so a late
// event does not push the ones after it (no drift), and a publisher that fell behind
// catches up by sending what is overdue at once.
type Pacer struct {
	Start time.Time
	Rate  float64 // events per second, > 0
}

// Due is when event i is due.
func (p Pacer) Due(i int64) time.Time {
	return p.Start.Add(time.Duration(math.Round(float64(i) * 1e9 / p.Rate)))
}

// Total is how many events fall in [Start, Start+d): ceil(d × Rate).
func (p Pacer) Total(d time.Duration) int64 {
	if d <= 0 || p.Rate <= 0 {
		return 0
	}
	n := d.Seconds() * p.Rate
	// Rounding error must not turn 1000.0000001 into 1001.
	if r := math.Round(n); math.Abs(n-r) < 1e-6 {
		return int64(r)
	}
	return int64(math.Ceil(n))
}

// clock is what the scheduler needs of time; tests give it a fake one.
type clock interface {
	Now() time.Time
	// SleepUntil returns at t or when ctx ends (with its error).
	SleepUntil(ctx context.Context, t time.Time) error
}

type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }

func (wallClock) SleepUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err()
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// schedule calls emit(i, due) for each of total events in order, each no earlier than its
// due time. emit may block (all publishers busy); the events it delayed are then overdue
// and go out back to back. It returns how many were emitted: total, or fewer when ctx ends.
func schedule(ctx context.Context, p Pacer, total int64, clk clock, emit func(i int64, due time.Time)) int64 {
	for i := int64(0); i < total; i++ {
		due := p.Due(i)
		if clk.Now().Before(due) {
			if err := clk.SleepUntil(ctx, due); err != nil {
				return i
			}
		} else if ctx.Err() != nil {
			return i
		}
		emit(i, due)
	}
	return total
}
