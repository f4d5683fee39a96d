package main

import (
	"net/http"
	"strings"
	"testing"
)

// TestChatExampleEndToEnd runs examples/chat as a newcomer does and drives it over HTTP.
func TestChatExampleEndToEnd(t *testing.T) {
	data := t.TempDir()
	s := startServer(t, "../../examples/chat", data)

	injection := `Robert'); DROP TABLE message; -- <script>alert(1)</script> "quoted" ; semi`
	post := s.do("POST", "/api:chat/messages", map[string]any{"channel": "marvel_chat_room", "text": injection, "author": "Cap"})
	wantStatus(t, post, http.StatusOK, "")
	if got := field(post.json, "text"); got != injection {
		t.Fatalf("stored text = %q, want it byte for byte", got)
	}
	if id, _ := field(post.json, "id").(float64); id < 1 {
		t.Fatalf("posted message has no id: %s", post.body)
	}

	list := s.do("GET", "/api:chat/messages?channel=marvel_chat_room", nil)
	wantStatus(t, list, http.StatusOK, "")
	if got := field(list.json, "items", 0, "text"); got != injection {
		t.Fatalf("listed text = %v; body %s", got, list.body)
	}

	t.Run("input errors change nothing", func(t *testing.T) {
		r := s.do("POST", "/api:chat/messages", map[string]any{"channel": "marvel_chat_room", "text": "", "author": "Cap"})
		wantStatus(t, r, http.StatusBadRequest, "ERROR_CODE_INPUT_ERROR")
		if field(r.json, "payload", "param") != "text" {
			t.Fatalf("payload does not name the input: %s", r.body)
		}
		r = s.do("POST", "/api:chat/messages", map[string]any{"channel": "marvel_chat_room", "author": "Cap"})
		wantStatus(t, r, http.StatusBadRequest, "ERROR_CODE_INPUT_ERROR")
		r = s.do("POST", "/api:chat/messages", `{"channel": "marvel_chat_room",`)
		wantStatus(t, r, http.StatusBadRequest, "ERROR_CODE_INPUT_ERROR")
		big := strings.Repeat("x", 9<<20)
		r = s.do("POST", "/api:chat/messages", map[string]any{"channel": "marvel_chat_room", "text": big, "author": "Cap"})
		wantStatus(t, r, http.StatusRequestEntityTooLarge, "ERROR_CODE_INPUT_ERROR")
		after := s.do("GET", "/api:chat/messages?channel=marvel_chat_room", nil)
		if n := len(field(after.json, "items").([]any)); n != 1 {
			t.Fatalf("%d messages after refused posts, want 1", n)
		}
	})

	t.Run("an event to a channel no rule allows is the caller's mistake", func(t *testing.T) {
		errorsBefore := strings.Count(s.stderr.String(), "level=ERROR")
		r := s.do("POST", "/api:chat/messages", map[string]any{"channel": "nochan", "text": "hello?", "author": "Cap"})
		wantStatus(t, r, http.StatusBadRequest, "ERROR_CODE_INPUT_ERROR")
		if msg, _ := field(r.json, "message").(string); !strings.Contains(msg, `"nochan"`) || !strings.Contains(msg, "realtime_channel") {
			t.Fatalf("the message does not say which channel and why: %s", r.body)
		}
		// The stack's transaction rolled back: the db.add before the event left no row.
		if n := len(field(s.do("GET", "/api:chat/messages?channel=nochan", nil).json, "items").([]any)); n != 0 {
			t.Fatalf("%d messages stored in nochan, want none", n)
		}
		if n := len(field(s.do("GET", "/api:chat/messages?channel=marvel_chat_room", nil).json, "items").([]any)); n != 1 {
			t.Fatalf("%d messages in marvel_chat_room, want still 1", n)
		}
		if n := strings.Count(s.stderr.String(), "level=ERROR"); n != errorsBefore {
			t.Fatalf("the refused event logged %d ERROR lines:\n%s", n-errorsBefore, s.stderr)
		}
	})

	t.Run("unknown routes", func(t *testing.T) {
		wantStatus(t, s.do("GET", "/api:chat/nope", nil), http.StatusNotFound, "ERROR_CODE_NOT_FOUND")
		wantStatus(t, s.do("DELETE", "/api:chat/messages", nil), http.StatusNotFound, "ERROR_CODE_NOT_FOUND")
		wantStatus(t, s.do("GET", "/api:nosuchgroup/messages", nil), http.StatusNotFound, "ERROR_CODE_NOT_FOUND")
		r := s.do("GET", "/api:chat:v2/messages?channel=marvel_chat_room", nil)
		wantStatus(t, r, http.StatusOK, "")
	})

	var token string
	t.Run("sign up, log in, me", func(t *testing.T) {
		r := s.do("POST", "/api:chat/auth/signup", map[string]any{"name": "Natasha", "email": "Nat@Example.com ", "password": "red-room-1"})
		wantStatus(t, r, http.StatusOK, "")
		if strings.Contains(string(r.body), "red-room-1") || strings.Contains(string(r.body), "argon2") {
			t.Fatalf("signup leaked the password: %s", r.body)
		}
		again := s.do("POST", "/api:chat/auth/signup", map[string]any{"name": "N2", "email": "nat@example.com", "password": "another-pw"})
		wantStatus(t, again, http.StatusForbidden, "ERROR_CODE_ACCESS_DENIED")

		wrong := s.do("POST", "/api:chat/auth/login", map[string]any{"email": "nat@example.com", "password": "wrong-password"})
		wantStatus(t, wrong, http.StatusForbidden, "ERROR_CODE_ACCESS_DENIED")
		unknown := s.do("POST", "/api:chat/auth/login", map[string]any{"email": "nobody@example.com", "password": "wrong-password"})
		wantStatus(t, unknown, http.StatusForbidden, "ERROR_CODE_ACCESS_DENIED")
		if field(wrong.json, "message") != field(unknown.json, "message") {
			t.Fatalf("login tells unknown email (%s) from wrong password (%s)", unknown.body, wrong.body)
		}

		login := s.do("POST", "/api:chat/auth/login", map[string]any{"email": "nat@example.com", "password": "red-room-1"})
		wantStatus(t, login, http.StatusOK, "")
		token, _ = field(login.json, "authToken").(string)
		if token == "" {
			t.Fatalf("login returned no authToken: %s", login.body)
		}
		me := s.do("GET", "/api:chat/auth/me", nil, "Authorization", "Bearer "+token)
		wantStatus(t, me, http.StatusOK, "")
		if field(me.json, "name") != "Natasha" || field(me.json, "email") != "nat@example.com" {
			t.Fatalf("me = %s", me.body)
		}
		if _, has := me.json.(map[string]any)["password"]; has {
			t.Fatalf("me returned the password field: %s", me.body)
		}
	})

	t.Run("protected endpoint refuses bad tokens", func(t *testing.T) {
		wantStatus(t, s.do("GET", "/api:chat/auth/me", nil), http.StatusUnauthorized, "ERROR_CODE_UNAUTHORIZED")
		wantStatus(t, s.do("GET", "/api:chat/auth/me", nil, "Authorization", "Bearer not-a-token"), http.StatusUnauthorized, "ERROR_CODE_UNAUTHORIZED")
		guest := s.do("POST", "/api:chat/auth/guest", map[string]any{"name": "Groot"})
		wantStatus(t, guest, http.StatusOK, "")
		guestToken, _ := field(guest.json, "authToken").(string)
		wantStatus(t, s.do("GET", "/api:chat/auth/me", nil, "Authorization", "Bearer "+guestToken), http.StatusUnauthorized, "ERROR_CODE_UNAUTHORIZED")
		tampered := token[:len(token)-4] + "AAAA"
		wantStatus(t, s.do("GET", "/api:chat/auth/me", nil, "Authorization", "Bearer "+tampered), http.StatusUnauthorized, "ERROR_CODE_UNAUTHORIZED")
	})

	t.Run("OpenAPI", func(t *testing.T) {
		r := s.do("GET", "/api:chat/openapi.json", nil)
		wantStatus(t, r, http.StatusOK, "")
		if field(r.json, "openapi") != "3.0.3" {
			t.Fatalf("openapi.json = %s", r.body)
		}
		post := field(r.json, "paths", "/messages", "post", "requestBody", "content", "application/json", "schema")
		if field(post, "properties", "text", "type") != "string" || len(field(post, "required").([]any)) != 3 {
			t.Fatalf("POST /messages body schema = %v", post)
		}
		get := field(r.json, "paths", "/messages", "get", "parameters")
		if len(get.([]any)) != 3 || field(get, 1, "schema", "type") != "integer" {
			t.Fatalf("GET /messages parameters = %v", get)
		}
		if field(r.json, "paths", "/auth/me", "get", "security") == nil || field(r.json, "paths", "/auth/login", "post", "security") != nil {
			t.Fatalf("security marks are wrong: %s", r.body)
		}
		wantStatus(t, s.do("GET", "/api:nosuch/openapi.json", nil), http.StatusNotFound, "ERROR_CODE_NOT_FOUND")
	})

	t.Run("CORS preflight", func(t *testing.T) {
		r := s.do("OPTIONS", "/api:chat/messages", nil, "Origin", "http://example.test", "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type, x-data-source")
		if r.status != http.StatusNoContent || r.header.Get("Access-Control-Allow-Origin") != "http://example.test" ||
			!strings.Contains(r.header.Get("Access-Control-Allow-Headers"), "x-data-source") {
			t.Fatalf("preflight: %d %v", r.status, r.header)
		}
	})

	// Restart on the same data: the rows and the key survive.
	s.stop()
	s2 := startServer(t, "../../examples/chat", data)
	list = s2.do("GET", "/api:chat/messages?channel=marvel_chat_room", nil)
	if got := field(list.json, "items", 0, "text"); got != injection {
		t.Fatalf("after restart, text = %v; body %s", got, list.body)
	}
	me := s2.do("GET", "/api:chat/auth/me", nil, "Authorization", "Bearer "+token)
	wantStatus(t, me, http.StatusOK, "")
	wantStatus(t, s2.do("GET", "/healthz", nil), http.StatusOK, "")
	wantStatus(t, s2.do("GET", "/readyz", nil), http.StatusOK, "")
}
