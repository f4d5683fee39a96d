//go:build integration

package redis_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"

	"relaybase"
	"relaybase/engine/redis"
	"relaybase/internal/testenv"
	"relaybase/realtime"
	"relaybase/store/sqlite"
	"relaybase/value"
)

const canonical = "canon-redis-test"

// fakeTokens: "user-N" proves user N of table 42; anything else is refused.
type fakeTokens struct{}

func (fakeTokens) Issue(relaybase.Identity, time.Duration) (string, error) {
	return "", errors.New("not in tests")
}

func (fakeTokens) Verify(tok string) (relaybase.Identity, error) {
	var n int64
	if _, err := fmt.Sscanf(tok, "user-%d", &n); err != nil || n <= 0 || tok != fmt.Sprintf("user-%d", n) {
		return relaybase.Identity{}, fmt.Errorf("bad token: %w", relaybase.ErrUnauthorized)
	}
	return relaybase.Identity{TableID: 42, RowID: n}, nil
}

var rules = []relaybase.ChannelRule{
	{Pattern: "public", Active: true, AnonymousClients: true, Presence: true, PublicMessaging: true, PrivateMessaging: true},
	{Pattern: "feed", Active: true, AnonymousClients: true, History: 25},
}

// node is one relaybase node's realtime side: a realtime.Server on a Redis engine.
type node struct {
	engine *redis.Engine
	srv    *realtime.Server
	url    string
}

func newNode(t *testing.T, store relaybase.Store, engine *redis.Engine) *node {
	t.Helper()
	channels, err := realtime.NewChannels(realtime.ChannelsConfig{Rules: rules, Store: store, Engine: engine})
	if err != nil {
		t.Fatalf("realtime.NewChannels: %v", err)
	}
	srv, err := realtime.New(realtime.Config{
		Canonical: canonical,
		Channels:  channels,
		Tokens:    fakeTokens{},
		Triggers:  realtime.NoTriggers,
	})
	if err != nil {
		t.Fatalf("realtime.New: %v", err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		hs.Close()
	})
	return &node{engine: engine, srv: srv, url: "ws" + strings.TrimPrefix(hs.URL, "http") + "/rt/" + canonical}
}

// wsClient speaks the realtime protocol over a real WebSocket.
type wsClient struct {
	t        *testing.T
	nc       net.Conn
	frames   chan map[string]any
	socketID string
}

func (n *node) dial(t *testing.T, token string) *wsClient {
	t.Helper()
	d := ws.Dialer{Timeout: wait}
	if token != "" {
		d.Protocols = []string{token}
	}
	nc, br, _, err := d.Dial(context.Background(), n.url)
	if err != nil {
		t.Fatalf("dial %s: %v", n.url, err)
	}
	t.Cleanup(func() { nc.Close() })
	c := &wsClient{t: t, nc: nc, frames: make(chan map[string]any, 1024)}
	var src io.Reader = nc
	if br != nil {
		src = io.MultiReader(br, nc) // frames the dialer read along with the handshake come first
	}
	go func() {
		defer close(c.frames)
		rw := struct {
			io.Reader
			io.Writer
		}{src, nc}
		for {
			p, op, err := wsutil.ReadServerData(rw)
			if err != nil {
				return
			}
			if op != ws.OpText {
				continue
			}
			var m map[string]any
			if err := json.Unmarshal(p, &m); err != nil {
				t.Errorf("server sent a frame that is not a JSON object: %q", p)
				return
			}
			c.frames <- m
		}
	}()
	return c
}

func (c *wsClient) send(action string, options map[string]any, payload any) {
	c.t.Helper()
	b, err := json.Marshal(map[string]any{"action": action, "options": options, "payload": payload})
	if err != nil {
		c.t.Fatal(err)
	}
	if err := wsutil.WriteClientText(c.nc, b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// expect returns the next frame, which must have the action and channel.
func (c *wsClient) expect(action, channel string) map[string]any {
	c.t.Helper()
	select {
	case f, ok := <-c.frames:
		if !ok {
			c.t.Fatalf("connection ended while waiting for %s on %s", action, channel)
		}
		opts, _ := f["options"].(map[string]any)
		if f["action"] != action || opts["channel"] != channel {
			c.t.Fatalf("got %v, want action %q on %q", f, action, channel)
		}
		return f
	case <-time.After(wait):
		c.t.Fatalf("no %s on %s within %v", action, channel, wait)
	}
	return nil
}

func (c *wsClient) join(channel string, presence bool) map[string]any {
	c.t.Helper()
	c.send("join", map[string]any{"channel": channel}, map[string]any{"history": false, "presence": presence})
	f := c.expect("join", channel)
	cl, _ := f["client"].(map[string]any)
	c.socketID, _ = cl["socketId"].(string)
	return f
}

// presenceIDs is the socketIds of a presence_full frame, sorted.
func presenceIDs(f map[string]any) []string {
	p, _ := f["payload"].(map[string]any)
	list, _ := p["presence"].([]any)
	var ids []string
	for _, m := range list {
		if o, ok := m.(map[string]any); ok {
			id, _ := o["socketId"].(string)
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

func sorted(s ...string) []string { slices.Sort(s); return s }

// TestTwoNodes runs two realtime servers, each on an engine of its own, over one Redis and
// one database: a member of node A receives what is sent and raised on node B, presence
// lists members of both, and when node A dies its member leaves presence after the
// expiry.
func TestTwoNodes(t *testing.T) {
	url := testenv.RedisURL(t)
	prefix := newPrefix(t, url)
	rc := rawClient(t, url)
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "rt.db"))
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { db.Close() })

	ca, cb := newFakeClock(t0), newFakeClock(t0)
	opts := []redis.Option{redis.WithPrefix(prefix), redis.WithHeartbeat(10 * time.Second), redis.WithExpiry(30 * time.Second)}
	nodeA := newNode(t, db, newEngine(t, url, append(opts, redis.WithClock(ca))...))
	nodeB := newNode(t, db, newEngine(t, url, append(opts, redis.WithClock(cb))...))

	a := nodeA.dial(t, "user-1")
	a.join("public", true)
	if got := presenceIDs(a.expect("presence_full", "public")); !slices.Equal(got, []string{a.socketID}) {
		t.Fatalf("a's presence_full lists %v, want only a", got)
	}
	b := nodeB.dial(t, "")
	b.join("public", true)
	if got, want := presenceIDs(b.expect("presence_full", "public")), sorted(a.socketID, b.socketID); !slices.Equal(got, want) {
		t.Fatalf("b's presence_full lists %v, want a and b %v", got, want)
	}
	if f := a.expect("presence_update", "public"); f["payload"].(map[string]any)["action"] != "join" {
		t.Fatalf("a got %v, want b's join", f)
	}

	// A message sent on node B reaches the member on node A.
	b.send("message", map[string]any{"channel": "public"}, "from b")
	if f := a.expect("message", "public"); f["payload"] != "from b" {
		t.Fatalf("a got %v", f)
	}
	b.expect("message", "public")
	// A private message across nodes.
	a.send("message", map[string]any{"channel": "public", "socketId": b.socketID}, "direct")
	if f := b.expect("message", "public"); f["payload"] != "direct" {
		t.Fatalf("b got %v", f)
	}

	// An event raised on node B (api.realtime_event, stored in B's transaction) reaches the
	// member on node A with its offset.
	a.join("feed", false)
	for i := 1; i <= 3; i++ {
		tx, err := db.Begin(ctx, true)
		if err != nil {
			t.Fatal(err)
		}
		st, err := nodeB.srv.Stage(ctx, relaybase.Event{Channel: "feed", Data: value.ObjectOf("n", int64(i))})
		if err != nil {
			t.Fatalf("Stage: %v", err)
		}
		staged := []relaybase.StagedEvent{st}
		must(t, nodeB.srv.Store(ctx, tx, staged))
		st = staged[0]
		must(t, tx.Commit())
		nodeB.srv.Publish(ctx, []relaybase.StagedEvent{st})
	}
	for i := 1; i <= 3; i++ {
		f := a.expect("event", "feed")
		if f["offset"] != float64(i) || f["payload"].(map[string]any)["n"] != float64(i) {
			t.Fatalf("event %d on a: %v", i, f)
		}
	}

	// Node A dies: its engine stops (no more heartbeats) without removing anything. Node
	// B's heartbeats go on; once a's last heartbeat is the expiry old, a is gone.
	nodeA.engine.Crash()
	for i := 1; i <= 3; i++ {
		cb.Advance(10 * time.Second)
		waitBeat(t, rc, nodeB.engine, t0.Add(time.Duration(i)*10*time.Second))
	}
	// Node B's server announces the leave its dead peer could not.
	if f := b.expect("presence_update", "public"); f["payload"].(map[string]any)["action"] != "leave" ||
		f["payload"].(map[string]any)["presence"].(map[string]any)["socketId"] != a.socketID {
		t.Fatalf("b got %v, want a's leave", f)
	}
	c := nodeB.dial(t, "user-3")
	c.join("public", true)
	if got, want := presenceIDs(c.expect("presence_full", "public")), sorted(b.socketID, c.socketID); !slices.Equal(got, want) {
		t.Fatalf("after node A died, presence lists %v, want b and c %v", got, want)
	}
}
