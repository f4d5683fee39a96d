package realtime

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gobwas/ws"

	"relaybase"
	"relaybase/engine/memory"
	"relaybase/value"
)

func TestFrameSizeLimits(t *testing.T) {
	e := newEnv(t, withLimits(Limits{SoftFrame: 1024, HardFrame: 4096}))
	c := e.dial("")
	c.join("public", nil)
	big := strings.Repeat("x", 2000)
	c.send(actMessage, map[string]any{"channel": "public"}, big)
	c.expectError(codeTooLarge, "")
	// Under the soft limit still works; so does a message sent in fragments.
	c.send(actMessage, map[string]any{"channel": "public"}, "small")
	c.expect(actMessage, "public")
	msg := []byte(`{"action":"message","options":{"channel":"public"},"payload":"in three parts"}`)
	c.wmu.Lock()
	for i, part := range [][]byte{msg[:10], msg[10:30], msg[30:]} {
		op := ws.OpContinuation
		if i == 0 {
			op = ws.OpText
		}
		f := ws.MaskFrameInPlace(ws.NewFrame(op, i == 2, append([]byte(nil), part...)))
		if err := ws.WriteFrame(c.nc, f); err != nil {
			t.Fatal(err)
		}
	}
	c.wmu.Unlock()
	if f := c.expect(actMessage, "public"); f.payload() != "in three parts" {
		t.Fatalf("got %s", f)
	}
	// Over the hard limit: closed with 1009.
	c.send(actMessage, map[string]any{"channel": "public"}, strings.Repeat("y", 5000))
	if code, _ := c.waitClose(); code != 1009 {
		t.Fatalf("closed with %d, want 1009", code)
	}
}

func TestTooManyChannels(t *testing.T) {
	e := newEnv(t, withLimits(Limits{MaxChannels: 2}))
	c := e.dial("")
	c.join("room/1", nil)
	c.join("room/2", nil)
	c.send(actJoin, map[string]any{"channel": "room/3"}, nil)
	c.expectError(codeTooManyChannels, "room/3")
	c.join("room/2", nil) // a repeated join is no new channel
	c.send(actLeave, map[string]any{"channel": "room/1"}, nil)
	c.expect(actLeave, "room/1")
	c.join("room/3", nil)
}

func TestRateLimit(t *testing.T) {
	e := newEnv(t, withLimits(Limits{Rate: 1, Burst: 5, RefusalsToClose: 1000}))
	c := e.dial("")
	c.join("public", nil) // takes one token
	for range 10 {
		c.send(actMessage, map[string]any{"channel": "public"}, "x")
	}
	var msgs, limited int
	for range 10 {
		f := c.next()
		switch {
		case f.action() == actMessage:
			msgs++
		case f.action() == actError && f.payloadMap()["code"] == codeRateLimited:
			limited++
		default:
			t.Fatalf("unexpected %s", f)
		}
	}
	if msgs < 4 || msgs > 5 || limited != 10-msgs {
		t.Fatalf("%d messages and %d rate_limited errors, want 4 (or 5) and the rest", msgs, limited)
	}
}

func TestRefusalsClose(t *testing.T) {
	e := newEnv(t, withLimits(Limits{RefusalsToClose: 5}))
	c := e.dial("")
	for range 6 {
		c.sendRaw("not json")
	}
	for range 6 {
		c.expectError(codeBadFrame, "")
	}
	if code, _ := c.waitClose(); code != 1008 {
		t.Fatalf("closed with %d, want 1008", code)
	}
}

// TestSlowConsumer: a member that never reads is closed with 1013 while the others get
// every frame, in order.
func TestSlowConsumer(t *testing.T) {
	e := newEnv(t, withLimits(Limits{CloseTimeout: 2 * time.Minute}))
	fast1, fast2 := e.dial(""), e.dial("")
	fast1.join("public", nil)
	fast2.join("public", nil)
	slow, err := dialURL(e.url, "")
	if err != nil {
		t.Fatal(err)
	}
	slow.t = t
	t.Cleanup(func() { slow.nc.Close() })
	slow.send(actJoin, map[string]any{"channel": "public"}, nil) // and never read

	// Publish events, 16 KiB each, pacing on the fast members so only the slow one lags.
	payload := strings.Repeat("z", 16<<10)
	const n = 800 // 12.5 MiB: more than the socket buffers hold
	ctx := context.Background()
	for i := range n {
		st := relaybase.StagedEvent{Channel: "public", Frame: fmt.Appendf(nil, `{"action":"event","options":{"channel":"public"},"payload":"%d %s"}`, i, payload)}
		e.srv.Publish(ctx, []relaybase.StagedEvent{st})
		if i%16 == 15 {
			for _, c := range []*client{fast1, fast2} {
				for j := i - 15; j <= i; j++ {
					var f frame
					select {
					case f = <-c.frames:
					case <-c.closed:
						code, msg := c.waitClose()
						t.Fatalf("fast member closed (%d %s) at event %d", code, msg, j)
					case <-time.After(wait):
						t.Fatalf("fast member got nothing for %v at event %d", wait, j)
					}
					if want := fmt.Sprintf(`{"action":"event","options":{"channel":"public"},"payload":"%d `, j); !strings.HasPrefix(string(f.raw), want) {
						t.Fatalf("fast member got %.80s, want event %d", f.raw, j)
					}
				}
			}
		}
	}
	// Now read what the slow member was sent: a prefix of the frames, then 1013.
	go slow.readLoop(false)
	var got int
	for {
		select {
		case f := <-slow.frames:
			if strings.HasPrefix(string(f.raw), `{"action":"event"`) {
				got++
			}
			continue
		case <-slow.closed:
		case <-time.After(2 * wait):
			t.Fatalf("slow member not closed; it received %d events", got)
		}
		break
	}
	code, _ := slow.waitClose()
	if code != 1013 {
		t.Fatalf("slow member closed with %d after %d events, want 1013", code, got)
	}
	if got >= n {
		t.Fatalf("slow member received all %d events", got)
	}
	t.Logf("slow member received %d of %d events before 1013", got, n)
	fast1.quiet()
	fast2.quiet()
}

func TestShutdown(t *testing.T) {
	e := newEnv(t)
	a, b := e.dial(""), e.dial("user-1")
	a.join("public", nil)
	b.join("history", nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	for _, c := range []*client{a, b} {
		if code, _ := c.waitClose(); code != 1012 {
			t.Fatalf("closed with %d, want 1012", code)
		}
	}
	resp, _ := httpGet(t, e.hs.URL+"/rt/"+canonical, http.Header{"Upgrade": {"websocket"}})
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("after Shutdown: status %d, want 503", resp.StatusCode)
	}
	// Presence went with them.
	if list, _ := e.engine.Presence(context.Background(), "public"); len(list) != 0 {
		t.Fatalf("presence after shutdown: %d members", len(list))
	}
}

func TestKeepAlive(t *testing.T) {
	e := newEnv(t, withLimits(Limits{Ping: 20 * time.Millisecond, IdleTimeout: 300 * time.Millisecond}))
	// A client that answers pings stays.
	live := e.dial("")
	live.join("public", nil)
	eventually(t, "pings", func() bool {
		live.mu.Lock()
		defer live.mu.Unlock()
		return live.pings >= 3
	})
	// One that never answers (nor sends anything) is closed.
	mute, err := dialURL(e.url, "")
	if err != nil {
		t.Fatal(err)
	}
	mute.t = t
	t.Cleanup(func() { mute.nc.Close() })
	go mute.readLoop(false)
	if code, _ := mute.waitClose(); code != 1001 {
		t.Fatalf("idle connection closed with %d, want 1001", code)
	}
	live.join("public", nil) // still open
}

// fakeTriggers refuses joins of "room/closed" and messages "forbidden", fails on
// "room/broken", and records the calls.
type fakeTriggers struct {
	calls atomic.Int64
	last  atomic.Pointer[relaybase.TriggerCall]
}

func (f *fakeTriggers) RunRealtimeTrigger(ctx context.Context, call *relaybase.TriggerCall) error {
	f.calls.Add(1)
	f.last.Store(call)
	switch {
	case call.Channel == "room/closed":
		return relaybase.Errorf(relaybase.CodeAccessDenied, "This room is closed.")
	case call.Channel == "room/broken":
		return errors.New("database on fire")
	case call.Action == actMessage && call.Payload == "forbidden":
		return &relaybase.Error{Code: relaybase.CodeAccessDenied, Message: "Not that word."}
	}
	return nil
}

func TestTriggers(t *testing.T) {
	tr := &fakeTriggers{}
	e := newEnv(t, withTriggers(tr))
	c := e.dial("user-5")
	c.join("room/open", nil)
	call := tr.last.Load()
	if call.Action != actJoin || call.Channel != "room/open" || call.Auth.RowID != 5 {
		t.Fatalf("trigger call %+v", call)
	}
	cv, err := value.EncodeJSON(call.Client)
	if err != nil {
		t.Fatal(err)
	}
	assertJSON(t, cv, clientObj(c.socketID, 5))
	c.send(actJoin, map[string]any{"channel": "room/closed"}, nil)
	f := c.expectError(codeForbidden, "room/closed")
	if f.payloadMap()["message"] != "This room is closed." {
		t.Fatalf("refusal %s", f)
	}
	c.send(actJoin, map[string]any{"channel": "room/broken"}, nil)
	c.expectError(codeInternal, "room/broken")

	c.send(actMessage, map[string]any{"channel": "room/open"}, "forbidden")
	if f := c.expectError(codeForbidden, "room/open"); f.payloadMap()["message"] != "Not that word." {
		t.Fatalf("refusal %s", f)
	}
	c.send(actMessage, map[string]any{"channel": "room/open"}, "fine")
	c.expect(actMessage, "room/open")
	if call := tr.last.Load(); call.Action != actMessage || call.Payload != "fine" {
		t.Fatalf("trigger call %+v", call)
	}
	// A repeated join runs no trigger.
	n := tr.calls.Load()
	c.join("room/open", nil)
	if tr.calls.Load() != n {
		t.Fatalf("a repeated join ran the trigger again")
	}
}

// TestNewRequiresTriggers: a server cannot be built without its triggers, so there is no
// moment in which it serves joins and messages that a realtime_trigger should have judged
// (allowing everything takes NoTriggers, written down), nor without its channels.
func TestNewRequiresTriggers(t *testing.T) {
	ch, err := NewChannels(ChannelsConfig{Rules: testRules, Engine: memory.New()})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"no triggers", Config{Canonical: canonical, Channels: ch}, "Triggers is required"},
		{"no channels", Config{Canonical: canonical, Triggers: NoTriggers}, "Channels is required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, err := New(tc.cfg)
			if err == nil {
				_ = srv.Shutdown(context.Background())
				t.Fatal("New succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want it to say %q", err, tc.want)
			}
		})
	}
}

// matchingTriggers has realtime triggers for joins of "room/*" only, and says so.
type matchingTriggers struct{ fakeTriggers }

func (m *matchingTriggers) HasRealtimeTrigger(channel, action string) bool {
	return action == actJoin && strings.HasPrefix(channel, "room/")
}

// TestTriggersSkipped: with a relaybase.TriggerMatcher, joins and messages that no trigger
// matches don't call RunRealtimeTrigger; those that match still do, and are still refused.
func TestTriggersSkipped(t *testing.T) {
	tr := &matchingTriggers{}
	e := newEnv(t, withTriggers(tr))
	c := e.dial("user-5")
	c.join("public", nil)
	c.send(actMessage, map[string]any{"channel": "public"}, "forbidden") // no trigger: not refused
	c.expect(actMessage, "public")
	c.join("room/open", nil)
	c.send(actMessage, map[string]any{"channel": "room/open"}, "forbidden")
	c.expect(actMessage, "room/open")
	if n := tr.calls.Load(); n != 1 {
		t.Fatalf("%d trigger calls, want 1 (the join of room/open)", n)
	}
	if call := tr.last.Load(); call.Action != actJoin || call.Channel != "room/open" {
		t.Fatalf("trigger call %+v", call)
	}
	c.send(actJoin, map[string]any{"channel": "room/closed"}, nil)
	c.expectError(codeForbidden, "room/closed")
}
