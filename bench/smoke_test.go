package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"relaybase"
	"relaybase/engine/memory"
)

// The smoke tests run every scenario for a moment with a few members against a real
// relaybase in this process, so the tool keeps working as the server changes. They check
// that the scenario measured something complete (everyone joined, every publish
// delivered), never how fast.

func smokeOptions(scenario, url string) Options {
	return Options{
		Scenario: scenario,
		URL:      url,
		Pid:      os.Getpid(),
		Members:  20,
		Rate:     40,
		Duration: 500 * time.Millisecond,
		Ramp:     20 * time.Second,
		Drain:    10 * time.Second,
	}
}

func runSmoke(t *testing.T, o Options) *Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r, err := Run(ctx, o)
	if err != nil {
		t.Fatalf("%s: %v", o.Scenario, err)
	}
	var table, js bytes.Buffer
	if err := r.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back Result
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatalf("JSON does not read back: %v\n%s", err, js.String())
	}
	if !strings.Contains(table.String(), "relaybase-bench "+o.Scenario) {
		t.Errorf("table lacks its heading:\n%s", table.String())
	}
	t.Logf("\n%s", table.String())
	return r
}

// wantComplete checks a publish → deliver run: everyone joined, every publish answered,
// every expected frame delivered once and timed.
func wantComplete(t *testing.T, r *Result, members int) {
	t.Helper()
	if r.Members != int64(members) {
		t.Errorf("members joined = %d, want %d", r.Members, members)
	}
	if r.Publishes == 0 || r.PublishErrors != 0 {
		t.Errorf("publishes = %d with %d errors (%v)", r.Publishes, r.PublishErrors, r.Notes)
	}
	if r.Expected == 0 || r.Delivered != r.Expected || r.Lost != 0 {
		t.Errorf("delivered %d of %d expected, %d lost (%v)", r.Delivered, r.Expected, r.Lost, r.Notes)
	}
	if r.Latency == nil || r.Latency.Count != r.Delivered {
		t.Errorf("latency histogram holds %v values, want one per delivery (%d)", r.Latency, r.Delivered)
	}
	if r.ServerCPUSeconds < 0 {
		t.Errorf("negative server CPU %v", r.ServerCPUSeconds)
	}
}

func TestSmokeBenchWorkspace(t *testing.T) {
	srv := startRelaybase(t, "testdata/workspace")

	t.Run("fanout", func(t *testing.T) {
		o := smokeOptions("fanout", srv.url)
		r := runSmoke(t, o)
		wantComplete(t, r, o.Members)
		if int64(o.Members)*r.Publishes != r.Expected {
			t.Errorf("expected %d deliveries for %d publishes to %d members", r.Expected, r.Publishes, o.Members)
		}
		if r.FloorMicros != referenceFloorMicros {
			t.Errorf("floor = %v, want the reference when --floor-us is not given", r.FloorMicros)
		}
	})
	t.Run("bigroom", func(t *testing.T) {
		o := smokeOptions("bigroom", srv.url)
		o.Members, o.Rate = 60, 10
		wantComplete(t, runSmoke(t, o), o.Members)
	})
	t.Run("rooms", func(t *testing.T) {
		o := smokeOptions("rooms", srv.url)
		o.Channels = 5
		r := runSmoke(t, o)
		wantComplete(t, r, o.Members)
		// 20 members over 5 channels: 4 per channel, so 4 deliveries per publish.
		if 4*r.Publishes != r.Expected {
			t.Errorf("expected %d deliveries for %d publishes over 5 rooms of 4", r.Expected, r.Publishes)
		}
	})
	t.Run("capacity", func(t *testing.T) {
		o := smokeOptions("capacity", srv.url)
		o.Members, o.MaxMembers, o.Duration = 10, 40, 300*time.Millisecond
		r := runSmoke(t, o)
		c := r.Capacity
		if c == nil || len(c.Steps) != 3 {
			t.Fatalf("capacity = %+v, want steps of 10, 20 and 40 members", c)
		}
		for i, st := range c.Steps {
			if want := 10 << i; st.Members != want || !st.Pass || st.Latency == nil || st.Latency.Count == 0 {
				t.Errorf("step %d = %+v, want a measured pass at %d members", i, st, want)
			}
		}
		if c.Members != 40 || c.FirstFail != 0 || r.Members != 40 {
			t.Errorf("capacity %d (first fail %d), want 40 and none: every step passed", c.Members, c.FirstFail)
		}
	})
	t.Run("idle", func(t *testing.T) {
		o := smokeOptions("idle", srv.url)
		o.DebugURL = srv.debugURL
		o.MetricsURL = srv.metrics
		o.Duration = 200 * time.Millisecond
		r := runSmoke(t, o)
		if r.Members != int64(o.Members) {
			t.Errorf("members joined = %d, want %d", r.Members, o.Members)
		}
		if r.Idle == nil || r.Idle.Source != "metrics" || !r.Idle.ForcedGC {
			t.Fatalf("idle = %+v, want heap figures from /metrics after a forced GC (notes %v)", r.Idle, r.Notes)
		}
		if r.Idle.GoroutinesPerConn <= 0 {
			t.Errorf("idle members cost no goroutines? %+v", r.Idle)
		}
	})
	t.Run("connect", func(t *testing.T) {
		o := smokeOptions("connect", srv.url)
		o.Members, o.Rate = 5, 0
		o.DataDir = srv.dataDir
		r := runSmoke(t, o)
		c := r.Connect
		if c == nil || c.Connects == 0 || c.Failed != 0 {
			t.Fatalf("connect = %+v (notes %v)", c, r.Notes)
		}
		if c.Latency == nil || c.Latency.Count < c.Connects {
			t.Errorf("connect latency holds %v values for %d connects", c.Latency, c.Connects)
		}
		if len(r.Errors) > 0 {
			t.Errorf("error frames: %v", r.Errors)
		}
	})
	t.Run("connect paced", func(t *testing.T) {
		o := smokeOptions("connect", srv.url)
		o.Members, o.Rate = 4, 50
		o.AuthKey = readKey(t, srv.dataDir)
		r := runSmoke(t, o)
		// The pacer lets each loop dial at its share of the rate from its start, the first
		// dial at once: over a window of w seconds, at most 50w + loops connects.
		c := r.Connect
		w := float64(c.Connects) / c.PerSecond
		if limit := 50*w + float64(runtime.GOMAXPROCS(0)) + 1; c.Connects == 0 || float64(c.Connects) > limit {
			t.Errorf("paced at 50/s over %.2f s, got %d connects (limit %.0f)", w, c.Connects, limit)
		}
	})
}

func readKey(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(dir + "/auth.key")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func TestSmokeEndpoint(t *testing.T) {
	srv := startRelaybase(t, "../examples/chat")
	o := smokeOptions("endpoint", srv.url)
	o.Rate = 20
	wantComplete(t, runSmoke(t, o), o.Members)
}

func TestSmokeFloor(t *testing.T) {
	o := smokeOptions("floor", "")
	r := runSmoke(t, o)
	wantComplete(t, r, o.Members)
	if r.Floor == nil || r.Floor.Writes != r.Expected || r.Floor.Writes != r.Floor.Rounds*int64(o.Members) {
		t.Fatalf("floor = %+v, expected %d", r.Floor, r.Expected)
	}
	if r.Floor.FrameBytes < 110 || r.Floor.FrameBytes > 130 {
		t.Errorf("floor frames are %d bytes, want ~120 by default", r.Floor.FrameBytes)
	}
}

// countingEngine counts a node's engine calls, to see which node members and publishes
// went to.
type countingEngine struct {
	relaybase.Engine
	subscribes, publishes atomic.Int64
}

func (e *countingEngine) Subscribe(ctx context.Context, channel string) error {
	e.subscribes.Add(1)
	return e.Engine.Subscribe(ctx, channel)
}

func (e *countingEngine) Publish(ctx context.Context, channel string, msg []byte) error {
	e.publishes.Add(1)
	return e.Engine.Publish(ctx, channel, msg)
}

// TestSmokeTwoNodes: with --nodes, members join and publishes go to both nodes of a
// cluster, and every member gets every publish (across the engine).
func TestSmokeTwoNodes(t *testing.T) {
	net := memory.NewNetwork()
	var nodes [2]*countingEngine
	var srvs [2]*testServer
	for i := range nodes {
		nodes[i] = &countingEngine{Engine: net.Node()}
		t.Cleanup(func() { nodes[i].Close() })
		srvs[i] = startRelaybaseOn(t, "testdata/workspace", nodes[i])
	}
	o := smokeOptions("fanout", srvs[0].url)
	o.Nodes = []string{srvs[1].url}
	r := runSmoke(t, o)
	wantComplete(t, r, o.Members)
	if int64(o.Members)*r.Publishes != r.Expected {
		t.Errorf("expected %d deliveries for %d publishes to %d members", r.Expected, r.Publishes, o.Members)
	}
	for i, n := range nodes {
		if n.subscribes.Load() == 0 || n.publishes.Load() == 0 {
			t.Errorf("node %d: %d subscribes, %d publishes: members and publishes were not spread", i, n.subscribes.Load(), n.publishes.Load())
		}
	}
}
