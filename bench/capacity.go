package bench

import (
	"context"
	"fmt"

	"golang.org/x/sys/unix"
)

// CapacityResult is the capacity scenario's answer: the largest channel (members, all on
// one channel) for which publish→deliver p95 stayed within the limit at the rate, and
// every step that led there.
type CapacityResult struct {
	LimitMs float64 `json:"p95_limit_ms"`
	// Members is the largest step that passed (0: not even the first).
	Members int `json:"members"`
	// FirstFail is the smallest step that failed (0: none did, up to MaxMembers).
	FirstFail  int            `json:"first_fail,omitempty"`
	MaxMembers int            `json:"max_members"`
	Steps      []CapacityStep `json:"steps"`
}

// CapacityStep is one run at a channel size.
type CapacityStep struct {
	Members    int          `json:"members"`
	Pass       bool         `json:"pass"`
	Latency    *Percentiles `json:"latency,omitempty"`
	Completion *Percentiles `json:"completion,omitempty"` // publish → its last delivery
	Lost       int64        `json:"lost,omitempty"`
	ServerCPU  float64      `json:"server_cpu_pct,omitempty"`
	Why        string       `json:"why,omitempty"` // a failed step's reason
}

// capacityLimitMs is the p95 publish→deliver a channel may have and still count (product.md's
// figure for a room people chat in: a quarter of a second is still "at once").
const capacityLimitMs = 250

// runCapacity finds the largest channel that keeps p95 publish→deliver within
// capacityLimitMs at o.Rate (1 publish/s): it runs the fanout measurement at o.Members,
// doubles until a step fails (p95 over the limit, a delivery lost, members that could not
// join), then bisects between the last pass and the first failure until they are within
// 5% (or 100 members) of each other. Each step is a fresh set of members on the same
// server, measured for o.Duration. Steps stop at MaxMembers, which the generator's
// open-file limit bounds (it holds one socket per member).
func runCapacity(ctx context.Context, o Options, r *Result) error {
	maxMembers := o.MaxMembers
	if maxMembers == 0 {
		maxMembers = openFileCap()
	}
	c := &CapacityResult{LimitMs: capacityLimitMs, MaxMembers: maxMembers}
	r.Capacity = c
	step := func(n int) (bool, error) {
		so := o
		so.Members = n
		so.Ramp = 0
		so, err := Defaults(so)
		if err != nil {
			return false, err
		}
		so.Profile = "" // one profile for the whole search would mix the steps
		sr := &Result{}
		logf(o, "step: %d members", n)
		st := CapacityStep{Members: n}
		if err := runDelivery(ctx, so, sr); err != nil {
			st.Why = err.Error()
			c.Steps = append(c.Steps, st)
			logf(o, "step %d members: %v", n, err)
			return false, ctx.Err() // a step that could not run is a failure, unless cancelled
		}
		st.Latency, st.Completion, st.Lost, st.ServerCPU = sr.Latency, sr.Completion, sr.Lost, sr.ServerCPUPercent
		switch {
		case sr.Lost > 0 || sr.Dropped > 0:
			st.Why = fmt.Sprintf("%d deliveries lost, %d members dropped", sr.Lost, sr.Dropped)
		case sr.Latency == nil || sr.Latency.Count == 0:
			st.Why = "nothing delivered"
		case sr.Latency.P95 > capacityLimitMs:
			st.Why = fmt.Sprintf("p95 %s ms", ms(sr.Latency.P95))
		default:
			st.Pass = true
		}
		c.Steps = append(c.Steps, st)
		if st.Latency != nil {
			logf(o, "step %d members: p95 %s ms, pass %v", n, ms(st.Latency.P95), st.Pass)
		}
		return st.Pass, nil
	}

	lo, hi, err := searchCapacity(min(o.Members, maxMembers), maxMembers, step)
	if err != nil {
		return err
	}
	c.Members, c.FirstFail = lo, hi
	r.Members = int64(lo)
	if hi == 0 {
		why := "--max-members"
		if o.MaxMembers == 0 {
			why = "the most the generator can hold (its open-file limit)"
		}
		r.Notes = append(r.Notes, fmt.Sprintf("every step passed up to %d members, %s: the capacity is at least that", maxMembers, why))
	}
	return nil
}

// searchCapacity finds where pass turns false: from start, doubling up to maxN until a
// step fails, then bisecting until the largest pass (lo) and the smallest failure (hi) are
// within 5% (or 100) of each other. hi is 0 when every step up to maxN passed; lo is 0 when
// none did.
func searchCapacity(start, maxN int, pass func(n int) (bool, error)) (lo, hi int, err error) {
	for n := max(1, start); ; n = min(2*n, maxN) {
		ok, err := pass(n)
		if err != nil {
			return lo, hi, err
		}
		if !ok {
			hi = n
			break
		}
		lo = n
		if n >= maxN {
			return lo, 0, nil
		}
	}
	for hi-lo > max(100, lo/20) {
		mid := lo + (hi-lo)/2
		ok, err := pass(mid)
		if err != nil {
			return lo, hi, err
		}
		if ok {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo, hi, nil
}

// openFileCap is how many members the generator can hold: its open-file limit, less room
// for the publishers' connections and the process's own files.
func openFileCap() int {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil || rl.Cur < 1000 {
		return 1000
	}
	return int(min(rl.Cur-200, 1<<20))
}
