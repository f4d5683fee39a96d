package bench

import (
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Latency is an HDR histogram of durations, kept in microseconds with 3 significant digits
// from 1 µs to 10 minutes. Longer values are clamped to the maximum and counted in Over;
// negative ones (a clock stepped back) count as 0 µs. It is not safe for concurrent use:
// each event loop keeps its own, merged when the run ends.
type Latency struct {
	h    *hdrhistogram.Histogram
	over int64
}

const latencyMaxMicros = int64(10 * time.Minute / time.Microsecond)

// NewLatency returns an empty histogram.
func NewLatency() *Latency {
	return &Latency{h: hdrhistogram.New(1, latencyMaxMicros, 3)}
}

// Record adds one duration.
func (l *Latency) Record(d time.Duration) { l.RecordMicros(int64(d / time.Microsecond)) }

// RecordMicros adds one duration given in microseconds.
func (l *Latency) RecordMicros(us int64) {
	switch {
	case us < 0:
		us = 0
	case us > latencyMaxMicros:
		us = latencyMaxMicros
		l.over++
	}
	_ = l.h.RecordValue(us) // in range by construction
}

// Merge adds every value of o.
func (l *Latency) Merge(o *Latency) {
	l.h.Merge(o.h)
	l.over += o.over
}

// Count is the number of values recorded.
func (l *Latency) Count() int64 { return l.h.TotalCount() }

// Summary returns the percentiles product.md's targets are stated in.
func (l *Latency) Summary() Percentiles {
	if l.h.TotalCount() == 0 {
		return Percentiles{}
	}
	ms := func(us int64) float64 { return float64(us) / 1000 }
	return Percentiles{
		Count: l.h.TotalCount(),
		P50:   ms(l.h.ValueAtQuantile(50)),
		P95:   ms(l.h.ValueAtQuantile(95)),
		P99:   ms(l.h.ValueAtQuantile(99)),
		P999:  ms(l.h.ValueAtQuantile(99.9)),
		Max:   ms(l.h.Max()),
		Over:  l.over,
	}
}

// Percentiles summarises a Latency in milliseconds. Each value is the histogram's value at
// that quantile, so it is exact to 3 significant digits (HDR's guarantee), never an average.
type Percentiles struct {
	Count int64   `json:"count"`
	P50   float64 `json:"p50_ms"`
	P95   float64 `json:"p95_ms"`
	P99   float64 `json:"p99_ms"`
	P999  float64 `json:"p999_ms"`
	Max   float64 `json:"max_ms"`
	Over  int64   `json:"over_10min,omitempty"`
}
