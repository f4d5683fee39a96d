//go:build integration

package servers_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"path/filepath"
	"testing"
	"time"

	"relaybase/engine/redis"
	"relaybase/internal/testenv"
	"relaybase/realtime/servers"
	"relaybase/store/postgres"
	"relaybase/workspace"
)

// freshSchema makes a PostgreSQL schema of the test's own (dropped at its end) and returns
// a URL whose search_path selects it.
func freshSchema(t *testing.T) string { return testenv.PostgresSchema(t, "rbws") }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// pgNode starts a node on the PostgreSQL schema of pgURL and a Redis engine with prefix.
func pgNode(t *testing.T, dir, pgURL, prefix string) *node {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ws, _, err := workspace.Load(filepath.Join(dir, "ws"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := postgres.Open(ctx, pgURL)
	if err != nil {
		t.Fatal(err)
	}
	engine, err := redis.New(ctx, testenv.RedisURL(t), redis.WithPrefix(prefix))
	if err != nil {
		t.Fatal(err)
	}
	n := startNode(t, dir, ws, db, engine)
	t.Cleanup(func() { engine.Close() })
	return n
}

// TestTwoNodes runs two nodes on one PostgreSQL database and one Redis: a member of one
// node meets a member of the other in presence, broadcasts, direct messages and receipts,
// and an at-least-once client acks on one node and resumes on the other.
func TestTwoNodes(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir)
	pgURL := freshSchema(t)
	prefix := "rbws-" + randomHex(4) + ":"
	a := pgNode(t, dir, pgURL, prefix)
	b := pgNode(t, dir, pgURL, prefix)

	// Presence: the same user on both nodes is one member; its second socket joins quietly.
	u1a := a.dial("/ws/chatrt01", a.token(1))
	u1a.join("lobby")
	u1a.expect("presence_full")
	u1a.expect("conversation_start")
	u1a.expect("conversation_end")
	u1b := b.dial("/ws/chatrt01", b.token(1))
	u1b.join("lobby")
	if f := u1b.expect("presence_full"); len(f.get("payload.members").([]any)) != 0 {
		t.Errorf("the user's second socket sees %s", f)
	}
	u1b.expect("conversation_start")
	u1b.expect("conversation_end")
	u1a.quiet()

	anon := b.dial("/ws/chatrt01", "")
	anon.join("lobby")
	if f := anon.expect("presence_full"); len(f.get("payload.members").([]any)) != 1 {
		t.Errorf("anonymous member on node B sees %s", f)
	}
	anon.expect("conversation_start")
	anon.expect("conversation_end")
	u1a.expect("presence_join") // from node B
	u1b.expect("presence_join")

	// A broadcast on A reaches B; the receipt counts recipients on both nodes.
	u1a.send(map[string]any{"action": "broadcast", "channel": "lobby", "type": "say", "payload": map[string]any{"body": "across"}})
	for _, c := range []*client{u1b, anon} {
		if f := c.expect("message"); f.str("payload.body") != "across" {
			t.Errorf("on node B: %s", f)
		}
	}
	// The sender's own copy comes through Redis; its receipt may come first.
	var r frame
	for range 2 {
		switch f := u1a.next(); f.str("action") {
		case "broadcast":
			r = f
		case "message":
		default:
			t.Fatalf("sender got %s", f)
		}
	}
	if r.get("payload.delivered_local") != float64(1) || r.get("payload.delivered") != float64(3) {
		t.Errorf("receipt %s, want delivered_local 1 and delivered 3", r)
	}

	// A direct message from A reaches the user's socket on B (and A), nobody else.
	u2 := a.dial("/ws/chatrt01", a.token(2))
	u2.join("lobby")
	u2.expect("presence_full")
	u2.expect("conversation_start")
	if f := u2.expect("message"); f.get("conversation") != true || f.str("payload.body") != "across" {
		t.Errorf("transcript on node A of a message stored through node A: %s", f)
	}
	u2.expect("conversation_end")
	for _, c := range []*client{u1a, u1b, anon} {
		c.expect("presence_join")
	}
	u2.send(map[string]any{"action": "broadcast", "channel": "lobby", "type": "say", "payload": map[string]any{"body": "dm"},
		"options": map[string]any{"to": map[string]any{"dbo_id": a.userID, "row_id": 1}}})
	for _, c := range []*client{u1a, u1b} {
		if f := c.expect("message"); f.str("payload.body") != "dm" {
			t.Errorf("direct: %s", f)
		}
	}
	if r := u2.expect("broadcast"); r.get("payload.delivered") != float64(2) || r.get("payload.direct") != true {
		t.Errorf("direct receipt %s", r)
	}
	anon.quiet()

	// At least once across nodes: ack on B, resume on A.
	kiosk := "kiosk-" + randomHex(3)
	k := b.dial("/ws/chatrt01", "")
	k.join("rooms/3", map[string]any{"client_id": kiosk})
	k.expect("presence_full")
	k.quiet() // the pong comes after the join's replay: what follows is live
	for i := 1; i <= 3; i++ {
		if err := a.publish("rooms/3", map[string]any{"i": i}, false); err != nil {
			t.Fatal(err)
		}
		if f := k.expect("message"); f.get("payload.i") != float64(i) {
			t.Fatalf("published on A, on B: %s", f)
		}
	}
	k.send(map[string]any{"action": "ack", "channel": "rooms/3", "id": "2"})
	if f := k.expect("ack"); f.str("payload.cursor") != "2" {
		t.Fatalf("ack %s", f)
	}
	k.conn.Close()
	// Node B writes the cursor behind (within 100 ms); node A reads it from the database.
	deadline := time.Now().Add(wait)
	for {
		c, _, err := a.db.RealtimeCursor(context.Background(), servers.KeyPrefix+"chatrt01\x1frooms/3", "c:"+kiosk)
		if err == nil && c == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the cursor acked on node B never reached the database: %d, %v", c, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := b.publish("rooms/3", map[string]any{"i": 4}, false); err != nil {
		t.Fatal(err)
	}
	back := a.dial("/ws/chatrt01", "")
	if f := back.join("rooms/3", map[string]any{"client_id": kiosk}); f.str("payload.cursor") != "2" || f.get("payload.resumed") != true {
		t.Fatalf("resume on node A: %s", f)
	}
	back.expect("presence_full")
	for _, want := range []float64{3, 4} {
		if f := back.expect("replay"); f.get("payload.i") != want {
			t.Errorf("replay %s, want i %v", f, want)
		}
	}
	back.quiet()
}
