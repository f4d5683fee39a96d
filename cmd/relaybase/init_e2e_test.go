package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// TestInitThenServe: `relaybase init myapp && relaybase serve myapp` works for a newcomer,
// and the starter's channel is private to its owner.
func TestInitThenServe(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "myapp")
	var out bytes.Buffer
	if code := run(context.Background(), []string{"init", dir}, func(string) string { return "" }, &out, &out); code != 0 {
		t.Fatalf("init exited %d: %s", code, out.String())
	}
	if code := run(context.Background(), []string{"init", dir}, func(string) string { return "" }, &out, &out); code == 0 {
		t.Fatalf("init over a non-empty directory succeeded")
	}
	out.Reset()
	if code := run(context.Background(), []string{"check", dir}, func(string) string { return "" }, &out, &out); code != 0 {
		t.Fatalf("the starter workspace does not pass check: %s", out.String())
	}
	// The starter's own tests (test blocks, workflow tests, its task) pass.
	out.Reset()
	if code := run(context.Background(), []string{"test", dir}, func(string) string { return "" }, &out, &out); code != 0 ||
		!strings.Contains(out.String(), "ok: 4 passed, 0 failed") {
		t.Fatalf("relaybase test on the starter workspace exited %d:\n%s", code, out.String())
	}

	s := startServer(t, dir, filepath.Join(dir, ".relaybase"))
	signup := func(name string) (string, int) {
		r := s.do("POST", "/api:app/auth/signup", map[string]any{"name": name, "email": strings.ToLower(name) + "@example.com", "password": "long-enough-pw"})
		wantStatus(t, r, http.StatusOK, "")
		token := field(r.json, "authToken").(string)
		me := s.do("GET", "/api:app/auth/me", nil, "Authorization", "Bearer "+token)
		wantStatus(t, me, http.StatusOK, "")
		return token, int(field(me.json, "id").(float64))
	}
	ann, annID := signup("Ann")
	bob, _ := signup("Bob")

	owner := dialRealtime(t, s.ws, ann)
	channel := fmt.Sprintf("notes/%d", annID)
	owner.send(map[string]any{"action": "join", "options": map[string]any{"channel": channel}, "payload": map[string]any{}})
	owner.next("join")

	intruder := dialRealtime(t, s.ws, bob)
	intruder.send(map[string]any{"action": "join", "options": map[string]any{"channel": channel}, "payload": map[string]any{}})
	if e := intruder.next("error"); field(e, "payload", "code") != "forbidden" || field(e, "payload", "message") != "These notes belong to someone else." {
		t.Fatalf("intruder's join answered %v", e)
	}

	wantStatus(t, s.do("POST", "/api:app/notes", map[string]any{"text": "x"}), http.StatusUnauthorized, "ERROR_CODE_UNAUTHORIZED")
	note := s.do("POST", "/api:app/notes", map[string]any{"text": "buy milk"}, "Authorization", "Bearer "+ann)
	wantStatus(t, note, http.StatusOK, "")
	if ev := owner.next("event"); field(ev, "payload", "text") != "buy milk" {
		t.Fatalf("owner got %v", ev)
	}
	list := s.do("GET", "/api:app/notes", nil, "Authorization", "Bearer "+bob)
	wantStatus(t, list, http.StatusOK, "")
	if n := len(field(list.json, "items").([]any)); n != 0 {
		t.Fatalf("Bob sees %d of Ann's notes", n)
	}
}
