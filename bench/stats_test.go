package bench

import (
	"context"
	"math"
	"os"
	"strings"
	"testing"
	"time"
)

func TestLatencyPercentiles(t *testing.T) {
	l := NewLatency()
	for us := int64(1); us <= 10000; us++ { // 1 µs … 10 ms, uniform
		l.RecordMicros(us)
	}
	s := l.Summary()
	// HDR with 3 significant digits: each reported value is within 0.1% of the exact one.
	near := func(name string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > want*0.001+0.001 {
			t.Errorf("%s = %v ms, want %v ms ±0.1%%", name, got, want)
		}
	}
	if s.Count != 10000 {
		t.Errorf("count = %d", s.Count)
	}
	near("p50", s.P50, 5.0)
	near("p95", s.P95, 9.5)
	near("p99", s.P99, 9.9)
	near("p99.9", s.P999, 9.99)
	near("max", s.Max, 10.0)
}

func TestLatencyTail(t *testing.T) {
	// 990 fast and 10 slow: p99 is the last fast one, p99.9 and max the slow ones. An
	// average (about 6 ms) would hide both.
	l := NewLatency()
	for i := 0; i < 990; i++ {
		l.Record(time.Millisecond)
	}
	for i := 0; i < 10; i++ {
		l.Record(500 * time.Millisecond)
	}
	s := l.Summary()
	if s.P50 != 1 || s.P99 != 1 {
		t.Errorf("p50 %v p99 %v, want 1 ms", s.P50, s.P99)
	}
	if math.Abs(s.P999-500) > 0.5 || math.Abs(s.Max-500) > 0.5 {
		t.Errorf("p99.9 %v max %v, want 500 ms", s.P999, s.Max)
	}
}

func TestLatencyMergeAndClamp(t *testing.T) {
	a, b := NewLatency(), NewLatency()
	a.Record(2 * time.Millisecond)
	b.Record(4 * time.Millisecond)
	b.RecordMicros(-5)  // a clock stepped back: 0
	b.Record(time.Hour) // past the range: clamped, counted
	a.Merge(b)
	s := a.Summary()
	if s.Count != 4 || s.Over != 1 {
		t.Errorf("count %d over %d, want 4 and 1", s.Count, s.Over)
	}
	if s.Max < 599000 || s.Max > 601000 {
		t.Errorf("max = %v ms, want the 10-minute ceiling", s.Max)
	}
	if (Percentiles{}) != NewLatency().Summary() {
		t.Error("an empty histogram has percentiles")
	}
}

func TestPacer(t *testing.T) {
	start := time.Unix(1000, 0)
	p := Pacer{Start: start, Rate: 300}
	for _, i := range []int64{0, 1, 299, 300, 3000} {
		want := start.Add(time.Duration(math.Round(float64(i) * 1e9 / 300)))
		if got := p.Due(i); !got.Equal(want) {
			t.Errorf("Due(%d) = %v, want %v", i, got.Sub(start), want.Sub(start))
		}
	}
	// No drift: the 3000th event is exactly 10 s in, not 3000 rounded intervals.
	if d := p.Due(3000).Sub(start); d != 10*time.Second {
		t.Errorf("Due(3000) = %v after start", d)
	}
	totals := []struct {
		rate float64
		d    time.Duration
		want int64
	}{
		{100, 10 * time.Second, 1000},
		{300, 10 * time.Second, 3000},
		{3, 500 * time.Millisecond, 2}, // events at 0 and 333 ms
		{10, time.Millisecond, 1},      // the first is due at once
		{10, 0, 0},
		{0.5, 3 * time.Second, 2},
		{1000, 1234 * time.Millisecond, 1234},
	}
	for _, tc := range totals {
		if got := (Pacer{Rate: tc.rate}).Total(tc.d); got != tc.want {
			t.Errorf("Total(%v at %v/s) = %d, want %d", tc.d, tc.rate, got, tc.want)
		}
	}
}

// fakeClock advances only when the scheduler sleeps, or when a test's emit says time
// passed (a slow publisher).
type fakeClock struct {
	now    time.Time
	sleeps int
}

func (c *fakeClock) Now() time.Time { return c.now }

func (c *fakeClock) SleepUntil(ctx context.Context, t time.Time) error {
	c.sleeps++
	if t.After(c.now) {
		c.now = t
	}
	return ctx.Err()
}

func TestScheduleOnTime(t *testing.T) {
	clk := &fakeClock{now: time.Unix(0, 0)}
	p := Pacer{Start: clk.now, Rate: 100}
	var sent []time.Duration
	n := schedule(context.Background(), p, 5, clk, func(i int64, due time.Time) {
		if !clk.now.Equal(due) {
			t.Errorf("event %d emitted at %v, due %v", i, clk.now, due)
		}
		sent = append(sent, clk.now.Sub(p.Start))
	})
	want := []time.Duration{0, 10 * time.Millisecond, 20 * time.Millisecond, 30 * time.Millisecond, 40 * time.Millisecond}
	if n != 5 || len(sent) != 5 {
		t.Fatalf("emitted %d (%v)", n, sent)
	}
	for i := range want {
		if sent[i] != want[i] {
			t.Errorf("event %d at %v, want %v", i, sent[i], want[i])
		}
	}
}

func TestScheduleCatchesUp(t *testing.T) {
	// Event 1 takes 35 ms to send: events 2 and 3 (due at 20 and 30 ms) are overdue and go
	// out at once, without sleeping; event 4 is on time again. Nothing drifts.
	clk := &fakeClock{now: time.Unix(0, 0)}
	p := Pacer{Start: clk.now, Rate: 100}
	var at []time.Duration
	schedule(context.Background(), p, 6, clk, func(i int64, due time.Time) {
		at = append(at, clk.now.Sub(p.Start))
		if i == 1 {
			clk.now = clk.now.Add(35 * time.Millisecond)
		}
	})
	want := []time.Duration{0, 10, 45, 45, 45, 50}
	for i := range want {
		if at[i] != want[i]*time.Millisecond {
			t.Errorf("event %d sent at %v, want %v", i, at[i], want[i]*time.Millisecond)
		}
	}
}

func TestScheduleStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	clk := &fakeClock{now: time.Unix(0, 0)}
	n := schedule(ctx, Pacer{Start: clk.now, Rate: 10}, 100, clk, func(i int64, _ time.Time) {
		if i == 3 {
			cancel()
		}
	})
	if n != 4 {
		t.Errorf("emitted %d after cancelling at the 4th, want 4", n)
	}
}

func TestParseProcStat(t *testing.T) {
	// The command name may hold spaces and parentheses; fields count from the last ')'.
	line := "4242 (relay (base) x) S 1 4242 4242 0 -1 4194560 1234 0 0 0 250 75 0 0 20 0 14 0 5000 1000000 3000 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n"
	c, err := parseProcStat([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	if c.User != 2500*time.Millisecond || c.System != 750*time.Millisecond || c.Total() != 3250*time.Millisecond {
		t.Errorf("cpu = %+v", c)
	}
	if d := c.Sub(ProcCPU{User: time.Second, System: 250 * time.Millisecond}); d.Total() != 2*time.Second {
		t.Errorf("sub = %+v", d)
	}
	for _, bad := range []string{"", "12 (x) S 1 2", "12 (x) S 1 2 3 4 5 6 7 8 9 10 ab 8"} {
		if _, err := parseProcStat([]byte(bad)); err == nil {
			t.Errorf("parsed %q", bad)
		}
	}
	self, err := ReadProcCPU(os.Getpid())
	if err != nil || self.Total() < 0 {
		t.Errorf("own CPU: %+v %v", self, err)
	}
}

func TestParseProcStatus(t *testing.T) {
	status := strings.Join([]string{
		"Name:\trelaybase", "State:\tS (sleeping)", "VmPeak:\t 1262316 kB", "VmHWM:\t   40960 kB",
		"VmRSS:\t   24576 kB", "Threads:\t14", "Cpus_allowed_list:\t0", "",
	}, "\n")
	m, err := parseProcStatus([]byte(status))
	if err != nil {
		t.Fatal(err)
	}
	if m.RSS != 24576*1024 || m.HWM != 40960*1024 || m.Threads != 14 {
		t.Errorf("mem = %+v", m)
	}
	if _, err := parseProcStatus([]byte("Name:\tkthreadd\nThreads:\t1\n")); err == nil {
		t.Error("a status without VmRSS parsed")
	}
	if _, err := parseProcStatus([]byte("VmRSS:\t12 MB\n")); err == nil {
		t.Error("an odd unit parsed")
	}
	self, err := ReadProcMem(os.Getpid())
	if err != nil || self.RSS <= 0 || self.Threads <= 0 {
		t.Errorf("own memory: %+v %v", self, err)
	}
	if cpusAllowed(os.Getpid()) == "" {
		t.Error("no Cpus_allowed_list for this process")
	}
}

func TestParseMetrics(t *testing.T) {
	text := `# HELP go_goroutines Number of goroutines that currently exist.
# TYPE go_goroutines gauge
go_goroutines 10013
go_memstats_heap_alloc_bytes 1.2345678e+08
go_memstats_stack_inuse_bytes 4.194304e+07
go_gc_duration_seconds{quantile="0.5"} 0.0001
go_info{version="go1.26.8"} 1
`
	m, err := parseMetrics(strings.NewReader(text), metricGoroutines, metricHeapAlloc, metricStackInuse, metricHeapInuse)
	if err != nil {
		t.Fatal(err)
	}
	if m[metricGoroutines] != 10013 || m[metricHeapAlloc] != 123456780 || m[metricStackInuse] != 41943040 {
		t.Errorf("metrics = %v", m)
	}
	if _, ok := m[metricHeapInuse]; ok {
		t.Error("a metric that is not there was reported")
	}
	if _, err := parseMetrics(strings.NewReader("go_goroutines many\n"), metricGoroutines); err == nil {
		t.Error("a bad value parsed")
	}
}

func TestJudge(t *testing.T) {
	fanout := func(cpu, p99 float64, lost int64) *Result {
		return &Result{ServerCPUPerDelivery: cpu, FloorMicros: 6.45, Lost: lost, Latency: &Percentiles{Count: 1000, P99: p99}}
	}
	tests := []struct {
		name string
		o    Options
		r    *Result
		met  []bool
	}{
		{"fanout met", Options{Scenario: "fanout", Members: 1000, Rate: 100}, fanout(4.5, 15, 0), []bool{true, true}},
		{"fanout above 0.7 × floor", Options{Scenario: "fanout", Members: 1000, Rate: 100}, fanout(4.6, 15, 0), []bool{false, true}},
		{"fanout p99 over 20 ms", Options{Scenario: "fanout", Members: 1000, Rate: 100}, fanout(4.0, 20.5, 0), []bool{true, false}},
		{"loss misses latency", Options{Scenario: "fanout", Members: 1000, Rate: 100}, fanout(4, 1, 3), []bool{true, false}},
		{"fanout 300 short", Options{Scenario: "fanout", Members: 1000, Rate: 300},
			&Result{DeliveriesPerSec: 250000, Latency: &Percentiles{Count: 1, P99: 40}}, []bool{false, true}},
		{"other parameters: no verdict", Options{Scenario: "fanout", Members: 500, Rate: 100}, fanout(1, 1, 0), nil},
		{"bigroom", Options{Scenario: "bigroom", Members: 10000, Rate: 10}, &Result{Latency: &Percentiles{Count: 1, P99: 251}}, []bool{false, false}},
		{"bigroom under 250 ms, over 100 ms", Options{Scenario: "bigroom", Members: 10000, Rate: 10}, &Result{Latency: &Percentiles{Count: 1, P99: 101}}, []bool{true, false}},
		{"endpoint", Options{Scenario: "endpoint", Members: 1000, Rate: 50}, &Result{Latency: &Percentiles{Count: 1, P99: 30}}, []bool{true}},
		{"idle", Options{Scenario: "idle", Members: 10000}, &Result{Idle: &IdleResult{Source: "metrics", HeapStackPerConn: 11999}}, []bool{true}},
		{"idle by RSS", Options{Scenario: "idle", Members: 10000}, &Result{Idle: &IdleResult{Source: "rss", RSSPerConn: 20000}}, []bool{false}},
		{"connect", Options{Scenario: "connect"}, &Result{Connect: &ConnectResult{PerSecond: 9000, PerServerCPUSec: 12000}}, []bool{false}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			judge(tc.o, tc.r)
			if len(tc.r.Targets) != len(tc.met) {
				t.Fatalf("targets = %+v, want %d", tc.r.Targets, len(tc.met))
			}
			for i, tg := range tc.r.Targets {
				if tg.Met != tc.met[i] {
					t.Errorf("%s %s: met = %v (got %s)", tg.What, tg.Want, tg.Met, tg.Got)
				}
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	o, err := Defaults(Options{Scenario: "rooms"})
	if err != nil {
		t.Fatal(err)
	}
	if o.Members != 1000 || o.Rate != 1000 || o.Channels != 100 || o.Canonical != "bench" || o.Size != 48 {
		t.Errorf("rooms defaults = %+v", o)
	}
	o, _ = Defaults(Options{Scenario: "endpoint"})
	if o.Canonical != "marvel-chat" || o.API != "/api:chat" || o.Channel != "marvel_chat_room" || o.Rate != 50 {
		t.Errorf("endpoint defaults = %+v", o)
	}
	for _, bad := range []Options{
		{Scenario: "nope"},
		{Scenario: "fanout", Members: -1},
		{Scenario: "fanout", Size: 1 << 20},
		{Scenario: "rooms", Members: 10, Channels: 20},
	} {
		if _, err := Defaults(bad); err == nil {
			t.Errorf("Defaults(%+v) accepted", bad)
		}
	}
	if _, _, _, err := parseTarget("http://10.0.0.1:8080", "bench"); err == nil {
		t.Error("a non-loopback target was accepted")
	}
	sa, host, path, err := parseTarget("http://localhost:8081", "bench")
	if err != nil || sa.Port != 8081 || sa.Addr != [4]byte{127, 0, 0, 1} || host != "localhost:8081" || path != "/rt/bench" {
		t.Errorf("parseTarget = %v %q %q %v", sa, host, path, err)
	}
}

func TestSearchCapacity(t *testing.T) {
	for _, tc := range []struct {
		name           string
		start, maxN    int
		threshold      int // steps up to here pass
		wantLo, wantHi int // bounds lo and hi must fall in
		exactLo        bool
	}{
		{"found by bisecting", 1000, 100000, 23456, 22300, 23456, false},
		{"none fails up to the cap", 1000, 5000, 1 << 30, 5000, 0, true},
		{"the first step fails", 1000, 100000, 430, 330, 430, false},
		{"exactly at a doubling", 1000, 100000, 8000, 7600, 8000, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var tried []int
			lo, hi, err := searchCapacity(tc.start, tc.maxN, func(n int) (bool, error) {
				tried = append(tried, n)
				if n > tc.maxN {
					t.Fatalf("tried %d, over the cap %d", n, tc.maxN)
				}
				return n <= tc.threshold, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if tc.exactLo {
				if lo != tc.wantLo || hi != tc.wantHi {
					t.Fatalf("lo %d hi %d, want %d and %d (tried %v)", lo, hi, tc.wantLo, tc.wantHi, tried)
				}
				return
			}
			if lo > tc.threshold || hi <= tc.threshold || lo < tc.wantLo || hi-lo > max(100, lo/20) {
				t.Fatalf("lo %d hi %d around %d (tried %v)", lo, hi, tc.threshold, tried)
			}
			if len(tried) > 20 {
				t.Fatalf("%d steps: %v", len(tried), tried)
			}
		})
	}
}
