package servers_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"

	"relaybase/engine/memory"
)

func TestHandshake(t *testing.T) {
	n := newNode(t, "", memory.New())
	for _, c := range []struct {
		name, path string
		status     int
	}{
		{"unknown canonical", "/ws/nope", 404},
		{"inactive server", "/ws/offrt01", 404},
		{"another tenant", "/ws/other:chatrt01", 404},
		{"the legacy canonical", "/ws/legacy01", 404},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, err := http.Get(n.hs.URL + c.path)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != c.status || !strings.Contains(string(body), `"code":"ERROR_CODE_NOT_FOUND"`) {
				t.Errorf("%d %s", res.StatusCode, body)
			}
		})
	}
	t.Run("the workspace's tenant", func(t *testing.T) {
		c := n.dial("/ws/shop:chatrt01", "")
		c.join("lobby")
	})
	t.Run("anonymous, ping", func(t *testing.T) {
		c := n.dial("/ws/chatrt01", "")
		c.send(map[string]any{"action": "ping"})
		if f := c.next(); f.String() != `{"action":"pong"}` {
			t.Errorf("got %s", f)
		}
	})
	for _, c := range []struct {
		name, path, token, code string
	}{
		{"bad token", "/ws/chatrt01", "not-a-token", "unauthorized"},
		{"anonymous on a server no channel admits them to", "/ws/membersrt01", "", "unauthorized"},
		{"a connect trigger refuses", "/ws/chatrt01", n.token(66), "forbidden"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cl := n.dial(c.path, c.token)
			f := cl.expectError(c.code)
			if c.code == "forbidden" && f.str("payload.message") != "user 66 is banned" {
				t.Errorf("reason: %s", f)
			}
			if code := cl.closed(); code != 4401 {
				t.Errorf("closed with %d, want 4401", code)
			}
		})
	}
	t.Run("token as subprotocol, echoed", func(t *testing.T) {
		tok := n.token(5)
		d := ws.Dialer{Protocols: []string{tok}}
		conn, _, hs, err := d.Dial(t.Context(), "ws"+strings.TrimPrefix(n.hs.URL, "http")+"/ws/membersrt01")
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if hs.Protocol != tok {
			t.Errorf("subprotocol %q not echoed", hs.Protocol)
		}
	})
}

func TestJoin(t *testing.T) {
	n := newNode(t, "", memory.New())
	anon := n.dial("/ws/chatrt01", "")
	user := n.dial("/ws/chatrt01", n.token(1))

	f := anon.join("lobby")
	if f.String() != `{"action":"join","channel":"lobby","payload":{"joined":true,"params":{}}}` {
		t.Errorf("join ack %s", f)
	}
	anon.expect("presence_full")
	anon.expect("conversation_start")
	anon.expect("conversation_end")

	f = anon.join("rooms/42", map[string]any{"client_id": "tab-1"})
	want := `{"action":"join","channel":"rooms/42","payload":{"cursor":"0","joined":true,"params":{"room_id":"42"},"resumed":false}}`
	if f.String() != want {
		t.Errorf("join ack %s\nwant      %s", f, want)
	}
	anon.expect("presence_full")
	// A literal segment beats a parameter: rooms/lobby is its own channel (publish.who
	// authenticated), not rooms/{room_id}.
	if f := anon.join("rooms/lobby"); f.String() != `{"action":"join","channel":"rooms/lobby","payload":{"joined":true,"params":{}}}` {
		t.Errorf("rooms/lobby ack %s", f)
	}
	anon.send(map[string]any{"action": "broadcast", "channel": "rooms/lobby", "type": "secret"})
	anon.expectError("unauthorized")

	for _, c := range []struct {
		name    string
		cl      *client
		channel string
		code    string
	}{
		{"a parameter of the wrong type", anon, "rooms/abc", "input_error"},
		{"more segments than any channel", anon, "rooms/42/edit", "channel_not_found"},
		{"an empty segment", anon, "rooms//42", "channel_not_found"},
		{"a trailing slash", anon, "lobby/", "channel_not_found"},
		{"case matters", anon, "Lobby", "channel_not_found"},
		{"an inactive channel says the same as none", anon, "old", "channel_not_found"},
		{"anonymous on a channel without access.anonymous", anon, "vip", "unauthorized"},
		{"a join trigger refuses", user, "gated/no", "forbidden"},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.cl.send(map[string]any{"action": "join", "channel": c.channel})
			f := c.cl.expectError(c.code)
			if f.str("channel") != c.channel {
				t.Errorf("error names channel %q", f.str("channel"))
			}
			if c.code == "forbidden" && f.str("payload.message") != "not room no" {
				t.Errorf("reason %s", f)
			}
		})
	}
	user.join("gated/yes")
	// options.channel wins over channel.
	user.send(map[string]any{"action": "join", "channel": "nowhere", "options": map[string]any{"channel": "vip"}})
	if f := user.expect("join"); f.str("channel") != "vip" {
		t.Errorf("joined %s", f)
	}
	// A repeated join is answered again and changes nothing else.
	user.join("vip")
	user.quiet()
	// leave, then frames of the channel are not_joined.
	user.send(map[string]any{"action": "leave", "channel": "vip"})
	if f := user.expect("leave"); f.String() != `{"action":"leave","channel":"vip","payload":{"left":true}}` {
		t.Errorf("leave %s", f)
	}
	user.send(map[string]any{"action": "leave", "channel": "vip"})
	user.expectError("not_joined")
	user.send(map[string]any{"action": "broadcast", "channel": "vip", "type": "dm", "payload": map[string]any{"body": "x"}})
	user.expectError("not_joined")
}

func TestBadFrames(t *testing.T) {
	n := newNode(t, "", memory.New())
	c := n.dial("/ws/chatrt01", "")
	for _, tc := range []struct {
		name, raw, code string
	}{
		{"not JSON", `{"action":`, "bad_frame"},
		{"not an object", `["join"]`, "bad_frame"},
		{"two objects", `{"action":"ping"} {"action":"ping"}`, "bad_frame"},
		{"no action", `{"channel":"lobby"}`, "bad_frame"},
		{"action not a string", `{"action":1}`, "bad_frame"},
		{"unknown action", `{"action":"subscribe","channel":"lobby"}`, "unknown_action"},
		{"no channel", `{"action":"join"}`, "bad_frame"},
		{"channel not a string", `{"action":"join","channel":7}`, "bad_frame"},
		{"bad client_id", `{"action":"join","channel":"lobby","options":{"client_id":""}}`, "bad_frame"},
		{"options.to naming no one", `{"action":"broadcast","channel":"lobby","type":"say","options":{"to":{"dbo_id":1}}}`, "bad_frame"},
		{"an id that is no id", `{"action":"ack","channel":"lobby","id":"x"}`, "bad_frame"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c.sendRaw([]byte(tc.raw))
			c.expectError(tc.code)
		})
	}
	t.Run("binary", func(t *testing.T) {
		if err := wsutil.WriteClientBinary(c.conn, []byte(`{"action":"ping"}`)); err != nil {
			t.Fatal(err)
		}
		c.expectError("bad_frame")
	})
	t.Run("over the soft limit", func(t *testing.T) {
		c.sendRaw([]byte(`{"action":"ping","pad":"` + strings.Repeat("x", 70<<10) + `"}`))
		c.expectError("too_large")
	})
	c.quiet()
}

// A text frame that is not UTF-8 closes the connection with 1007 (RFC 6455 §8.1).
func TestNotUTF8(t *testing.T) {
	n := newNode(t, "", memory.New())
	c := n.dial("/ws/chatrt01", "")
	c.join("lobby")
	c.sendRaw([]byte(`{"action":"broadcast","channel":"lobby","type":"say","payload":"caf` + "\xe9" + `"}`))
	if code := c.closed(); code != 1007 {
		t.Fatalf("closed with %d, want 1007", code)
	}
}

func TestPresence(t *testing.T) {
	n := newNode(t, "", memory.New())
	tab1 := n.dial("/ws/chatrt01", n.token(1))
	tab1.join("lobby")
	full := tab1.expect("presence_full")
	if full.String() != `{"action":"presence_full","channel":"lobby","payload":{"members":[]}}` {
		t.Errorf("first joiner's presence_full %s", full)
	}
	tab1.expect("conversation_start")
	tab1.expect("conversation_end")

	// A second socket of the same user: no presence_join, and its presence_full leaves the
	// user out (it is the receiver).
	tab2 := n.dial("/ws/chatrt01", n.token(1))
	tab2.join("lobby")
	if f := tab2.expect("presence_full"); len(f.get("payload.members").([]any)) != 0 {
		t.Errorf("second tab's presence_full %s", f)
	}
	tab2.expect("conversation_start")
	tab2.expect("conversation_end")
	tab1.quiet()

	anon := n.dial("/ws/chatrt01", "")
	anon.join("lobby")
	f := anon.expect("presence_full")
	ms := f.get("payload.members").([]any)
	if len(ms) != 1 {
		t.Fatalf("anonymous joiner sees %s", f)
	}
	m := ms[0].(map[string]any)
	if m["id"] != "1" || m["authenticated"] != true || m["dbo_id"] != float64(n.userID) ||
		!reflect.DeepEqual(m["extras"], map[string]any{"name": "u1"}) || m["joined_at"].(float64) < 1e9 {
		t.Errorf("member %v", m)
	}
	for _, tab := range []*client{tab1, tab2} {
		f := tab.expect("presence_join")
		want := `{"action":"presence_join","channel":"lobby","payload":{"member":{"authenticated":false,"dbo_id":0,"extras":[],"id":"0","joined_at":` +
			jsonNumber(f.get("payload.member.joined_at")) + `}}}`
		if f.String() != want {
			t.Errorf("presence_join %s\nwant          %s", f, want)
		}
	}
	anon.expect("conversation_start")
	anon.expect("conversation_end")

	// presence on request includes the sender.
	anon.send(map[string]any{"action": "presence", "channel": "lobby"})
	if f := anon.expect("presence_full"); len(f.get("payload.members").([]any)) != 2 {
		t.Errorf("presence on request %s", f)
	}
	anon.send(map[string]any{"action": "presence", "channel": "vip"})
	anon.expectError("not_joined")

	// The user's first tab leaves: nothing; the last one: presence_leave.
	tab1.send(map[string]any{"action": "leave", "channel": "lobby"})
	tab1.expect("leave")
	anon.quiet()
	tab2.conn.Close()
	if f := anon.expect("presence_leave"); f.str("payload.member.id") != "1" {
		t.Errorf("presence_leave %s", f)
	}
}

func jsonNumber(v any) string { b, _ := json.Marshal(v); return string(b) }

func TestBroadcast(t *testing.T) {
	n := newNode(t, "", memory.New())
	a := n.dial("/ws/chatrt01", n.token(1))
	b := n.dial("/ws/chatrt01", "")
	for _, c := range []*client{a, b} {
		c.join("lobby")
		c.expect("presence_full")
		c.expect("conversation_start")
		c.expect("conversation_end")
	}
	a.expect("presence_join")

	a.send(map[string]any{"action": "broadcast", "channel": "lobby", "type": "say", "payload": map[string]any{"body": "  hello "}})
	for _, c := range []*client{a, b} {
		f := c.expect("message")
		if f.str("type") != "say" || f.str("channel") != "lobby" || f.str("payload.body") != "hello" || f.str("payload.who") != "1" ||
			f.get("ts") == nil || f.get("id") != nil || f.str("from.id") != "1" {
			t.Errorf("message %s", f)
		}
	}
	r := a.expect("broadcast")
	if r.String() != `{"action":"broadcast","channel":"lobby","payload":{"delivered":2,"delivered_local":2},"type":"say"}` {
		t.Errorf("receipt %s", r)
	}

	t.Run("null response: dropped", func(t *testing.T) {
		b.send(map[string]any{"action": "broadcast", "channel": "lobby", "type": "say", "payload": map[string]any{"body": "veto"}})
		if r := b.expect("broadcast"); r.get("payload.dropped") != true {
			t.Errorf("receipt %s", r)
		}
		a.quiet()
	})
	t.Run("a crashing handler delivers nothing", func(t *testing.T) {
		b.send(map[string]any{"action": "broadcast", "channel": "lobby", "type": "say", "payload": map[string]any{"body": "crash"}})
		b.expectError("internal")
		a.quiet()
		if !strings.Contains(n.logs.String(), "message handler failed") {
			t.Error("no log line")
		}
	})
	t.Run("a payload its input refuses", func(t *testing.T) {
		b.send(map[string]any{"action": "broadcast", "channel": "lobby", "type": "say", "payload": map[string]any{"body": "   "}})
		f := b.expectError("input_error")
		if f.str("type") != "say" || !strings.Contains(f.str("payload.message"), "body") {
			t.Errorf("error %s", f)
		}
		a.quiet()
	})
	t.Run("refusals", func(t *testing.T) {
		b.send(map[string]any{"action": "broadcast", "channel": "lobby", "payload": 1})
		b.expectError("bad_frame")
		b.send(map[string]any{"action": "broadcast", "channel": "lobby", "type": "nope"})
		b.expectError("unknown_type")
		a.join("vip")
		a.send(map[string]any{"action": "broadcast", "channel": "vip", "type": "dm", "payload": map[string]any{"body": "x"}})
		a.expectError("forbidden") // publish.who nobody
	})
}

func TestDeliverTo(t *testing.T) {
	n := newNode(t, "", memory.New())
	a := n.dial("/ws/chatrt01", "")
	b := n.dial("/ws/chatrt01", "")
	for _, c := range []*client{a, b} {
		c.join("rooms/7")
		c.expect("presence_full")
	}
	a.expect("presence_join")
	a.send(map[string]any{"action": "broadcast", "channel": "rooms/7", "type": "echo", "payload": map[string]any{"body": "me"}})
	f := a.expect("message")
	if f.str("payload.body") != "me" || f.str("payload.channel") != "rooms/7" || f.str("payload.params.room_id") != "7" {
		t.Errorf("echo %s", f)
	}
	if r := a.expect("broadcast"); r.get("payload.delivered_local") != float64(1) {
		t.Errorf("receipt %s", r)
	}
	b.quiet()
	a.send(map[string]any{"action": "broadcast", "channel": "rooms/7", "type": "shout", "payload": map[string]any{"body": "you"}})
	if f := b.expect("message"); f.str("payload.body") != "you" {
		t.Errorf("shout %s", f)
	}
	if r := a.expect("broadcast"); r.get("payload.delivered_local") != float64(1) || r.get("payload.delivered") != float64(1) {
		t.Errorf("receipt %s", r)
	}
}

func TestDirectMessages(t *testing.T) {
	n := newNode(t, "", memory.New())
	sender := n.dial("/ws/chatrt01", n.token(1))
	to1 := n.dial("/ws/chatrt01", n.token(2))
	to2 := n.dial("/ws/chatrt01", n.token(2))
	other := n.dial("/ws/chatrt01", n.token(3))
	for _, c := range []*client{sender, to1, to2, other} {
		c.join("vip")
	}
	sender.send(map[string]any{"action": "broadcast", "channel": "vip", "type": "dm", "payload": map[string]any{"body": "psst"},
		"options": map[string]any{"to": map[string]any{"dbo_id": n.userID, "row_id": "2"}}})
	for _, c := range []*client{to1, to2} {
		if f := c.expect("message"); f.str("payload.body") != "psst" || f.str("from.id") != "1" || f.get("id") != nil {
			t.Errorf("direct message %s", f)
		}
	}
	r := sender.expect("broadcast")
	if r.get("payload.direct") != true || r.get("payload.delivered") != float64(2) || r.get("payload.delivered_local") != float64(2) {
		t.Errorf("receipt %s", r)
	}
	other.quiet()

	anon := n.dial("/ws/chatrt01", "")
	anon.join("lobby")
	anon.send(map[string]any{"action": "broadcast", "channel": "lobby", "type": "say", "payload": map[string]any{"body": "x"},
		"options": map[string]any{"to": map[string]any{"dbo_id": n.userID, "row_id": 2}}})
	anon.expect("presence_full")
	anon.expect("conversation_start")
	anon.expect("conversation_end")
	anon.expectError("unauthorized")
	// A direct message is never stored: the conversation of a later joiner is empty.
	late := n.dial("/ws/chatrt01", "")
	late.join("lobby")
	late.expect("presence_full")
	if f := late.expect("conversation_start"); f.get("payload.count") != float64(0) {
		t.Errorf("conversation %s", f)
	}
}

func TestConversation(t *testing.T) {
	n := newNode(t, "", memory.New())
	a := n.dial("/ws/chatrt01", "")
	a.join("lobby")
	a.expect("presence_full")
	a.expect("conversation_start")
	a.expect("conversation_end")
	for _, body := range []string{"one", "two", "three", "four"} {
		a.send(map[string]any{"action": "broadcast", "channel": "lobby", "type": "say", "payload": map[string]any{"body": body}})
		a.expect("message")
		a.expect("broadcast")
	}
	if err := n.publish("lobby", map[string]any{"body": "five"}, false); err != nil {
		t.Fatal(err)
	}
	a.expect("message")

	b := n.dial("/ws/chatrt01", "")
	b.join("lobby")
	b.expect("presence_full")
	if f := b.expect("conversation_start"); f.get("payload.count") != float64(3) {
		t.Fatalf("conversation_start %s", f)
	}
	for _, want := range []string{"three", "four", "five"} {
		f := b.expect("message")
		if f.str("payload.body") != want || f.get("conversation") != true || f.get("ts") == nil {
			t.Errorf("transcript %s, want %s", f, want)
		}
	}
	if f := b.expect("conversation_end"); f.get("payload.count") != float64(3) {
		t.Errorf("conversation_end %s", f)
	}
}

func TestRateLimit(t *testing.T) {
	n := newNode(t, "", memory.New())
	a := n.dial("/ws/chatrt01", "")
	a.join("quiet")
	for range 2 {
		a.send(map[string]any{"action": "broadcast", "channel": "quiet", "type": "tick"})
		a.expect("message")
		a.expect("broadcast")
	}
	a.send(map[string]any{"action": "broadcast", "channel": "quiet", "type": "tick"})
	f := a.expectError("rate_limited")
	if f.get("payload.limit") != float64(2) || f.get("payload.retry_after").(float64) < 1 {
		t.Errorf("rate limit error %s", f)
	}
}

func TestPublish(t *testing.T) {
	n := newNode(t, "", memory.New())
	a := n.dial("/ws/chatrt01", "")
	a.join("rooms/9", map[string]any{"client_id": "c1"})
	a.expect("presence_full")
	a.quiet()
	if err := n.publish("rooms/9", map[string]any{"n": 1}, false); err != nil {
		t.Fatal(err)
	}
	f := a.expect("message")
	if f.str("type") != "news" || f.get("payload.n") != float64(1) || f.str("id") != "1" {
		t.Errorf("published %s", f)
	}
	if err := n.publish("rooms/9", map[string]any{"n": 2}, true); err == nil {
		t.Fatal("a failing stack did not fail")
	}
	a.quiet()
	// The rolled back publish stored nothing either: the next one takes id 2, and a new
	// client's replay has exactly the two committed messages.
	if err := n.publish("rooms/9", map[string]any{"n": 3}, false); err != nil {
		t.Fatal(err)
	}
	if f := a.expect("message"); f.get("payload.n") != float64(3) || f.str("id") != "2" {
		t.Errorf("after a rollback, published %s; want n 3 with id 2", f)
	}
	b := n.dial("/ws/chatrt01", "")
	b.join("rooms/9", map[string]any{"client_id": "c2"})
	b.expect("presence_full")
	for _, want := range []float64{1, 3} {
		if f := b.expect("replay"); f.get("payload.n") != want {
			t.Errorf("replay %s, want n %v", f, want)
		}
	}
	b.send(map[string]any{"action": "ping"})
	b.expect("pong")
	for _, ch := range []string{"rooms/{room_id}", "nowhere", "old", "rooms/x"} {
		if err := n.publish(ch, 1, false); err == nil {
			t.Errorf("publish to %q did not fail", ch)
		}
	}
	if !strings.Contains(n.logs.String(), "realtime.publish failed") {
		t.Error("no log line for a failed publish")
	}
}

func TestShutdownCloses1012(t *testing.T) {
	n := newNode(t, "", memory.New())
	a := n.dial("/ws/chatrt01", "")
	a.join("lobby")
	n.stop()
	if code := a.closed(); code != 1012 {
		t.Errorf("closed with %d, want 1012", code)
	}
}

// TestPerRecipient: on a channel with delivery.per_recipient and a deliver trigger, each
// recipient gets what the trigger returns for it — live, in the conversation and in the
// replay: a token holder the message unchanged, an anonymous member a redacted payload
// naming its own socket, and nothing of a secret; a trigger that fails or refuses
// withholds the message.
func TestPerRecipient(t *testing.T) {
	n := newNode(t, "", memory.New())
	user := n.dial("/ws/chatrt01", n.token(1))
	anon := n.dial("/ws/chatrt01", "")
	for _, c := range []*client{user, anon} {
		c.join("desk/1", map[string]any{"client_id": "desk-" + fmt.Sprint(c == anon)})
		c.expect("conversation_start")
		c.expect("conversation_end")
		c.send(map[string]any{"action": "ping"})
		c.expect("pong")
	}
	// say broadcasts as the token holder and returns the message it gets back: its receipt
	// may come first, as the message waits for the deliver triggers.
	say := func(body string, secret bool) frame {
		user.send(map[string]any{"action": "broadcast", "channel": "desk/1", "type": "say", "payload": map[string]any{"body": body, "secret": secret}})
		var msg frame
		for range 2 {
			switch f := user.next(); f.str("action") {
			case "message":
				msg = f
			case "broadcast":
			default:
				t.Fatalf("got %s, want the message and the receipt", f)
			}
		}
		if msg == nil {
			t.Fatal("no message")
		}
		return msg
	}
	if f := say("hello", false); f.str("payload.body") != "hello" || f.get("payload.redacted") != nil || f.get("payload.secret") != false {
		t.Errorf("the token holder got %s, want the message unchanged", f)
	}
	f := anon.expect("message")
	socket := f.get("payload.to")
	if f.str("payload.body") != "hello" || f.get("payload.redacted") != true || f.get("payload.secret") != nil || socket == nil || f.str("id") != "1" {
		t.Errorf("the anonymous member got %s, want the redacted payload", f)
	}
	if f := say("psst", true); f.str("payload.body") != "psst" {
		t.Errorf("the token holder got %s, want the secret", f)
	}
	// A trigger that refuses (a precondition) or fails withholds the message from every
	// recipient it does so for: here, everyone.
	for _, body := range []string{"boom", "crash"} {
		user.send(map[string]any{"action": "broadcast", "channel": "desk/1", "type": "say", "payload": map[string]any{"body": body}})
		user.expect("broadcast")
		user.quiet()
	}
	say("bye", false)
	if f := anon.expect("message"); f.str("payload.body") != "bye" || f.str("id") != "5" {
		t.Errorf("the anonymous member got %s after the withheld ones, want bye (id 5)", f)
	}
	if !strings.Contains(n.logs.String(), "deliver trigger failed") {
		t.Error("no log line for the trigger that failed")
	}

	// A later anonymous joiner: the conversation and the replay are filtered for it too.
	late := n.dial("/ws/chatrt01", "")
	late.join("desk/1", map[string]any{"client_id": "late"})
	if f := late.expect("conversation_start"); f.get("payload.count") != float64(2) {
		t.Errorf("conversation_start %s, want 2 of the 5 messages", f)
	}
	for _, want := range []string{"hello", "bye"} {
		f := late.expect("message")
		if f.str("payload.body") != want || f.get("payload.redacted") != true || f.get("conversation") != true {
			t.Errorf("conversation %s, want %q redacted", f, want)
		}
		if to := f.get("payload.to"); to == nil || to == socket {
			t.Errorf("conversation %s: the trigger ran with socket %v, want the late joiner's own, not %v", f, to, socket)
		}
	}
	late.expect("conversation_end")
	for _, want := range []string{"hello", "bye"} {
		if f := late.expect("replay"); f.str("payload.body") != want || f.get("payload.redacted") != true {
			t.Errorf("replay %s, want %q redacted", f, want)
		}
	}
	late.send(map[string]any{"action": "ping"})
	late.expect("pong")
}
