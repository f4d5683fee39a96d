//go:build integration

package main

import (
	"net/http"
	"testing"

	"relaybase/internal/testenv"
)

// freshSchema makes a schema of its own in the test PostgreSQL and returns a URL that
// selects it; the schema is dropped when the test ends.
func freshSchema(t *testing.T) string { return testenv.PostgresSchema(t, "e2e") }

// TestTwoNodesShareOnePostgres: two relaybase nodes on one PostgreSQL database share the
// rows, the generated auth key (a token from one works on the other) and table ids.
func TestTwoNodesShareOnePostgres(t *testing.T) {
	db := freshSchema(t)
	a := startServer(t, "../../examples/chat", t.TempDir(), "--db", db)
	b := startServer(t, "../../examples/chat", t.TempDir(), "--db", db)

	post := a.do("POST", "/api:chat/messages", map[string]any{"channel": "marvel_chat_room", "text": "from A", "author": "Cap"})
	wantStatus(t, post, http.StatusOK, "")
	list := b.do("GET", "/api:chat/messages?channel=marvel_chat_room", nil)
	if field(list.json, "items", 0, "text") != "from A" {
		t.Fatalf("node B does not see node A's row: %s", list.body)
	}

	signup := a.do("POST", "/api:chat/auth/signup", map[string]any{"name": "Sam", "email": "sam@example.com", "password": "falcon-wings"})
	wantStatus(t, signup, http.StatusOK, "")
	token := field(signup.json, "authToken").(string)
	me := b.do("GET", "/api:chat/auth/me", nil, "Authorization", "Bearer "+token)
	wantStatus(t, me, http.StatusOK, "")
	if field(me.json, "name") != "Sam" {
		t.Fatalf("node B's me = %s", me.body)
	}

	// History lives in the database: a member joining on B reads what was stored through A.
	member := dialRealtime(t, b.ws, token)
	member.send(map[string]any{"action": "join", "options": map[string]any{"channel": "marvel_chat_room"}, "payload": map[string]any{"history": true}})
	member.next("join")
	h := member.next("history")
	if field(h, "payload", "history", 0, "payload", "text") != "from A" {
		t.Fatalf("history on node B = %v", h)
	}
}

// TestTwoNodesBehindOneRedis: with PostgreSQL and Redis shared, a chat message posted to
// node A reaches a member connected to node B, and presence lists members of both nodes.
func TestTwoNodesBehindOneRedis(t *testing.T) {
	db := freshSchema(t)
	rdb := testenv.RedisURL(t)
	a := startServer(t, "../../examples/chat", t.TempDir(), "--db", db, "--engine", rdb)
	b := startServer(t, "../../examples/chat", t.TempDir(), "--db", db, "--engine", rdb)

	guest := func(s *server, name string) string {
		r := s.do("POST", "/api:chat/auth/guest", map[string]any{"name": name})
		wantStatus(t, r, http.StatusOK, "")
		return field(r.json, "authToken").(string)
	}
	onA := dialRealtime(t, a.ws, guest(a, "Ann"))
	onA.send(map[string]any{"action": "join", "options": map[string]any{"channel": "marvel_chat_room"}, "payload": map[string]any{"presence": true}})
	onA.next("join")
	onA.next("presence_full")

	onB := dialRealtime(t, b.ws, guest(b, "Ben"))
	onB.send(map[string]any{"action": "join", "options": map[string]any{"channel": "marvel_chat_room"}, "payload": map[string]any{"presence": true}})
	onB.next("join")
	full := onB.next("presence_full")
	names := map[any]bool{}
	for _, m := range field(full, "payload", "presence").([]any) {
		names[field(m, "extras", "name")] = true
	}
	if !names["Ann"] || !names["Ben"] {
		t.Fatalf("presence on node B lists %v, want Ann (node A) and Ben", names)
	}
	if up := onA.next("presence_update"); field(up, "payload", "presence", "extras", "name") != "Ben" {
		t.Fatalf("node A's member was told %v", up)
	}

	post := a.do("POST", "/api:chat/messages", map[string]any{"channel": "marvel_chat_room", "text": "across nodes", "author": "Ann"})
	wantStatus(t, post, http.StatusOK, "")
	for _, c := range []*rtClient{onA, onB} {
		if ev := c.next("event"); field(ev, "payload", "text") != "across nodes" {
			t.Fatalf("event = %v", ev)
		}
	}
}
