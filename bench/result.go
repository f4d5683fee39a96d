package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"golang.org/x/sys/unix"
)

// Result is what one scenario measured. Fields that don't apply to a scenario are zero and
// left out of the JSON.
type Result struct {
	Scenario string  `json:"scenario"`
	Params   Params  `json:"params"`
	Machine  Machine `json:"machine"`

	Members int64 `json:"members_joined"`

	// Publish → deliver scenarios (fanout, bigroom, rooms, endpoint, floor).
	Publishes     int64        `json:"publishes,omitempty"`
	PublishErrors int64        `json:"publish_errors,omitempty"`
	PublishLag    *Percentiles `json:"publish_lag,omitempty"` // due → sent
	Expected      int64        `json:"deliveries_expected,omitempty"`
	Delivered     int64        `json:"deliveries,omitempty"`
	Lost          int64        `json:"deliveries_lost,omitempty"`
	Latency       *Percentiles `json:"latency,omitempty"` // publish → deliver
	// Per publish, publish → its last delivery: how long a publish takes to reach everyone.
	Completion       *Percentiles `json:"completion,omitempty"`
	SlowestPublish   int64        `json:"slowest_publish,omitempty"` // its sequence number
	WindowSeconds    float64      `json:"window_s,omitempty"`
	DeliveriesPerSec float64      `json:"deliveries_per_s,omitempty"`

	// The server (or the floor writer) over the window.
	ServerCPUSeconds     float64 `json:"server_cpu_s,omitempty"`
	ServerCPUPercent     float64 `json:"server_cpu_pct,omitempty"`
	ServerCPUPerDelivery float64 `json:"server_cpu_us_per_delivery,omitempty"`
	ServerRSS            int64   `json:"server_rss_bytes,omitempty"`
	ServerThreads        int     `json:"server_threads,omitempty"`
	GeneratorCPUPercent  float64 `json:"generator_cpu_pct,omitempty"`
	FloorMicros          float64 `json:"floor_us_per_write,omitempty"`

	Idle    *IdleResult    `json:"idle,omitempty"`
	Floor   *FloorResult   `json:"floor,omitempty"`
	Connect *ConnectResult `json:"connect,omitempty"`

	Capacity *CapacityResult `json:"capacity,omitempty"`

	Dropped int64            `json:"members_dropped,omitempty"` // closed by the server mid-run
	Closes  map[string]int64 `json:"close_codes,omitempty"`
	Errors  map[string]int64 `json:"error_codes,omitempty"`
	Targets []Target         `json:"targets,omitempty"`
	Notes   []string         `json:"notes,omitempty"`
}

// Params are the parameters a run used, defaults filled in.
type Params struct {
	URL        string   `json:"url,omitempty"`
	Nodes      []string `json:"nodes,omitempty"` // more nodes of the cluster (--nodes)
	Members    int      `json:"members"`
	Rate       float64  `json:"rate"`
	Duration   string   `json:"duration"`
	Size       int      `json:"size"`
	Channels   int      `json:"channels,omitempty"`
	Channel    string   `json:"channel,omitempty"`
	Publishers int      `json:"publishers,omitempty"`
	Pid        int      `json:"pid,omitempty"`
	Protocol   string   `json:"protocol,omitempty"` // "current": Xano's current realtime (/ws/)
	Acks       bool     `json:"acks,omitempty"`     // members acked what they read
}

// Machine describes where the run happened.
type Machine struct {
	CPUs          int    `json:"cpus"`
	LoadAvg       string `json:"loadavg,omitempty"` // /proc/loadavg's 1, 5, 15 min at the start: other work on the machine
	Kernel        string `json:"kernel"`
	Go            string `json:"go"`
	GeneratorCPUs string `json:"generator_cpus,omitempty"` // Cpus_allowed_list
	ServerCPUs    string `json:"server_cpus,omitempty"`
}

// IdleResult is the idle scenario's memory accounting. Per-connection figures are the
// growth from before the members connected to after, divided by the members.
type IdleResult struct {
	ForcedGC          bool               `json:"forced_gc"`
	HeapPerConn       float64            `json:"heap_alloc_bytes_per_conn,omitempty"`
	HeapInusePerConn  float64            `json:"heap_inuse_bytes_per_conn,omitempty"`
	StackPerConn      float64            `json:"stack_bytes_per_conn,omitempty"`
	HeapStackPerConn  float64            `json:"heap_plus_stack_bytes_per_conn,omitempty"`
	RSSPerConn        float64            `json:"rss_bytes_per_conn,omitempty"`
	GoroutinesPerConn float64            `json:"goroutines_per_conn,omitempty"`
	Before            map[string]float64 `json:"before,omitempty"`
	After             map[string]float64 `json:"after,omitempty"`
	RSSBefore         int64              `json:"rss_before,omitempty"`
	RSSAfter          int64              `json:"rss_after,omitempty"`
	Source            string             `json:"source"` // "metrics" or "rss"
}

// FloorResult is the floor writer's own account.
type FloorResult struct {
	Writes            int64   `json:"writes"`
	Rounds            int64   `json:"rounds"`
	FrameBytes        int     `json:"frame_bytes"`
	ThreadCPUPerWrite float64 `json:"thread_cpu_us_per_write"`
	ProcCPUPerWrite   float64 `json:"process_cpu_us_per_write,omitempty"`
}

// ConnectResult is the connect scenario's account.
type ConnectResult struct {
	Connects         int64        `json:"connects"`
	PerSecond        float64      `json:"connects_per_s"`
	PerServerCPUSec  float64      `json:"connects_per_server_cpu_s,omitempty"`
	ServerCPUPerConn float64      `json:"server_cpu_us_per_connect,omitempty"`
	Failed           int64        `json:"failed"`
	Latency          *Percentiles `json:"latency"` // dial → join reply
}

// Target is one product.md performance target checked against this run.
type Target struct {
	What string `json:"what"`
	Want string `json:"want"`
	Got  string `json:"got"`
	Met  bool   `json:"met"`
}

func machine(pid int) Machine {
	m := Machine{CPUs: onlineCPUs(), Go: runtime.Version()}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			m.LoadAvg = strings.Join(f[:3], " ")
		}
	}
	var u unix.Utsname
	if unix.Uname(&u) == nil {
		m.Kernel = unix.ByteSliceToString(u.Release[:])
	}
	m.GeneratorCPUs = cpusAllowed(os.Getpid())
	if pid > 0 {
		m.ServerCPUs = cpusAllowed(pid)
	}
	return m
}

// onlineCPUs counts the machine's online CPUs (runtime.NumCPU counts only those this
// process may run on, and the generator is pinned).
func onlineCPUs() int {
	b, err := os.ReadFile("/sys/devices/system/cpu/online")
	if err != nil {
		return runtime.NumCPU()
	}
	n := 0
	for _, part := range strings.Split(strings.TrimSpace(string(b)), ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err1 := strconv.Atoi(lo)
		bb := a
		var err2 error
		if isRange {
			bb, err2 = strconv.Atoi(hi)
		}
		if err1 != nil || err2 != nil || bb < a {
			return runtime.NumCPU()
		}
		n += bb - a + 1
	}
	return n
}

// cpusAllowed reads Cpus_allowed_list from /proc/<pid>/status.
func cpusAllowed(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Cpus_allowed_list:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// WriteJSON writes r as indented JSON.
func (r *Result) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteTable writes r for a person to read.
func (r *Result) WriteTable(w io.Writer) error {
	p := r.Params
	head := fmt.Sprintf("relaybase-bench %s: %d members", r.Scenario, p.Members)
	if p.Rate > 0 {
		unit := "publishes/s"
		switch r.Scenario {
		case "connect":
			unit = "dials/s"
		case "floor":
			unit = "rounds/s"
		}
		head += fmt.Sprintf(", %s %s", num(p.Rate), unit)
	}
	if p.Channels > 1 {
		head += fmt.Sprintf(" over %d channels", p.Channels)
	}
	head += fmt.Sprintf(", %s, %d B marker", p.Duration, p.Size)
	if p.Protocol == "current" {
		head += ", current protocol (/ws/)"
		if p.Acks {
			head += " with acks"
		}
	}
	fmt.Fprintln(w, head)
	m := r.Machine
	fmt.Fprintf(w, "  machine: %d CPUs, Linux %s, %s; generator on CPUs %s", m.CPUs, m.Kernel, m.Go, m.GeneratorCPUs)
	if m.ServerCPUs != "" {
		fmt.Fprintf(w, ", server on CPUs %s", m.ServerCPUs)
	}
	if m.LoadAvg != "" {
		fmt.Fprintf(w, "; load average %s", m.LoadAvg)
	}
	fmt.Fprintln(w)

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, format string, a ...any) { fmt.Fprintf(tw, "  %s\t%s\n", k, fmt.Sprintf(format, a...)) }
	row("members joined", "%d", r.Members)
	if r.Publishes > 0 {
		s := fmt.Sprintf("%d (%d errors)", r.Publishes, r.PublishErrors)
		if r.PublishLag != nil {
			s += fmt.Sprintf("; behind schedule p99 %s ms, max %s ms", ms(r.PublishLag.P99), ms(r.PublishLag.Max))
		}
		label := "publishes"
		if r.Scenario == "floor" {
			label = "rounds"
		}
		row(label, "%s", s)
	}
	if r.Expected > 0 || r.Delivered > 0 {
		row("deliveries", "%d of %d expected (%d lost)", r.Delivered, r.Expected, r.Lost)
		row("deliveries/s", "%s over %.2f s (first publish → last delivery)", num(r.DeliveriesPerSec), r.WindowSeconds)
	}
	if l := r.Latency; l != nil && l.Count > 0 {
		row("latency p50 p95 p99 max", "%s  %s  %s  %s ms (publish → deliver, %d frames)", ms(l.P50), ms(l.P95), ms(l.P99), ms(l.Max), l.Count)
	}
	if c := r.Completion; c != nil && c.Count > 0 {
		row("reach-all p50 p99 max", "%s  %s  %s ms (publish → its last delivery, %d publishes; slowest #%d)", ms(c.P50), ms(c.P99), ms(c.Max), c.Count, r.SlowestPublish)
	}
	if r.ServerCPUSeconds > 0 {
		s := fmt.Sprintf("%.2f s, %.0f%% of a core", r.ServerCPUSeconds, r.ServerCPUPercent)
		if r.ServerCPUPerDelivery > 0 {
			s += fmt.Sprintf("; %.2f µs per delivery", r.ServerCPUPerDelivery)
			if r.FloorMicros > 0 {
				s += fmt.Sprintf(" (floor: %.2f µs per write, ×%.2f)", r.FloorMicros, r.ServerCPUPerDelivery/r.FloorMicros)
			}
		}
		name := "server CPU"
		if r.Scenario == "floor" {
			name = "writer process CPU"
		}
		row(name, "%s", s)
	}
	if r.ServerRSS > 0 {
		row("server memory", "RSS %s, %d threads", bytesIEC(float64(r.ServerRSS)), r.ServerThreads)
	}
	if r.GeneratorCPUPercent > 0 {
		row("generator CPU", "%.0f%% of a core", r.GeneratorCPUPercent)
	}
	if f := r.Floor; f != nil {
		row("writes", "%d (%d rounds × members), %d-byte frames", f.Writes, f.Rounds, f.FrameBytes)
		row("floor CPU per write", "%.2f µs (writing thread, getrusage)", f.ThreadCPUPerWrite)
		if f.ProcCPUPerWrite > 0 {
			row("writer process CPU per write", "%.2f µs (/proc/<pid>/stat, the way server CPU is read)", f.ProcCPUPerWrite)
		}
	}
	if c := r.Connect; c != nil {
		row("connect+auth+join", "%d in %s: %s per s (%d failed)", c.Connects, p.Duration, num(c.PerSecond), c.Failed)
		if c.Latency != nil && c.Latency.Count > 0 {
			row("connect latency p50 p95 p99 max", "%s  %s  %s  %s ms (dial → join reply)", ms(c.Latency.P50), ms(c.Latency.P95), ms(c.Latency.P99), ms(c.Latency.Max))
		}
		if c.PerServerCPUSec > 0 {
			row("server CPU per connect", "%.1f µs: %s per server-CPU-second", c.ServerCPUPerConn, num(c.PerServerCPUSec))
		}
	}
	if c := r.Capacity; c != nil {
		for _, st := range c.Steps {
			verdict := "pass"
			if !st.Pass {
				verdict = "FAIL: " + st.Why
			}
			lat := "-"
			if st.Latency != nil {
				lat = fmt.Sprintf("p50 %s  p95 %s  p99 %s ms", ms(st.Latency.P50), ms(st.Latency.P95), ms(st.Latency.P99))
			}
			row(fmt.Sprintf("step %s members", num(float64(st.Members))), "%s, server %.0f%% of a core: %s", lat, st.ServerCPU, verdict)
		}
		got := fmt.Sprintf("%s members", num(float64(c.Members)))
		switch {
		case c.FirstFail > 0:
			got += fmt.Sprintf(" (%s failed)", num(float64(c.FirstFail)))
		default:
			got += fmt.Sprintf(" or more (no step failed up to %s)", num(float64(c.MaxMembers)))
		}
		row("capacity", "%s: the largest channel with p95 publish→deliver ≤ %s ms at %s publish/s", got, ms(c.LimitMs), num(p.Rate))
	}
	if i := r.Idle; i != nil {
		gc := "after a forced GC"
		if !i.ForcedGC {
			gc = "without a forced GC (no --debug-url): heap includes garbage"
		}
		if i.Source == "metrics" {
			row("heap + stacks per member", "%s (heap %s + stacks %s), %s", bytesIEC(i.HeapStackPerConn), bytesIEC(i.HeapPerConn), bytesIEC(i.StackPerConn), gc)
			row("heap in use per member", "%s (spans, fragmentation included)", bytesIEC(i.HeapInusePerConn))
			row("goroutines per member", "%.2f", i.GoroutinesPerConn)
		}
		if i.RSSPerConn != 0 {
			row("RSS per member", "%s (RSS %s → %s)", bytesIEC(i.RSSPerConn), bytesIEC(float64(i.RSSBefore)), bytesIEC(float64(i.RSSAfter)))
		}
	}
	if r.Dropped > 0 {
		row("members dropped", "%d (closed by the server during the run)", r.Dropped)
	}
	if len(r.Closes) > 0 {
		row("close codes", "%s", mapString(r.Closes))
	}
	if len(r.Errors) > 0 {
		row("errors", "%s", mapString(r.Errors))
	}
	for _, t := range r.Targets {
		verdict := "MET"
		if !t.Met {
			verdict = "MISSED"
		}
		row("target", "%s %s: %s (got %s)", t.What, t.Want, verdict, t.Got)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
	return nil
}

func mapString(m map[string]int64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s ×%d", k, m[k])
	}
	return b.String()
}

func ms(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

// num formats a rate with thousands separators.
func num(v float64) string {
	if v != float64(int64(v)) && v < 100 {
		return fmt.Sprintf("%.1f", v)
	}
	s := fmt.Sprintf("%d", int64(v+0.5))
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func bytesIEC(v float64) string {
	switch a := v; {
	case a >= 1<<30 || a <= -(1<<30):
		return fmt.Sprintf("%.2f GiB", v/(1<<30))
	case a >= 1<<20 || a <= -(1<<20):
		return fmt.Sprintf("%.1f MiB", v/(1<<20))
	case a >= 10<<10 || a <= -(10<<10):
		return fmt.Sprintf("%.1f KiB", v/(1<<10))
	default:
		return fmt.Sprintf("%.0f B", v)
	}
}
