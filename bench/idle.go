package bench

import (
	"context"
	"fmt"
	"time"
)

var idleMetrics = []string{metricHeapAlloc, metricHeapInuse, metricStackInuse, metricGoroutines, metricLastGC}

// runIdle holds o.Members idle members joined to one channel for o.Duration and reports
// the server's memory growth per member: heap and stacks from /metrics after a forced GC
// (when --debug-url reaches the server's pprof), and RSS from /proc/<pid>/status.
func runIdle(ctx context.Context, o Options, r *Result) error {
	hc := newHTTPClient(1)
	idle := &IdleResult{Source: "metrics"}
	r.Idle = idle
	snapshot := func(profile string) (map[string]float64, int64) {
		if o.DebugURL != "" {
			if err := forceGC(ctx, hc, o.DebugURL, profile); err != nil {
				r.Notes = append(r.Notes, err.Error())
			} else {
				idle.ForcedGC = true
			}
		}
		var m map[string]float64
		if idle.Source == "metrics" {
			var err error
			base := o.MetricsURL
			if base == "" {
				base = o.URL
			}
			m, err = fetchMetrics(ctx, hc, base, idleMetrics...)
			if err != nil || m[metricHeapAlloc] == 0 {
				if err == nil {
					err = fmt.Errorf("no %s in /metrics", metricHeapAlloc)
				}
				r.Notes = append(r.Notes, "Go heap figures unavailable ("+err.Error()+"): memory per member is RSS only")
				idle.Source = "rss"
				m = nil
			}
		}
		var rss int64
		if o.Pid > 0 {
			if pm, err := ReadProcMem(o.Pid); err == nil {
				rss = pm.RSS
				r.ServerThreads = pm.Threads
			}
		}
		return m, rss
	}

	before, rssBefore := snapshot("")
	sw, err := joinMembers(ctx, o, channelOf(o), nil)
	if err != nil {
		return err
	}
	defer sw.close()
	r.Members = sw.joined()
	logf(o, "holding %d idle members for %s", r.Members, o.Duration)
	hold := time.NewTimer(o.Duration)
	select {
	case <-hold.C:
	case <-ctx.Done():
		hold.Stop()
		return ctx.Err()
	}
	idle.ForcedGC = false // the GC before the second reading is the one that counts
	after, rssAfter := snapshot(o.Profile)
	if o.Profile != "" {
		if idle.ForcedGC {
			r.Notes = append(r.Notes, "server heap profile (after GC, members joined): "+o.Profile)
		} else if o.DebugURL == "" {
			r.Notes = append(r.Notes, "no heap profile: --profile needs --debug-url")
		}
	}
	joined := sw.joined()
	st := sw.close()
	if joined < r.Members {
		r.Notes = append(r.Notes, fmt.Sprintf("%d members were dropped while idle: %s", r.Members-joined, st.FirstErr))
	}
	r.Dropped = st.Dropped
	n := float64(r.Members)
	if before != nil && after != nil {
		idle.Before, idle.After = before, after
		idle.HeapPerConn = (after[metricHeapAlloc] - before[metricHeapAlloc]) / n
		idle.HeapInusePerConn = (after[metricHeapInuse] - before[metricHeapInuse]) / n
		idle.StackPerConn = (after[metricStackInuse] - before[metricStackInuse]) / n
		idle.HeapStackPerConn = idle.HeapPerConn + idle.StackPerConn
		idle.GoroutinesPerConn = (after[metricGoroutines] - before[metricGoroutines]) / n
	}
	if rssBefore > 0 && rssAfter > 0 {
		idle.RSSBefore, idle.RSSAfter = rssBefore, rssAfter
		idle.RSSPerConn = float64(rssAfter-rssBefore) / n
		r.ServerRSS = rssAfter
	} else if o.Pid == 0 {
		r.Notes = append(r.Notes, "no --pid: RSS not read")
	}
	if !idle.ForcedGC && idle.Source == "metrics" {
		r.Notes = append(r.Notes, "no forced GC (give --debug-url, the server's --debug-addr): the heap figure counts garbage since the last GC, so it is an upper bound")
	}
	return nil
}
