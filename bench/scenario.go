package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Run runs one scenario with o (defaults filled in by Defaults) and returns what it
// measured. A run that could not measure (server unreachable, members that never joined)
// returns an error; a run that measured a miss returns a Result that says so.
func Run(ctx context.Context, o Options) (*Result, error) {
	o, err := Defaults(o)
	if err != nil {
		return nil, err
	}
	r := &Result{
		Scenario: o.Scenario,
		Params: Params{
			URL: o.URL, Members: o.Members, Rate: o.Rate, Duration: o.Duration.String(), Size: o.Size,
			Channel: o.Channel, Pid: o.Pid, Nodes: o.Nodes,
		},
		Machine: machine(o.Pid),
	}
	if o.Scenario == "rooms" {
		r.Params.Channels = o.Channels
	}
	if o.Protocol == "current" {
		r.Params.Protocol, r.Params.Acks = o.Protocol, o.Acks
	}
	switch o.Scenario {
	case "fanout", "bigroom", "rooms", "endpoint":
		r.Params.Publishers = o.Publishers
		err = runDelivery(ctx, o, r)
	case "idle":
		err = runIdle(ctx, o, r)
	case "connect":
		err = runConnect(ctx, o, r)
	case "capacity":
		err = runCapacity(ctx, o, r)
	case "floor":
		err = runFloor(ctx, o, r)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", o.Scenario, err)
	}
	judge(o, r)
	return r, nil
}

func logf(o Options, format string, a ...any) {
	fmt.Fprintf(o.Log, "relaybase-bench %s: %s\n", o.Scenario, fmt.Sprintf(format, a...))
}

// channelOf returns the channel of member (or publish) i: one channel, or o.Channels of
// them named Channel+index.
func channelOf(o Options) func(i int64) string {
	if o.Channels <= 1 {
		return func(int64) string { return o.Channel }
	}
	names := make([]string, o.Channels)
	for i := range names {
		names[i] = o.Channel + strconv.Itoa(i)
	}
	return func(i int64) string { return names[i%int64(len(names))] }
}

// memberSpecs builds n clients that join the channel channelOf gives them, anonymous or
// with tokens[i % len(tokens)].
func memberSpecs(host, path string, n int, channelOf func(int64) string, tokens []string) []*clientSpec {
	return memberSpecsFor(legacyOptions, host, path, n, channelOf, tokens)
}

var legacyOptions = Options{Protocol: "legacy"}

// memberSpecsFor is memberSpecs for o's protocol: members of the current one join with a
// client_id each and, with o.Acks, ack what they read.
func memberSpecsFor(o Options, host, path string, n int, channelOf func(int64) string, tokens []string) []*clientSpec {
	if o.Protocol == "current" {
		specs := make([]*clientSpec, n)
		req := upgradeRequest(host, path, "")
		for i := range specs {
			ch := channelOf(int64(i))
			specs[i] = &clientSpec{req: req, joins: joinFrameCurrent(ch, "bench-"+strconv.Itoa(i)), nJoins: 1}
			if o.Acks {
				specs[i].ack = ackPrefix(ch)
			}
		}
		return specs
	}
	joins := map[string][]byte{}
	reqs := map[string][]byte{}
	specs := make([]*clientSpec, n)
	for i := range specs {
		ch := channelOf(int64(i))
		j, ok := joins[ch]
		if !ok {
			j = joinFrame(ch)
			joins[ch] = j
		}
		tok := ""
		if len(tokens) > 0 {
			tok = tokens[i%len(tokens)]
		}
		req, ok := reqs[tok]
		if !ok {
			req = upgradeRequest(host, path, tok)
			reqs[tok] = req
		}
		specs[i] = &clientSpec{req: req, joins: j, nJoins: 1}
	}
	return specs
}

// joinMembers connects and joins o.Members clients and waits for all of them.
func joinMembers(ctx context.Context, o Options, channelOf func(int64) string, tokens []string) (*swarm, error) {
	addr, host, path, err := parseTarget(o.URL, o.Canonical)
	if err != nil {
		return nil, err
	}
	if o.Protocol == "current" {
		if len(o.Nodes) > 0 {
			return nil, fmt.Errorf("--protocol current runs on one node (--nodes is for the legacy protocol)")
		}
		path = "/ws/" + o.Canonical
	}
	sw, err := newSwarm(swarmConfig{addr: addr, host: host, path: path, loops: o.Loops})
	if err != nil {
		return nil, err
	}
	start := time.Now()
	specs := memberSpecsFor(o, host, path, o.Members, channelOf, tokens)
	if len(o.Nodes) > 0 {
		// Members go to URL and the other nodes in turn.
		addrs := []*unix.SockaddrInet4{nil}
		reqs := []map[string][]byte{nil}
		for _, n := range o.Nodes {
			a, h, p, err := parseTarget(n, o.Canonical)
			if err != nil {
				return nil, err
			}
			addrs = append(addrs, &a)
			reqs = append(reqs, map[string][]byte{"": upgradeRequest(h, p, "")})
		}
		for i, sp := range specs {
			k := i % len(addrs)
			if k == 0 {
				continue
			}
			sp.addr = addrs[k]
			tok := ""
			if len(tokens) > 0 {
				tok = tokens[i%len(tokens)]
			}
			req, ok := reqs[k][tok]
			if !ok {
				a := o.Nodes[k-1]
				_, h, p, _ := parseTarget(a, o.Canonical)
				req = upgradeRequest(h, p, tok)
				reqs[k][tok] = req
			}
			sp.req = req
		}
		logf(o, "members spread over %d nodes", len(addrs))
	}
	sw.open(specs)
	rctx, cancel := context.WithTimeout(ctx, o.Ramp)
	defer cancel()
	n, err := sw.waitJoined(rctx, int64(o.Members))
	if err != nil {
		sw.close()
		return nil, fmt.Errorf("joining %s at %s%s: %w", o.Channel, o.URL, path, err)
	}
	logf(o, "%d members joined in %.2f s", n, time.Since(start).Seconds())
	return sw, nil
}

// cpuProbe reads the server's and the generator's CPU time together.
type cpuProbe struct {
	pid    int
	server ProcCPU
	self   ProcCPU
	at     time.Time
	err    error
}

func probeCPU(pid int) cpuProbe {
	p := cpuProbe{pid: pid, at: time.Now()}
	if pid > 0 {
		p.server, p.err = ReadProcCPU(pid)
	}
	p.self, _ = ReadProcCPU(os.Getpid())
	return p
}

// runDelivery is fanout, bigroom, rooms and endpoint: members join, a publisher posts at
// the rate for the duration, and every marked frame delivered is timed.
func runDelivery(ctx context.Context, o Options, r *Result) error {
	chOf := channelOf(o)
	perChannel := map[string]int64{}
	for i := 0; i < o.Members; i++ {
		perChannel[chOf(int64(i))]++
	}
	sw, err := joinMembers(ctx, o, chOf, nil)
	if err != nil {
		return err
	}
	defer sw.close()
	r.Members = sw.joined()

	path, body := "/event", eventBody(chOf, o.Size)
	if o.Scenario == "endpoint" {
		path, body = "/messages", messageBody(chOf, o.Size)
	}
	if o.Protocol == "current" {
		// realtime.publish instead of api.realtime_event: bench/testdata/workspace's publish,
		// examples/chat's current/messages (a row stored, then published).
		path = "/publish"
		if o.Scenario == "endpoint" {
			path = "/current/messages"
		}
	}
	hc := newHTTPClient(o.Publishers)
	pub := &publisher{
		hc:      hc,
		url:     strings.TrimRight(o.URL, "/") + o.API + path,
		urls:    nodeURLs(o, path),
		workers: o.Publishers,
		body:    body,
		expect:  func(seq int64) int64 { return perChannel[chOf(seq)] },
	}
	total := Pacer{Rate: o.Rate}.Total(o.Duration)
	logf(o, "publishing %s/s for %s (%d publishes) to %s", num(o.Rate), o.Duration, total, pub.url)

	prof := startProfile(ctx, o, r)
	before := probeCPU(o.Pid)
	if before.err != nil {
		r.Notes = append(r.Notes, "server CPU not read: "+before.err.Error())
	}
	pr := pub.run(ctx, o.Rate, total)
	end, complete := waitDeliveries(ctx, sw, pr.Expected, o.Drain)
	after := probeCPU(o.Pid)
	prof.wait(r)
	if mem, err := ReadProcMem(o.Pid); o.Pid > 0 && err == nil {
		r.ServerRSS, r.ServerThreads = mem.RSS, mem.Threads
	}
	st := sw.close()

	r.Publishes, r.PublishErrors, r.Expected = pr.Sent, pr.Errors, pr.Expected
	lag := pr.Lag
	r.PublishLag = &lag
	if pr.FirstErr != "" {
		r.Notes = append(r.Notes, "first publish error: "+pr.FirstErr)
	}
	fillDeliveries(r, st, pr.First, end)
	if !complete {
		r.Notes = append(r.Notes, fmt.Sprintf("stopped waiting %s after the last publish with %d deliveries missing", o.Drain, r.Lost))
	}
	fillCPU(r, before, after, r.WindowSeconds)
	if o.Scenario == "fanout" {
		r.FloorMicros = o.FloorMicros
		if r.FloorMicros == 0 {
			r.FloorMicros = referenceFloorMicros
			r.Notes = append(r.Notes, fmt.Sprintf("floor %.2f µs per write is product.md's reference; run the floor scenario and pass --floor-us for this machine's", referenceFloorMicros))
		}
	}
	return nil
}

// waitDeliveries waits until expected deliveries arrived, or nothing arrived for a while,
// or drain passed. It returns the wall ns of the last delivery and whether all arrived.
func waitDeliveries(ctx context.Context, sw *swarm, expected int64, drain time.Duration) (int64, bool) {
	deadline := time.Now().Add(drain)
	t := time.NewTicker(time.Millisecond)
	defer t.Stop()
	last, lastAt := sw.delivered(), time.Now()
	for {
		n := sw.delivered()
		if n >= expected {
			return sw.lastDelivery(), true
		}
		now := time.Now()
		if n != last {
			last, lastAt = n, now
		}
		// Two quiet seconds with members dropped: what is missing went with them.
		if now.After(deadline) || (sw.dropped() > 0 && now.Sub(lastAt) > 2*time.Second) {
			return sw.lastDelivery(), false
		}
		select {
		case <-ctx.Done():
			return sw.lastDelivery(), false
		case <-t.C:
		}
	}
}

func fillDeliveries(r *Result, st swarmStats, first, end int64) {
	r.Delivered = st.Delivered
	r.Lost = max(0, r.Expected-r.Delivered)
	lat := st.Latency.Summary()
	r.Latency = &lat
	if st.Complete.Count() > 0 {
		c := st.Complete.Summary()
		r.Completion = &c
		r.SlowestPublish = st.Slowest
	}
	if end > first && first > 0 {
		r.WindowSeconds = float64(end-first) / 1e9
		r.DeliveriesPerSec = float64(r.Delivered) / r.WindowSeconds
	}
	r.Dropped = st.Dropped
	if len(st.Closes) > 0 {
		r.Closes = map[string]int64{}
		for _, k := range sortedCloses(st.Closes) {
			r.Closes[strconv.Itoa(k)] = st.Closes[k]
		}
	}
	if len(st.Errors) > 0 {
		r.Errors = st.Errors
	}
	if st.FirstErr != "" && (st.Dropped > 0 || st.Failed > 0) {
		r.Notes = append(r.Notes, "first client error: "+st.FirstErr)
	}
}

func fillCPU(r *Result, before, after cpuProbe, window float64) {
	wall := after.at.Sub(before.at).Seconds()
	if window <= 0 {
		window = wall
	}
	if before.pid > 0 && before.err == nil && after.err == nil {
		cpu := after.server.Sub(before.server).Total().Seconds()
		r.ServerCPUSeconds = cpu
		r.ServerCPUPercent = 100 * cpu / window
		if r.Delivered > 0 {
			r.ServerCPUPerDelivery = cpu * 1e6 / float64(r.Delivered)
		}
	}
	if wall > 0 {
		r.GeneratorCPUPercent = 100 * after.self.Sub(before.self).Total().Seconds() / wall
		if r.GeneratorCPUPercent > 90 {
			r.Notes = append(r.Notes, fmt.Sprintf("the generator used %.0f%% of a core: it may be what limits this run", r.GeneratorCPUPercent))
		}
	}
}

// profile is a CPU profile of the server being taken over the measurement.
type profile struct {
	done chan error
	path string
}

// startProfile asks the server's pprof for a CPU profile as long as the publishing lasts.
func startProfile(ctx context.Context, o Options, r *Result) *profile {
	if o.Profile == "" {
		return nil
	}
	if o.DebugURL == "" {
		r.Notes = append(r.Notes, "no CPU profile: --profile needs --debug-url (relaybase serve --debug-addr)")
		return nil
	}
	p := &profile{done: make(chan error, 1), path: o.Profile}
	secs := max(1, int(o.Duration.Seconds()))
	go func() {
		u := strings.TrimRight(o.DebugURL, "/") + "/debug/pprof/profile?seconds=" + strconv.Itoa(secs)
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			p.done <- err
			return
		}
		resp, err := (&http.Client{Timeout: time.Duration(secs+30) * time.Second}).Do(req)
		if err != nil {
			p.done <- err
			return
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			p.done <- fmt.Errorf("GET %s: %s", u, resp.Status)
			return
		}
		f, err := os.Create(p.path)
		if err != nil {
			p.done <- err
			return
		}
		_, err = io.Copy(f, resp.Body)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		p.done <- err
	}()
	return p
}

func (p *profile) wait(r *Result) {
	if p == nil {
		return
	}
	if err := <-p.done; err != nil {
		r.Notes = append(r.Notes, "CPU profile failed: "+err.Error())
		return
	}
	r.Notes = append(r.Notes, "server CPU profile: "+p.path)
}

// nodeURLs is where publishes go when the run spans several nodes (nil: URL alone).
func nodeURLs(o Options, path string) []string {
	if len(o.Nodes) == 0 {
		return nil
	}
	urls := []string{strings.TrimRight(o.URL, "/") + o.API + path}
	for _, n := range o.Nodes {
		urls = append(urls, strings.TrimRight(n, "/")+o.API+path)
	}
	return urls
}
