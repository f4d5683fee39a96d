package realtime

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"relaybase"
)

// recvTap waits for the tap's next frame.
func recvTap(t *testing.T, c <-chan TapFrame) TapFrame {
	t.Helper()
	select {
	case f := <-c:
		return f
	case <-time.After(5 * time.Second):
		t.Fatal("no frame on the tap")
	}
	return TapFrame{}
}

// A tap sees the channel's broadcasts whether or not the node has members there, drops
// what it cannot take without holding delivery up, and lets the channel go when stopped.
func TestTap(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, _, _, err := e.srv.Tap(ctx, "nochannel", 4); !errors.Is(err, ErrNoRule) {
		t.Fatalf("tap of a channel no rule matches: %v", err)
	}
	frames, dropped, stop, err := e.srv.Tap(ctx, "public", 2)
	if err != nil {
		t.Fatal(err)
	}
	publish := func(i int) {
		st, err := e.srv.Stage(ctx, relaybase.Event{Channel: "public", Data: i})
		if err != nil {
			t.Fatal(err)
		}
		e.srv.Publish(ctx, []relaybase.StagedEvent{st})
	}
	publish(1) // no member on this node: the tap alone subscribed it
	if f := recvTap(t, frames); !strings.Contains(string(f.JSON), `"payload":1`) || !strings.HasPrefix(string(f.JSON), "{") {
		t.Fatalf("tap frame %s", f.JSON)
	}
	// A member and the tap both get the next frames; the tap, not read, drops past 2.
	c := e.dial("")
	c.join("public", nil)
	for i := 2; i <= 6; i++ {
		publish(i)
	}
	for i := 2; i <= 6; i++ {
		if f := c.expect("event", "public"); !strings.Contains(f.String(), fmt.Sprintf(`"payload":%d`, i)) {
			t.Fatalf("member got %s, want payload %d", f, i)
		}
	}
	if d := dropped(); d != 3 {
		t.Fatalf("dropped %d, want 3 (5 frames, room for 2)", d)
	}
	stop()
	stop() // twice is harmless
	if got := e.srv.ChannelStats(); len(got) != 1 || got[0] != (ChannelStat{Name: "public", Members: 1}) {
		t.Fatalf("ChannelStats = %v", got)
	}
}

// Frames are counted only while a Watch is open.
func TestWatchCounts(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.dial("")
	c.join("public", nil)
	send := func() {
		st, err := e.srv.Stage(ctx, relaybase.Event{Channel: "public", Data: "x"})
		if err != nil {
			t.Fatal(err)
		}
		e.srv.Publish(ctx, []relaybase.StagedEvent{st})
		c.expect("event", "public")
	}
	send()
	if in, out := e.srv.FrameCounts(); in != 0 || out != 0 {
		t.Fatalf("counted %d in, %d out with no watch", in, out)
	}
	stop := e.srv.Watch()
	send()
	c.send("message", map[string]any{"channel": "public"}, "hi")
	c.expect("message", "public")
	stop()
	in, out := e.srv.FrameCounts()
	if in != 1 || out != 2 {
		t.Fatalf("counted %d in, %d out; want 1 and 2", in, out)
	}
	send()
	if in2, out2 := e.srv.FrameCounts(); in2 != in || out2 != out {
		t.Fatalf("counting went on after stop")
	}
}
