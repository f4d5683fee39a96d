//go:build integration

package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

// wsClient speaks the current realtime (/ws/) for the fault tests: it keeps every frame it
// reads.
type wsClient struct {
	t      *testing.T
	name   string
	conn   net.Conn
	mu     sync.Mutex
	frames []map[string]any
	err    error
}

func dialWS(t *testing.T, name, url, token string) *wsClient {
	t.Helper()
	d := ws.Dialer{Timeout: 5 * time.Second}
	if token != "" {
		d.Protocols = []string{token}
	}
	conn, br, _, err := d.Dial(context.Background(), url)
	if err != nil {
		t.Fatalf("%s: dial %s: %v", name, url, err)
	}
	c := &wsClient{t: t, name: name, conn: conn}
	var r io.Reader = conn
	if br != nil {
		r = io.MultiReader(br, conn)
	}
	go func() {
		for {
			data, err := wsutil.ReadServerText(struct {
				io.Reader
				io.Writer
			}{r, conn})
			c.mu.Lock()
			if err != nil {
				c.err = err
				c.mu.Unlock()
				return
			}
			var f map[string]any
			if json.Unmarshal(data, &f) == nil {
				c.frames = append(c.frames, f)
			}
			c.mu.Unlock()
		}
	}()
	t.Cleanup(func() { conn.Close() })
	return c
}

func (c *wsClient) send(v any) {
	c.t.Helper()
	b, _ := json.Marshal(v)
	if err := wsutil.WriteClientText(c.conn, b); err != nil {
		c.t.Fatalf("%s: send: %v", c.name, err)
	}
}

// wait polls until a frame after the first `from` satisfies match, and returns it with its
// index.
func (c *wsClient) wait(what string, from int, match func(f map[string]any) bool) (map[string]any, int) {
	c.t.Helper()
	var got map[string]any
	at := -1
	eventually(c.t, c.name+": "+what, func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		for i := from; i < len(c.frames); i++ {
			if match(c.frames[i]) {
				got, at = c.frames[i], i
				return true
			}
		}
		return false
	})
	return got, at
}

func action(a string) func(map[string]any) bool {
	return func(f map[string]any) bool { return f["action"] == a }
}

// guestToken signs a guest in on the chat example and returns its token.
func guestToken(t *testing.T, base, name string) string {
	t.Helper()
	resp, err := http.Post(base+"/api:chat/auth/guest", "application/json", strings.NewReader(`{"name":"`+name+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		AuthToken string `json:"authToken"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.AuthToken == "" {
		t.Fatalf("guest sign-in: %d %v", resp.StatusCode, err)
	}
	return out.AuthToken
}

// TestFaultNodeKilledPresenceLeave: a node holding a member of a presence channel of the
// current realtime is killed with SIGKILL, so it announces nothing. The other node's sweep
// finds the member's presence expired (rt_presence_expiry) and announces its leave: the
// member on the surviving node gets presence_leave for it, and a later joiner's
// presence_full no longer lists it.
func TestFaultNodeKilledPresenceLeave(t *testing.T) {
	dir := faultWorkspace(t)
	db := freshSchema(t)
	redis := startPrivateRedis(t)
	a := startNodeProcess(t, dir, t.TempDir(), "--db", db, "--engine", redis.url(), "--rt-presence-expiry", "3s")
	b := startServer(t, dir, t.TempDir(), "--db", db, "--engine", redis.url(), "--rt-presence-expiry", "3s")
	wsURL := func(base string) string { return "ws" + strings.TrimPrefix(base, "http") + "/ws/chatv2" }
	const room = "rooms/deadnode"

	watcher := dialWS(t, "watcher on node B", wsURL(b.base), "")
	watcher.send(map[string]any{"action": "join", "channel": room})
	watcher.wait("presence_full", 0, action("presence_full"))

	ann := dialWS(t, "Ann on node A", wsURL(a.base), guestToken(t, b.base, "Ann"))
	ann.send(map[string]any{"action": "join", "channel": room})
	ann.wait("presence_full", 0, action("presence_full"))
	join, at := watcher.wait("presence_join of Ann", 0, action("presence_join"))
	member, _ := join["payload"].(map[string]any)["member"].(map[string]any)
	annID := member["id"]
	if member["authenticated"] != true || annID == "0" {
		t.Fatalf("presence_join %v, want Ann authenticated", join)
	}

	killed := time.Now()
	a.kill()
	leave, _ := watcher.wait("presence_leave of Ann after node A died", at+1, func(f map[string]any) bool {
		if f["action"] != "presence_leave" {
			return false
		}
		m, _ := f["payload"].(map[string]any)["member"].(map[string]any)
		return m["id"] == annID && m["authenticated"] == true
	})
	t.Logf("presence_leave %v, %v after the kill", leave, time.Since(killed).Round(100*time.Millisecond))
	if d := time.Since(killed); d > 15*time.Second {
		t.Errorf("the leave took %v; rt_presence_expiry is 3s", d)
	}

	late := dialWS(t, "late joiner on node B", wsURL(b.base), "")
	late.send(map[string]any{"action": "join", "channel": room})
	full, _ := late.wait("presence_full", 0, action("presence_full"))
	for _, m := range full["payload"].(map[string]any)["members"].([]any) {
		if m.(map[string]any)["id"] == annID {
			t.Errorf("presence_full after the leave still lists Ann: %v", full)
		}
	}
}
