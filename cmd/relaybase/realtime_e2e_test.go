package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

// rtClient is a minimal realtime client: JSON frames over a real WebSocket.
type rtClient struct {
	t    *testing.T
	conn net.Conn
	r    io.Reader // the dialer's buffered reader when it holds bytes already, else conn
}

func dialRealtime(t *testing.T, url, token string) *rtClient {
	t.Helper()
	d := ws.Dialer{Timeout: 5 * time.Second}
	if token != "" {
		d.Protocols = []string{token}
	}
	conn, br, _, err := d.Dial(context.Background(), url)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	t.Cleanup(func() { conn.Close() })
	c := &rtClient{t: t, conn: conn, r: conn}
	if br != nil {
		// Frames sent right after the handshake may already sit in the dialer's buffer.
		c.r = io.MultiReader(br, conn)
	}
	return c
}

func (c *rtClient) send(frame map[string]any) {
	c.t.Helper()
	data, _ := json.Marshal(frame)
	if err := wsutil.WriteClientText(c.conn, data); err != nil {
		c.t.Fatalf("send: %v", err)
	}
}

// next reads frames until one has the given action, failing after a deadline.
func (c *rtClient) next(action string) map[string]any {
	c.t.Helper()
	_ = c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		data, op, err := wsutil.ReadServerData(struct {
			io.Reader
			io.Writer
		}{c.r, c.conn})
		if err != nil {
			c.t.Fatalf("waiting for %q: %v", action, err)
		}
		if op != ws.OpText {
			continue
		}
		var f map[string]any
		if err := json.Unmarshal(data, &f); err != nil {
			c.t.Fatalf("frame is not JSON: %s", data)
		}
		if f["action"] == action {
			return f
		}
	}
}

// TestEndpointEventReachesMembers walks the product's main path: a member joins the chat
// room over WebSocket, a post to the endpoint stores a row and fires an event, and the
// member receives that event with the stored row, after the commit.
func TestEndpointEventReachesMembers(t *testing.T) {
	s := startServer(t, "../../examples/chat", t.TempDir())

	guest := s.do("POST", "/api:chat/auth/guest", map[string]any{"name": "Wanda"})
	wantStatus(t, guest, http.StatusOK, "")
	token := field(guest.json, "authToken").(string)

	member := dialRealtime(t, s.ws, token)
	member.send(map[string]any{"action": "join", "options": map[string]any{"channel": "marvel_chat_room"}, "payload": map[string]any{"presence": true, "history": false}})
	joined := member.next("join")
	if field(joined, "client", "extras", "name") != "Wanda" {
		t.Fatalf("join reply's client lacks the token's extras: %v", joined)
	}
	presence := member.next("presence_full")
	if n := len(field(presence, "payload", "presence").([]any)); n != 1 {
		t.Fatalf("presence_full lists %d members, want 1 (the joiner)", n)
	}

	anon := dialRealtime(t, s.ws, "")
	anon.send(map[string]any{"action": "join", "options": map[string]any{"channel": "marvel_chat_room"}, "payload": map[string]any{}})
	anon.next("join")

	post := s.do("POST", "/api:chat/messages", map[string]any{"channel": "marvel_chat_room", "text": "hello, world", "author": "Wanda"})
	wantStatus(t, post, http.StatusOK, "")
	for _, c := range []*rtClient{member, anon} {
		ev := c.next("event")
		if field(ev, "options", "channel") != "marvel_chat_room" || field(ev, "payload", "text") != "hello, world" ||
			field(ev, "payload", "id") != field(post.json, "id") {
			t.Fatalf("event = %v, want the stored row %s", ev, post.body)
		}
		if off, _ := ev["offset"].(float64); off < 1 {
			t.Fatalf("event on a channel with history has no offset: %v", ev)
		}
	}

	// Clients may not broadcast in this room: messages go through the endpoint.
	member.send(map[string]any{"action": "message", "options": map[string]any{"channel": "marvel_chat_room"}, "payload": "direct"})
	if e := member.next("error"); field(e, "payload", "code") != "forbidden" {
		t.Fatalf("broadcast answered %v, want forbidden", e)
	}

	// A bad token is refused, never downgraded to anonymous.
	bad := dialRealtime(t, s.ws, "not-a-token")
	if e := bad.next("error"); field(e, "payload", "code") != "unauthorized" {
		t.Fatalf("bad token answered %v", e)
	}
}

// closeCode reads frames until the server's close frame and returns its status code
// (read raw: 1012 to 1014 are IANA codes that wsutil refuses as outside RFC 6455).
func (c *rtClient) closeCode() int {
	c.t.Helper()
	_ = c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		h, err := ws.ReadHeader(c.r)
		if err != nil {
			c.t.Fatalf("waiting for a close frame: %v", err)
		}
		payload := make([]byte, h.Length)
		if _, err := io.ReadFull(c.r, payload); err != nil {
			c.t.Fatalf("reading a frame: %v", err)
		}
		if h.OpCode == ws.OpClose {
			_ = wsutil.WriteClientMessage(c.conn, ws.OpClose, payload) // complete the handshake
			if len(payload) < 2 {
				return 1005
			}
			return int(payload[0])<<8 | int(payload[1])
		}
	}
}

// TestRealtimeTriggersGate: a realtime_trigger refuses a join by answering false and drops
// a message by a failed precondition, whose message reaches the client.
func TestRealtimeTriggersGate(t *testing.T) {
	s := startServer(t, "testdata/e2e", t.TempDir())
	c := dialRealtime(t, s.ws, "")
	c.send(map[string]any{"action": "join", "options": map[string]any{"channel": "locked/no"}, "payload": map[string]any{}})
	if e := c.next("error"); field(e, "payload", "code") != "forbidden" || field(e, "options", "channel") != "locked/no" {
		t.Fatalf("join of locked/no answered %v", e)
	}
	c.send(map[string]any{"action": "join", "options": map[string]any{"channel": "locked/yes"}, "payload": map[string]any{}})
	c.next("join")
	c.send(map[string]any{"action": "message", "options": map[string]any{"channel": "locked/yes"}, "payload": "shout"})
	if e := c.next("error"); field(e, "payload", "code") != "forbidden" || field(e, "payload", "message") != "No shouting here." {
		t.Fatalf("a refused message answered %v", e)
	}
	c.send(map[string]any{"action": "message", "options": map[string]any{"channel": "locked/yes"}, "payload": "hello"})
	if m := c.next("message"); m["payload"] != "hello" {
		t.Fatalf("an allowed message came back as %v", m)
	}
}
