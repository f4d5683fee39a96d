package servers_test

import (
	"fmt"
	"testing"

	"relaybase/engine/memory"
)

// say broadcasts body to rooms/<room> and waits for the sender's receipt.
func say(c *client, room, body string) frame {
	c.t.Helper()
	c.send(map[string]any{"action": "broadcast", "channel": "rooms/" + room, "type": "say", "payload": map[string]any{"body": body}})
	for {
		f := c.next()
		if f.str("action") == "broadcast" {
			return f
		}
	}
}

func ack(c *client, room string, id any) frame {
	c.t.Helper()
	c.send(map[string]any{"action": "ack", "channel": "rooms/" + room, "id": id})
	return c.next()
}

func TestAckCursorReplay(t *testing.T) {
	n := newNode(t, "", memory.New())
	pub := n.dial("/ws/chatrt01", n.token(9))
	pub.join("rooms/5")
	pub.expect("presence_full")

	a := n.dial("/ws/chatrt01", "")
	if f := a.join("rooms/5", map[string]any{"client_id": "phone-1"}); f.str("payload.cursor") != "0" || f.get("payload.resumed") != false {
		t.Fatalf("first join %s", f)
	}
	a.expect("presence_full")
	a.quiet() // the pong comes after the join's replay: what follows is live
	pub.expect("presence_join")
	for i := 1; i <= 3; i++ {
		r := say(pub, "5", fmt.Sprint("m", i))
		if r.str("payload.id") != fmt.Sprint(i) {
			t.Errorf("receipt %s, want id %d", r, i)
		}
		f := a.expect("message")
		if f.str("id") != fmt.Sprint(i) || f.get("payload.room") != float64(5) || f.get("payload.note") == nil {
			t.Errorf("live %s", f)
		}
	}
	if f := ack(a, "5", "2"); f.String() != `{"action":"ack","channel":"rooms/5","payload":{"cursor":"2"}}` {
		t.Errorf("ack %s", f)
	}
	// An ack never moves the cursor back; an id the channel never issued is refused.
	if f := ack(a, "5", 1); f.str("payload.cursor") != "2" {
		t.Errorf("ack of an older id %s", f)
	}
	if f := ack(a, "5", "99"); f.str("payload.code") != "bad_frame" {
		t.Errorf("ack of an unissued id %s", f)
	}
	a.conn.Close()
	say(pub, "5", "m4")
	say(pub, "5", "m5")

	// Back with the same client_id: the cursor, then everything after it, oldest first.
	b := n.dial("/ws/chatrt01", "")
	f := b.join("rooms/5", map[string]any{"client_id": "phone-1"})
	if f.str("payload.cursor") != "2" || f.get("payload.resumed") != true {
		t.Fatalf("resumed join %s", f)
	}
	b.expect("presence_full")
	for _, want := range []string{"3", "4", "5"} {
		f := b.expect("replay")
		if f.str("id") != want || f.str("type") != "say" || f.str("payload.body") != "m"+want || f.get("ts") == nil {
			t.Errorf("replay %s, want id %s", f, want)
		}
	}
	b.quiet()

	// Another client_id has its own cursor: the whole window.
	c := n.dial("/ws/chatrt01", "")
	c.join("rooms/5", map[string]any{"client_id": "laptop"})
	c.expect("presence_full")
	for i := 1; i <= 5; i++ {
		if f := c.expect("replay"); f.str("id") != fmt.Sprint(i) {
			t.Errorf("replay %s, want id %d", f, i)
		}
	}

	// An anonymous client without client_id has no cursor and its acks say so.
	d := n.dial("/ws/chatrt01", "")
	if f := d.join("rooms/5"); f.get("payload.cursor") != nil {
		t.Errorf("join without client_id %s", f)
	}
	d.expect("presence_full")
	if f := ack(d, "5", "1"); f.str("payload.code") != "bad_frame" {
		t.Errorf("ack without a cursor %s", f)
	}
	// At most once channels have nothing to ack.
	d.join("quiet")
	d.send(map[string]any{"action": "ack", "channel": "quiet", "id": "1"})
	d.expectError("bad_frame")
}

func TestAuthenticatedCursorFollowsTheUser(t *testing.T) {
	n := newNode(t, "", memory.New())
	tab := n.dial("/ws/chatrt01", n.token(4))
	tab.join("rooms/6")
	tab.expect("presence_full")
	say(tab, "6", "a")
	say(tab, "6", "b")
	if f := ack(tab, "6", "2"); f.str("payload.cursor") != "2" {
		t.Fatalf("ack %s", f)
	}
	// The user's other socket shares the cursor, whatever client_id it sends.
	other := n.dial("/ws/chatrt01", n.token(4))
	if f := other.join("rooms/6", map[string]any{"client_id": "ignored"}); f.str("payload.cursor") != "2" || f.get("payload.resumed") != true {
		t.Errorf("other tab %s", f)
	}
}

// TestReplayAfterRestart closes a node, store included, and starts another on the same
// data: acknowledged cursors and stored messages survive.
func TestReplayAfterRestart(t *testing.T) {
	n := newNode(t, "", memory.New())
	a := n.dial("/ws/chatrt01", "")
	a.join("rooms/8", map[string]any{"client_id": "kiosk"})
	a.expect("presence_full")
	a.quiet()
	for i := 1; i <= 3; i++ {
		if err := n.publish("rooms/8", map[string]any{"i": i}, false); err != nil {
			t.Fatal(err)
		}
		a.expect("message")
	}
	if f := ack(a, "8", "1"); f.str("payload.cursor") != "1" {
		t.Fatalf("ack %s", f)
	}
	n.stop()
	if code := a.closed(); code != 1012 {
		t.Errorf("closed with %d", code)
	}

	m := newNode(t, n.dir, memory.New())
	if err := m.publish("rooms/8", map[string]any{"i": 4}, false); err != nil {
		t.Fatal(err)
	}
	b := m.dial("/ws/chatrt01", "")
	if f := b.join("rooms/8", map[string]any{"client_id": "kiosk"}); f.str("payload.cursor") != "1" {
		t.Fatalf("join after restart %s", f)
	}
	b.expect("presence_full")
	for i := 2; i <= 4; i++ {
		f := b.expect("replay")
		if f.str("id") != fmt.Sprint(i) || f.get("payload.i") != float64(i) || f.str("type") != "news" {
			t.Errorf("replay %s, want id %d", f, i)
		}
	}
}
