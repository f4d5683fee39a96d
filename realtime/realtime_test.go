package realtime

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/gobwas/ws"
)

func TestUnknownCanonical(t *testing.T) {
	e := newEnv(t)
	resp, body := httpGet(t, e.hs.URL+"/rt/other", nil)
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("status %d, want 404", resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("content type %q", ct)
	}
	assertJSON(t, body, `{"code":"ERROR_CODE_NOT_FOUND","message":"Unable to locate request.","payload":""}`)

	if _, err := dialURL(strings.Replace(e.url, canonical, "other", 1), ""); err == nil {
		t.Fatalf("a WebSocket to an unknown canonical was accepted")
	}
	resp, body = httpGet(t, e.hs.URL+"/rt/"+canonical, nil)
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("plain GET: status %d, want 400", resp.StatusCode)
	}
	assertJSON(t, body, `{"code":"ERROR_CODE_INPUT_ERROR","message":"This address takes WebSocket connections only.","payload":""}`)
}

func TestJoinReply(t *testing.T) {
	e := newEnv(t)
	anon := e.dial("")
	if anon.proto != "" {
		t.Fatalf("anonymous client got subprotocol %q", anon.proto)
	}
	f := anon.join("public", nil)
	assertJSON(t, f.raw, fmt.Sprintf(`{"action":"join","client":%s,"options":{"channel":"public"},"payload":null}`, clientObj(anon.socketID, 0)))
	if len(anon.socketID) < 16 {
		t.Fatalf("socketId %q is too short to hold 96 random bits", anon.socketID)
	}

	user := e.dial("user-7")
	if user.proto != "user-7" {
		t.Fatalf("subprotocol echoed %q, want the token", user.proto)
	}
	f = user.join("public", nil)
	assertJSON(t, f.raw, fmt.Sprintf(`{"action":"join","client":%s,"options":{"channel":"public"},"payload":null}`, clientObj(user.socketID, 7)))
	if user.socketID == anon.socketID {
		t.Fatalf("two connections share socketId %q", user.socketID)
	}

	// A channel that keeps history answers with its epoch and newest offset.
	f = user.join("history", nil)
	assertJSON(t, f.raw, fmt.Sprintf(`{"action":"join","client":%s,"options":{"channel":"history"},"payload":{"epoch":"","offset":0}}`, clientObj(user.socketID, 7)))
}

func TestJoinRules(t *testing.T) {
	e := newEnv(t)
	anon := e.dial("")
	user := e.dial("user-3")
	for _, tc := range []struct {
		name    string
		c       *client
		channel string
		code    string // "" = joins
	}{
		{"exact rule", anon, "public", ""},
		{"no rule", anon, "nowhere", codeChannelNotFound},
		{"inactive rule", anon, "inactive", codeChannelNotFound},
		{"anonymous refused", anon, "auth_only", codeUnauthorized},
		{"authenticated always", user, "auth_only", ""},
		{"prefix rule", anon, "room/42", ""},
		{"prefix rule, nested", anon, "room/a/b", ""},
		{"prefix needs one more character", anon, "room/", codeChannelNotFound},
		{"prefix without slash", anon, "room", codeChannelNotFound},
		{"exact wins over prefix", anon, "room/vip", codeUnauthorized},
		{"exact wins, authenticated", user, "room/vip", ""},
		{"longest prefix", anon, "live/1", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.c.t = t
			if tc.code == "" {
				tc.c.join(tc.channel, nil)
				return
			}
			tc.c.send(actJoin, map[string]any{"channel": tc.channel}, map[string]any{"history": false, "presence": false})
			tc.c.expectError(tc.code, tc.channel)
		})
	}
	anon.t, user.t = t, t
	anon.quiet()
	user.quiet()
}

func TestBadFrames(t *testing.T) {
	e := newEnv(t)
	c := e.dial("")
	c.join("public", nil)
	long := strings.Repeat("x", 257)
	for _, tc := range []struct {
		name, frame, code, channel string
	}{
		{"not JSON", `hello`, codeBadFrame, ""},
		{"truncated JSON", `{"action":"join"`, codeBadFrame, ""},
		{"array", `["join"]`, codeBadFrame, ""},
		{"null", `null`, codeBadFrame, ""},
		{"no action", `{"options":{"channel":"public"}}`, codeBadFrame, ""},
		{"action not a string", `{"action":1,"options":{"channel":"public"}}`, codeBadFrame, ""},
		{"unknown action", `{"action":"dance","options":{"channel":"public"},"payload":null}`, codeUnknownAction, ""},
		{"server action sent by client", `{"action":"presence_full","options":{"channel":"public"}}`, codeUnknownAction, ""},
		{"no options", `{"action":"join","payload":null}`, codeBadFrame, ""},
		{"options not an object", `{"action":"join","options":"public"}`, codeBadFrame, ""},
		{"no channel", `{"action":"message","options":{},"payload":1}`, codeBadFrame, ""},
		{"channel not a string", `{"action":"message","options":{"channel":7},"payload":1}`, codeBadFrame, ""},
		{"empty channel", `{"action":"join","options":{"channel":""}}`, codeBadFrame, ""},
		{"channel with control character", `{"action":"join","options":{"channel":"a\nb"}}`, codeBadFrame, ""},
		{"channel too long", `{"action":"join","options":{"channel":"` + long + `"}}`, codeBadFrame, ""},
		{"join payload not an object", `{"action":"join","options":{"channel":"public"},"payload":"yes"}`, codeBadFrame, "public"},
		{"history not a bool", `{"action":"join","options":{"channel":"public"},"payload":{"history":"yes"}}`, codeBadFrame, "public"},
		{"since without epoch", `{"action":"join","options":{"channel":"history"},"payload":{"since":3}}`, codeBadFrame, "history"},
		{"since negative", `{"action":"join","options":{"channel":"history"},"payload":{"since":-1,"epoch":"x"}}`, codeBadFrame, "history"},
		{"since not an integer", `{"action":"join","options":{"channel":"history"},"payload":{"since":1.5,"epoch":"x"}}`, codeBadFrame, "history"},
		{"authenticated not a bool", `{"action":"message","options":{"channel":"public","authenticated":"yes"},"payload":1}`, codeBadFrame, "public"},
		{"socketId not a string", `{"action":"message","options":{"channel":"public","socketId":5},"payload":1}`, codeBadFrame, "public"},
		{"message not joined", `{"action":"message","options":{"channel":"nopresence"},"payload":1}`, codeNotJoined, "nopresence"},
		{"history not joined", `{"action":"history","options":{"channel":"nopresence"},"payload":null}`, codeNotJoined, "nopresence"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c.t = t
			c.sendRaw(tc.frame)
			c.expectError(tc.code, tc.channel)
		})
	}
	c.t = t
	// Binary frames are refused too; the connection stays open. (Text that is not UTF-8
	// closes it with 1007: TestTextMustBeUTF8.)
	if err := c.write(0x2, []byte(`{"action":"join"}`)); err != nil {
		t.Fatal(err)
	}
	c.expectError(codeBadFrame, "")
	// Unknown members and option keys are ignored (the SDK's history sends socketId).
	c.sendRaw(`{"action":"history","options":{"channel":"public","socketId":"x","extra":1},"payload":null,"more":true}`)
	assertJSON(t, c.expect(actHistory, "public").raw, `{"action":"history","options":{"channel":"public"},"payload":{"history":[]}}`)
	c.quiet()
}

func TestBroadcast(t *testing.T) {
	e := newEnv(t)
	a, b := e.dial("user-1"), e.dial("")
	a.join("public", nil)
	b.join("public", nil)
	a.send(actMessage, map[string]any{"channel": "public"}, map[string]any{"text": "hi", "n": 1})
	want := fmt.Sprintf(`{"action":"message","client":%s,"options":{"channel":"public"},"payload":{"text":"hi","n":1}}`, clientObj(a.socketID, 1))
	assertJSON(t, a.expect(actMessage, "public").raw, want) // the sender gets its own broadcast
	assertJSON(t, b.expect(actMessage, "public").raw, want)

	// Any JSON payload travels as sent.
	b.send(actMessage, map[string]any{"channel": "public"}, "just text")
	want = fmt.Sprintf(`{"action":"message","client":%s,"options":{"channel":"public"},"payload":"just text"}`, clientObj(b.socketID, 0))
	assertJSON(t, a.expect(actMessage, "public").raw, want)
	assertJSON(t, b.expect(actMessage, "public").raw, want)

	// Members of other channels get nothing.
	c := e.dial("")
	c.join("nopresence", nil)
	a.send(actMessage, map[string]any{"channel": "public"}, 1)
	a.expect(actMessage, "public")
	b.expect(actMessage, "public")
	a.barrier()
	c.quiet()
}

func TestBroadcastPermissions(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name    string
		token   string
		channel string
		code    string
	}{
		{"messaging off", "", "readonly", codeForbidden},
		{"messaging off, authenticated", "user-2", "readonly", codeForbidden},
		{"auth messaging, anonymous", "", "pubauth", codeForbidden},
		{"auth messaging, authenticated", "user-2", "pubauth", ""},
		{"open messaging, anonymous", "", "public", ""},
		{"not joined", "", "", codeNotJoined},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.t = t
			c := e.dial(tc.token)
			channel := tc.channel
			if channel == "" {
				channel = "public"
			} else {
				c.join(channel, nil)
			}
			c.send(actMessage, map[string]any{"channel": channel}, "x")
			if tc.code != "" {
				c.expectError(tc.code, channel)
				return
			}
			c.expect(actMessage, channel)
		})
	}
}

func TestAuthenticatedFlag(t *testing.T) {
	e := newEnv(t)
	user, anon := e.dial("user-1"), e.dial("")
	user.join("public", nil)
	anon.join("public", nil)
	user.send(actMessage, map[string]any{"channel": "public", "authenticated": true}, "secret")
	assertJSON(t, user.expect(actMessage, "public").raw,
		fmt.Sprintf(`{"action":"message","client":%s,"options":{"channel":"public","authenticated":true},"payload":"secret"}`, clientObj(user.socketID, 1)))
	user.barrier()
	anon.quiet()
	// authenticated: false is the same as leaving it out.
	user.send(actMessage, map[string]any{"channel": "public", "authenticated": false}, "open")
	want := fmt.Sprintf(`{"action":"message","client":%s,"options":{"channel":"public"},"payload":"open"}`, clientObj(user.socketID, 1))
	assertJSON(t, anon.expect(actMessage, "public").raw, want)
	assertJSON(t, user.expect(actMessage, "public").raw, want)
}

func TestAuthChannel(t *testing.T) {
	e := newEnv(t)
	user, anon := e.dial("user-1"), e.dial("")
	user.join("authchan", nil)
	anon.join("authchan", nil)
	// From an authenticated sender: authenticated members only.
	user.send(actMessage, map[string]any{"channel": "authchan"}, "for members")
	f := user.expect(actMessage, "authchan")
	if f.m["offset"] != 1.0 {
		t.Fatalf("stored frame without offset 1: %s", f)
	}
	user.barrier()
	anon.quiet()
	// From an anonymous sender: everyone.
	anon.send(actMessage, map[string]any{"channel": "authchan"}, "for all")
	anon.expect(actMessage, "authchan")
	user.expect(actMessage, "authchan")
}

func TestPrivateMessages(t *testing.T) {
	e := newEnv(t)
	a, b, outsider := e.dial(""), e.dial(""), e.dial("")
	a.join("public", nil)
	b.join("public", nil)
	outsider.join("nopresence", nil)

	a.send(actMessage, map[string]any{"channel": "public", "socketId": b.socketID}, map[string]any{"psst": true})
	assertJSON(t, b.expect(actMessage, "public").raw,
		fmt.Sprintf(`{"action":"message","client":%s,"options":{"channel":"public","socketId":%q},"payload":{"psst":true}}`, clientObj(a.socketID, 0), b.socketID))
	a.quiet() // the sender gets no copy

	a.send(actMessage, map[string]any{"channel": "public", "socketId": "nobody"}, 1)
	a.expectError(codeRecipientNotFound, "public")
	a.send(actMessage, map[string]any{"channel": "public", "socketId": outsider.socketID}, 1)
	a.expectError(codeRecipientNotFound, "public")

	// Private messaging off.
	a.join("nopresence", nil)
	a.send(actMessage, map[string]any{"channel": "nopresence", "socketId": outsider.socketID}, 1)
	a.expectError(codeForbidden, "nopresence")

	// With private_messaging.auth, both ends must be authenticated.
	u1, u2, anon := e.dial("user-1"), e.dial("user-2"), e.dial("")
	for _, c := range []*client{u1, u2, anon} {
		c.join("pubauth", nil)
	}
	anon.send(actMessage, map[string]any{"channel": "pubauth", "socketId": u1.socketID}, 1)
	anon.expectError(codeForbidden, "pubauth")
	u1.send(actMessage, map[string]any{"channel": "pubauth", "socketId": anon.socketID}, 1)
	u1.expectError(codeForbidden, "pubauth")
	u1.send(actMessage, map[string]any{"channel": "pubauth", "socketId": u2.socketID}, "hello 2")
	f := u2.expect(actMessage, "pubauth")
	if f.payload() != "hello 2" || f.options()["socketId"] != u2.socketID {
		t.Fatalf("private message %s", f)
	}
	anon.quiet()
}

func TestPresence(t *testing.T) {
	e := newEnv(t)
	a, b, c, d := e.dial("user-1"), e.dial(""), e.dial(""), e.dial("")
	withPresence := map[string]any{"history": false, "presence": true}

	a.join("public", withPresence)
	assertJSON(t, a.expect(actPresenceFull, "public").raw,
		fmt.Sprintf(`{"action":"presence_full","options":{"channel":"public"},"payload":{"presence":[%s]}}`, clientObj(a.socketID, 1)))

	b.join("public", withPresence)
	f := b.expect(actPresenceFull, "public")
	list, _ := f.payloadMap()["presence"].([]any)
	var ids []string
	for _, m := range list {
		ids = append(ids, m.(map[string]any)["socketId"].(string))
	}
	slices.Sort(ids)
	want := []string{a.socketID, b.socketID}
	slices.Sort(want)
	if !slices.Equal(ids, want) {
		t.Fatalf("presence_full lists %v, want %v", ids, want)
	}
	assertJSON(t, a.expect(actPresenceUpdate, "public").raw,
		fmt.Sprintf(`{"action":"presence_update","options":{"channel":"public"},"payload":{"action":"join","presence":%s}}`, clientObj(b.socketID, 0)))
	b.quiet() // the joiner is not told of its own join

	// A member without presence is still announced to those with it, and told nothing.
	c.join("public", nil)
	a.expect(actPresenceUpdate, "public")
	b.expect(actPresenceUpdate, "public")

	// A repeated join answers the same way and announces nothing.
	b.join("public", withPresence)
	b.expect(actPresenceFull, "public")
	b.quiet()
	a.quiet()

	// Leave is announced to presence members, not to c.
	b.send(actLeave, map[string]any{"channel": "public"}, nil)
	assertJSON(t, b.expect(actLeave, "public").raw, `{"action":"leave","options":{"channel":"public"},"payload":null}`)
	assertJSON(t, a.expect(actPresenceUpdate, "public").raw,
		fmt.Sprintf(`{"action":"presence_update","options":{"channel":"public"},"payload":{"action":"leave","presence":%s}}`, clientObj(b.socketID, 0)))
	c.quiet()

	// A disconnect is a leave.
	d.join("public", withPresence)
	d.expect(actPresenceFull, "public")
	a.expect(actPresenceUpdate, "public")
	a.nc.Close()
	f = d.expect(actPresenceUpdate, "public")
	if f.payloadMap()["action"] != "leave" || f.payloadMap()["presence"].(map[string]any)["socketId"] != a.socketID {
		t.Fatalf("after a's disconnect: %s", f)
	}

	// A rule without presence: the join succeeds, no presence frames.
	d.join("nopresence", withPresence)
	d.quiet()
}

func TestRepeatedJoinKeepsOneMembership(t *testing.T) {
	e := newEnv(t)
	a, b := e.dial(""), e.dial("")
	a.join("public", nil)
	a.join("public", nil)
	a.join("public", nil)
	b.join("public", nil)
	b.send(actMessage, map[string]any{"channel": "public"}, "once")
	a.expect(actMessage, "public")
	a.quiet() // one membership: one copy
	a.send(actLeave, map[string]any{"channel": "public"}, nil)
	a.expect(actLeave, "public")
	b.send(actMessage, map[string]any{"channel": "public"}, "gone")
	b.expect(actMessage, "public")
	b.barrier()
	a.quiet()
}

func TestBadToken(t *testing.T) {
	e := newEnv(t)
	c := e.dial("forged.token")
	if c.proto != "forged.token" {
		t.Fatalf("subprotocol %q not echoed", c.proto)
	}
	assertJSON(t, c.next().raw, `{"action":"error","options":{},"payload":{"code":"unauthorized","message":"The auth token is invalid or has expired."}}`)
	if code, _ := c.waitClose(); code != 4401 {
		t.Fatalf("closed with %d, want 4401", code)
	}

	// Without a Tokens, every token is refused; no token is still anonymous.
	e2 := newEnv(t, func(c *envConfig) { c.server.Tokens = nil })
	c = e2.dial("user-1")
	c.expectError(codeUnauthorized, "")
	if code, _ := c.waitClose(); code != 4401 {
		t.Fatalf("closed with %d, want 4401", code)
	}
	e2.dial("").join("public", nil)
}

func TestCrossNode(t *testing.T) {
	net := memoryNetwork()
	store := openStore(t)
	n1 := newEnv(t, withEngine(net.Node()), withStore(store))
	n2 := newEnv(t, withEngine(net.Node()), withStore(store))
	a, b := n1.dial("user-1"), n2.dial("user-2")
	withPresence := map[string]any{"history": false, "presence": true}
	a.join("public", withPresence)
	a.expect(actPresenceFull, "public")
	b.join("public", withPresence)
	if list := b.expect(actPresenceFull, "public").payloadMap()["presence"].([]any); len(list) != 2 {
		t.Fatalf("presence across nodes lists %d members, want 2", len(list))
	}
	a.expect(actPresenceUpdate, "public")

	b.send(actMessage, map[string]any{"channel": "public"}, "from node 2")
	if f := a.expect(actMessage, "public"); f.payload() != "from node 2" {
		t.Fatalf("got %s", f)
	}
	b.expect(actMessage, "public")
	// Private message to a member of the other node.
	a.send(actMessage, map[string]any{"channel": "public", "socketId": b.socketID}, "direct")
	if f := b.expect(actMessage, "public"); f.payload() != "direct" {
		t.Fatalf("got %s", f)
	}
	// History is shared: stored on node 1, read on node 2.
	a.join("history", nil)
	b.join("history", nil)
	a.send(actMessage, map[string]any{"channel": "history"}, "kept")
	a.expect(actMessage, "history")
	b.expect(actMessage, "history")
	b.send(actHistory, map[string]any{"channel": "history"}, nil)
	if h := b.expect(actHistory, "history").payloadMap()["history"].([]any); len(h) != 1 {
		t.Fatalf("history on node 2 has %d frames, want 1", len(h))
	}
	// A disconnect on node 2 is a leave on node 1.
	b.nc.Close()
	if f := a.expect(actPresenceUpdate, "public"); f.payloadMap()["action"] != "leave" {
		t.Fatalf("got %s", f)
	}
}

// TestTLS runs a burst over TLS, where writes are coalesced by copying (no writev).
func TestTLS(t *testing.T) {
	e := newEnv(t)
	hs := httptest.NewTLSServer(e.srv)
	t.Cleanup(hs.Close)
	url := "wss" + strings.TrimPrefix(hs.URL, "https") + "/rt/" + canonical
	d := ws.Dialer{TLSConfig: &tls.Config{InsecureSkipVerify: true}, Protocols: []string{"user-3"}}
	nc, br, _, err := d.Dial(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	c := &client{t: t, nc: nc, r: nc, frames: make(chan frame, 1<<12), closed: make(chan struct{})}
	if br != nil {
		c.r = io.MultiReader(br, nc)
	}
	t.Cleanup(func() { nc.Close() })
	go c.readLoop(true)
	c.join("public", nil)
	for i := range 150 {
		c.send(actMessage, map[string]any{"channel": "public"}, i)
	}
	for i := range 150 {
		if f := c.expect(actMessage, "public"); f.payload() != float64(i) {
			t.Fatalf("got %s, want payload %d", f, i)
		}
	}
}

// TestReadBursts: frames that arrive together (one client write) are read and answered in
// order, whatever their sizes, fragments and control frames among them, and so are frames
// cut anywhere between two writes.
func TestReadBursts(t *testing.T) {
	e := newEnv(t)
	c := e.dial("")
	var burst bytes.Buffer
	put := func(op ws.OpCode, fin bool, p string) {
		if err := ws.WriteFrame(&burst, ws.MaskFrameInPlace(ws.NewFrame(op, fin, []byte(p)))); err != nil {
			t.Fatal(err)
		}
	}
	msg := func(payload string) string {
		b, err := json.Marshal(map[string]any{"action": "message", "options": map[string]any{"channel": "public"}, "payload": payload})
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	payloads := []string{"a", strings.Repeat("b", 5000), strings.Repeat("c", 100), "fragmented"}
	put(ws.OpText, true, `{"action":"join","options":{"channel":"public"},"payload":null}`)
	put(ws.OpText, true, msg(payloads[0]))
	put(ws.OpPong, true, "")
	put(ws.OpText, true, msg(payloads[1]))
	put(ws.OpText, true, msg(payloads[2]))
	frag := msg(payloads[3])
	put(ws.OpText, false, frag[:10])
	put(ws.OpContinuation, true, frag[10:])
	wire := burst.Bytes()
	check := func(c *client) {
		t.Helper()
		c.expect(actJoin, "public")
		for _, want := range payloads {
			if f := c.expect(actMessage, "public"); f.payload() != want {
				t.Fatalf("got payload of %d bytes, want %d", len(f.payload().(string)), len(want))
			}
		}
	}
	if _, err := c.nc.Write(wire); err != nil {
		t.Fatal(err)
	}
	check(c)
	for _, cut := range []int{1, 2, 7, len(wire) / 2, len(wire) - 1} {
		c := e.dial("")
		if _, err := c.nc.Write(wire[:cut]); err != nil {
			t.Fatal(err)
		}
		if _, err := c.nc.Write(wire[cut:]); err != nil {
			t.Fatal(err)
		}
		check(c)
	}
}

// TestStats: the counts behind relaybase_realtime_connections and _members.
func TestStats(t *testing.T) {
	e := newEnv(t)
	want := func(conns, members int64) {
		t.Helper()
		eventually(t, fmt.Sprintf("%d connections, %d members", conns, members), func() bool {
			return e.srv.Stats() == Stats{Connections: conns, Members: members}
		})
	}
	want(0, 0)
	a, b := e.dial(""), e.dial("")
	want(2, 0)
	a.join("public", nil)
	a.join("room/1", nil)
	a.join("public", nil) // a repeated join is one membership
	b.join("public", nil)
	want(2, 3)
	a.send(actLeave, map[string]any{"channel": "room/1"}, nil)
	a.expect(actLeave, "room/1")
	want(2, 2)
	b.nc.Close()
	want(1, 1)
	a.nc.Close()
	want(0, 0)
}
