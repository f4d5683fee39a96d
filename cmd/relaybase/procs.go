package main

import "runtime"

// minProcs is the fewest Ps (runtime.GOMAXPROCS) serve runs with.
//
// With a single P, the Go runtime looks at the network only when that P runs out of
// goroutines, or when sysmon gets round to it (every 10 ms at most). A realtime flusher
// writing a fan-out is one goroutine in a loop of non-blocking writes that never parks
// until its list is empty, so on a one-CPU machine (or a server pinned to one core) an
// HTTP publish arriving meanwhile sat unread for the rest of the fan-out: up to 10 ms
// added to every delivery of the next publish, and publishers falling behind. With a
// second P, an idle thread blocks in the poller and takes the request as it arrives; the
// kernel shares the one CPU between the two threads. CPU per delivery and per connect
// are the same either way (docs/BENCHMARKS.md, issue 13).
const minProcs = 2

// procsFor is the GOMAXPROCS serve sets, given the runtime's current value and the
// GOMAXPROCS environment variable: at least minProcs, unless the operator chose a value,
// which is left as it is. 0 means: leave it.
func procsFor(current int, env string) int {
	if env != "" || current >= minProcs {
		return 0
	}
	return minProcs
}

// raiseProcs applies procsFor. It replaces the runtime's own choice (which follows the
// CPU affinity and cgroup limit, and then stops following their changes) only when that
// choice was one.
func raiseProcs(getenv func(string) string) {
	if n := procsFor(runtime.GOMAXPROCS(0), getenv("GOMAXPROCS")); n != 0 {
		runtime.GOMAXPROCS(n)
	}
}
