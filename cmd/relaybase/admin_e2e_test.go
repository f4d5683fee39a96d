package main

import (
	"bytes"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// adminCreate runs `relaybase admin create` as a process of its own with stdin as given
// (a pipe, not a terminal: the password is its first line).
func adminCreate(t *testing.T, stdin string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), serveEnv+"="+strings.Join(append([]string{"admin", "create"}, args...), "\x1f"))
	cmd.Stdin = strings.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.String()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, out.String()
}

// TestAdminConsoleEndToEnd: an admin made with `relaybase admin create` (password on
// stdin) logs in to the console of a served workspace; a workspace user's token is no
// admin session; --admin=false takes /_/ away.
func TestAdminConsoleEndToEnd(t *testing.T) {
	data := t.TempDir()
	const dir = "../../examples/chat"
	if code, out := adminCreate(t, "short\n", "ops@example.com", dir, "--data", data); code != 1 || !strings.Contains(out, "at least 10 characters") {
		t.Fatalf("a short password: exit %d: %s", code, out)
	}
	if code, out := adminCreate(t, "", "ops@example.com", dir, "--data", data); code != 1 || !strings.Contains(out, "no password") {
		t.Fatalf("no password: exit %d: %s", code, out)
	}
	if code, out := adminCreate(t, "a long enough password\n", "Ops@Example.com", dir, "--data", data); code != 0 || !strings.Contains(out, "admin ops@example.com created") {
		t.Fatalf("admin create: exit %d: %s", code, out)
	}
	if code, out := adminCreate(t, "another long password\n", "ops@example.com", dir, "--data", data); code != 1 || !strings.Contains(out, "already exists") {
		t.Fatalf("admin create twice: exit %d: %s", code, out)
	}

	s := startServer(t, dir, data)
	page := s.do("GET", "/_/", nil)
	if page.status != 200 || !strings.Contains(string(page.body), "<html") {
		t.Fatalf("GET /_/: %d %s", page.status, page.body)
	}
	// A workspace user, with a valid token of the workspace's auth table.
	signup := s.do("POST", "/api:chat/auth/signup", map[string]any{"name": "Eve", "email": "ops@example.com", "password": "a long enough password"})
	wantStatus(t, signup, http.StatusOK, "")
	token, _ := field(signup.json, "authToken").(string)
	for _, path := range []string{"/_/api/session", "/_/api/tables"} {
		r := s.do("GET", path, nil, "Authorization", "Bearer "+token)
		wantStatus(t, r, http.StatusUnauthorized, "ERROR_CODE_UNAUTHORIZED")
	}
	// The admin logs in with the password given on stdin.
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.Post(s.base+"/_/api/login", "application/json", strings.NewReader(`{"email":"ops@example.com","password":"a long enough password"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	resp, err = c.Get(s.base + "/_/api/session")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("session after login: %d", resp.StatusCode)
	}
	s.stop()

	off := startServer(t, dir, data, "--admin=false")
	for _, path := range []string{"/_/", "/_/index.html", "/_/api/session"} {
		if r := off.do("GET", path, nil); r.status != 404 {
			t.Errorf("GET %s with --admin=false: %d", path, r.status)
		}
	}
	if r := off.do("POST", "/_/api/login", `{"email":"ops@example.com","password":"a long enough password"}`); r.status != 404 {
		t.Errorf("login with --admin=false: %d", r.status)
	}
}
