package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"relaybase"
	"relaybase/auth"
	"relaybase/engine/memory"
	"relaybase/httpapi"
	"relaybase/realtime"
	"relaybase/stack"
	"relaybase/store/sqlite"
	"relaybase/workspace"
)

// fastPasswords hashes with the smallest argon2id parameters, so tests log in quickly.
var fastPasswords = auth.NewPasswords(auth.WithParams(auth.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}))

const testPassword = "correct horse battery"

// console is a console over a real SQLite file, served on a real listener, with one admin.
type console struct {
	t      *testing.T
	h      *Handler
	srv    *httptest.Server
	store  relaybase.Store
	tokens *auth.Tokens
	engine relaybase.Engine
	admin  relaybase.Admin
	mu     sync.Mutex
	clock  time.Time
	// bodies records every response body, for the scan that no hash ever leaves.
	bodies [][]byte
}

// overlay is added to a copy of examples/chat: a table trigger that audits messages (and
// refuses "forbidden"), an env secret, and a task that has run.
var overlay = map[string]string{
	"table/audit.xs": `table audit {
  schema {
    int id
    int message_id
    text action
  }
}`,
	"table/trigger/message_audit.xs": `table_trigger message_audit {
  table = "message"
  actions = {insert: true, update: true, delete: true}
  stack {
    precondition ($input.new.text != "forbidden") {
      error_type = "inputerror"
      error = "That text is not allowed."
    }
    db.add audit {
      data = {message_id: ($input.new.id ?? $input.old.id), action: $input.action}
    }
  }
}`,
	"task/tidy.xs": `task tidy {
  stack {
    db.query audit { return = {type: "count"} } as $n
  }
  response = {audits: $n}
  schedule = [{starts_on: 2025-01-01 00:00:00+0000, freq: 3600}]
}`,
	"workspace/chat.xs": `workspace chat {
  env = {STRIPE_KEY: "sk_live_secret_value"}
  realtime = {canonical: "admintest"}
}`,
}

// openStore opens the database a test console runs on: a SQLite file here; the
// integration tests run the same cases on PostgreSQL (postgres_integration_test.go).
var openStore = func(t *testing.T) relaybase.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "relaybase.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func newConsole(t *testing.T, mutate ...func(*Config)) *console {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "ws")
	if err := os.CopyFS(dir, os.DirFS("../examples/chat")); err != nil {
		t.Fatal(err)
	}
	for name, src := range overlay {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ws, diags, err := workspace.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	st := openStore(t)
	if _, err := st.Migrate(t.Context(), ws.Tables, ws.TableIDs); err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 32)
	tokens, err := auth.NewTokens(key)
	if err != nil {
		t.Fatal(err)
	}
	engine := memory.New()
	t.Cleanup(func() { _ = engine.Close() })
	channels, err := realtime.NewChannels(realtime.ChannelsConfig{Rules: ws.Channels, Store: st, Engine: engine})
	if err != nil {
		t.Fatal(err)
	}
	prog, more := stack.Compile(ws, stack.Options{Store: st, Events: channels, Tokens: tokens, Passwords: fastPasswords, Env: ws.Env})
	diags = append(diags, more...)
	if workspace.HasErrors(diags) {
		t.Fatalf("the test workspace has errors: %v", diags)
	}
	rt, err := realtime.New(realtime.Config{Canonical: ws.Canonical, Channels: channels, Tokens: tokens, Triggers: prog})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rt.Shutdown(context.Background()) })
	c := &console{t: t, store: st, tokens: tokens, engine: engine, clock: time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)}
	var api http.Handler
	cfg := Config{Store: st, Passwords: fastPasswords, LoginRate: -1, Now: c.nowFn, Workspace: ws, Program: prog,
		Diagnostics: diags, Settings: map[string]string{"addr": "127.0.0.1:0", "db": "postgres://u:" + Masked + "@h/db"},
		API:      http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { api.ServeHTTP(w, r) }),
		Realtime: rt, Engine: engine}
	for _, m := range mutate {
		m(&cfg)
	}
	c.h, err = New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	api = httpapi.New(httpapi.Config{Program: prog, Tokens: tokens, Admin: c.h, Realtime: rt})
	c.srv = httptest.NewServer(api)
	t.Cleanup(c.srv.Close)
	t.Cleanup(c.h.Close) // first: open event streams end, so the server can close
	c.admin, err = CreateAccount(t.Context(), st.(relaybase.Admins), fastPasswords.Hash, "Root@Example.com", testPassword, c.clock)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *console) nowFn() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.clock
}

func (c *console) advance(d time.Duration) {
	c.mu.Lock()
	c.clock = c.clock.Add(d)
	c.mu.Unlock()
}

// client is a browser: a cookie jar, and the CSRF token once logged in.
type client struct {
	c    *console
	http *http.Client
	csrf string
}

func (c *console) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{c: c, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// do sends a request (body JSON-encoded unless it is a string) with the CSRF token when
// the client has one, and returns the status and body.
func (cl *client) do(method, path string, body any, header ...string) (int, []byte, http.Header) {
	cl.c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			cl.c.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, cl.c.srv.URL+path, rd)
	if err != nil {
		cl.c.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if cl.csrf != "" {
		req.Header.Set("X-CSRF-Token", cl.csrf)
	}
	for i := 0; i+1 < len(header); i += 2 {
		if header[i+1] == "" {
			req.Header.Del(header[i])
		} else {
			req.Header.Set(header[i], header[i+1])
		}
	}
	resp, err := cl.http.Do(req)
	if err != nil {
		cl.c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		cl.c.t.Fatal(err)
	}
	cl.c.mu.Lock()
	cl.c.bodies = append(cl.c.bodies, b)
	cl.c.mu.Unlock()
	return resp.StatusCode, b, resp.Header
}

// login logs in with the test admin's credentials and keeps the CSRF token.
func (cl *client) login() {
	cl.c.t.Helper()
	code, body, _ := cl.do("POST", "/_/api/login", map[string]string{"email": "root@example.com", "password": testPassword})
	if code != 200 {
		cl.c.t.Fatalf("login: %d %s", code, body)
	}
	var out struct {
		Admin struct {
			ID    int64
			Email string
		}
		CSRF string
	}
	if err := json.Unmarshal(body, &out); err != nil {
		cl.c.t.Fatal(err)
	}
	if out.CSRF == "" || out.Admin.Email != "root@example.com" || out.Admin.ID != cl.c.admin.ID {
		cl.c.t.Fatalf("login answered %s", body)
	}
	cl.csrf = out.CSRF
}

func (cl *client) cookie() *http.Cookie {
	u, _ := http.NewRequest("GET", cl.c.srv.URL+"/_/api/", nil)
	for _, k := range cl.http.Jar.Cookies(u.URL) {
		if k.Name == CookieName {
			return k
		}
	}
	return nil
}

func decode[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return v
}

func TestLoginSessionLogout(t *testing.T) {
	c := newConsole(t)
	cl := c.client()
	if code, body, _ := cl.do("GET", "/_/api/session", nil); code != 401 || !strings.Contains(string(body), "ERROR_CODE_UNAUTHORIZED") {
		t.Fatalf("session before login: %d %s", code, body)
	}
	// The cookie's attributes.
	code, body, hdr := cl.do("POST", "/_/api/login", map[string]string{"email": " ROOT@example.com", "password": testPassword})
	if code != 200 {
		t.Fatalf("login: %d %s", code, body)
	}
	set := hdr.Get("Set-Cookie")
	for _, want := range []string{CookieName + "=", "Path=/_/", "HttpOnly", "SameSite=Strict", "Max-Age=43200"} {
		if !strings.Contains(set, want) {
			t.Errorf("Set-Cookie %q lacks %q", set, want)
		}
	}
	if strings.Contains(set, "Secure") {
		t.Errorf("Set-Cookie %q is Secure over plain HTTP", set)
	}
	cl.csrf = decode[sessionJSON](t, body).CSRF
	code, body, _ = cl.do("GET", "/_/api/session", nil)
	got := decode[sessionJSON](t, body)
	if code != 200 || got.CSRF != cl.csrf || got.Admin.Email != "root@example.com" {
		t.Fatalf("session: %d %s", code, body)
	}
	// Logout without the token is refused and leaves the session alive.
	if code, _, _ := cl.do("POST", "/_/api/logout", nil, "X-CSRF-Token", ""); code != 403 {
		t.Fatalf("logout without CSRF: %d", code)
	}
	old := cl.cookie()
	code, _, hdr = cl.do("POST", "/_/api/logout", nil)
	if code != 204 || !strings.Contains(hdr.Get("Set-Cookie"), "Max-Age=0") {
		t.Fatalf("logout: %d %v", code, hdr)
	}
	if code, _, _ := cl.do("GET", "/_/api/session", nil); code != 401 {
		t.Fatalf("session after logout: %d", code)
	}
	// The old cookie, replayed by someone who kept it, is dead server-side.
	replay := c.client()
	replay.http.Jar.SetCookies(mustURL(t, c.srv.URL+"/_/"), []*http.Cookie{{Name: CookieName, Value: old.Value, Path: "/_/"}})
	if code, _, _ := replay.do("GET", "/_/api/session", nil); code != 401 {
		t.Fatalf("the logged-out cookie still works: %d", code)
	}
}

func TestLoginRefusals(t *testing.T) {
	c := newConsole(t)
	cl := c.client()
	for name, body := range map[string]any{
		"wrong password": map[string]string{"email": "root@example.com", "password": "wrong password!"},
		"unknown email":  map[string]string{"email": "nobody@example.com", "password": testPassword},
		"empty":          map[string]string{},
		"not an object":  "[1,2]",
		"not JSON":       "{",
	} {
		code, b, hdr := cl.do("POST", "/_/api/login", body)
		if code != 401 && code != 400 {
			t.Errorf("%s: %d %s", name, code, b)
		}
		if hdr.Get("Set-Cookie") != "" {
			t.Errorf("%s: a cookie was set", name)
		}
	}
	// The two failures a guesser could tell apart look the same.
	_, a, _ := cl.do("POST", "/_/api/login", map[string]string{"email": "root@example.com", "password": "wrong password!"})
	_, b, _ := cl.do("POST", "/_/api/login", map[string]string{"email": "nobody@example.com", "password": "wrong password!"})
	if !bytes.Equal(a, b) {
		t.Errorf("wrong password %s, unknown email %s: they differ", a, b)
	}
}

// A cookie planted before login (session fixation) is not the session after it, and the
// planted session is gone server-side.
func TestSessionFixation(t *testing.T) {
	c := newConsole(t)
	attacker := c.client()
	attacker.login()
	planted := attacker.cookie()

	victim := c.client()
	victim.http.Jar.SetCookies(mustURL(t, c.srv.URL+"/_/"), []*http.Cookie{{Name: CookieName, Value: planted.Value, Path: "/_/"}})
	victim.login()
	if got := victim.cookie(); got == nil || got.Value == planted.Value {
		t.Fatalf("the session after login is the planted one")
	}
	if code, _, _ := attacker.do("GET", "/_/api/session", nil); code != 401 {
		t.Fatalf("the planted session still works after the victim logged in over it: %d", code)
	}
	// A made-up cookie value is no session either.
	forged := c.client()
	forged.http.Jar.SetCookies(mustURL(t, c.srv.URL+"/_/"), []*http.Cookie{{Name: CookieName, Value: "forged", Path: "/_/"}})
	if code, _, _ := forged.do("GET", "/_/api/session", nil); code != 401 {
		t.Fatalf("a forged cookie: %d", code)
	}
}

func TestSessionExpires(t *testing.T) {
	c := newConsole(t, func(cfg *Config) { cfg.SessionTTL = time.Hour })
	cl := c.client()
	cl.login()
	// Used within its lifetime, the session is extended.
	c.advance(40 * time.Minute)
	if code, _, _ := cl.do("GET", "/_/api/session", nil); code != 200 {
		t.Fatalf("at 40 minutes: %d", code)
	}
	c.advance(40 * time.Minute)
	if code, _, _ := cl.do("GET", "/_/api/session", nil); code != 200 {
		t.Fatalf("at 80 minutes after use at 40: %d", code)
	}
	c.advance(61 * time.Minute)
	if code, _, _ := cl.do("GET", "/_/api/session", nil); code != 401 {
		t.Fatalf("an hour unused: %d", code)
	}
}

func TestLoginRateLimit(t *testing.T) {
	c := newConsole(t, func(cfg *Config) { cfg.LoginRate = 3 })
	cl := c.client()
	for i := range 3 {
		if code, _, _ := cl.do("POST", "/_/api/login", map[string]string{"email": "root@example.com", "password": "wrong password!"}); code != 401 {
			t.Fatalf("attempt %d: %d", i+1, code)
		}
	}
	// Past the limit even the right password is refused, without being checked.
	code, body, hdr := cl.do("POST", "/_/api/login", map[string]string{"email": "root@example.com", "password": testPassword})
	if code != 429 || hdr.Get("Retry-After") == "" || !strings.Contains(string(body), "ERROR_CODE_TOO_MANY_REQUESTS") {
		t.Fatalf("past the limit: %d %s %v", code, body, hdr)
	}
	c.advance(20 * time.Second) // refills one attempt
	cl.login()
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
