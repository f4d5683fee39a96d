package admin

import (
	"crypto/tls"
	"net/http"
	"os"
	"strings"
	"testing"

	"relaybase"
)

// concrete fills a route pattern's wildcards with values that exist in the test
// workspace, so that a refusal cannot be a 404 in disguise.
func concrete(pattern string) string {
	return strings.NewReplacer("{table}", "message", "{id}", "1").Replace(pattern)
}

// querySuffix gives the routes that need a channel one.
func querySuffix(pattern string) string {
	if strings.HasPrefix(pattern, "/_/api/realtime/") && !strings.HasSuffix(pattern, "/stats") && !strings.HasSuffix(pattern, "/publish") {
		return "?channel=marvel_chat_room"
	}
	return ""
}

// Every route of the table but login refuses a request without a session (401), whatever
// it carries instead: nothing, a forged cookie, a workspace user's bearer token, the CSRF
// token of someone else's session. Driven by the route table, so a new route is covered.
func TestEveryRouteNeedsASession(t *testing.T) {
	c := newConsole(t)
	// A workspace user with a valid token of the workspace's auth table.
	anon := c.client()
	code, body, _ := anon.do("POST", "/api:chat/auth/signup", map[string]any{"name": "Eve", "email": "eve@example.com", "password": "eve-password"})
	if code != 200 {
		t.Fatalf("signup: %d %s", code, body)
	}
	token := decode[map[string]any](t, body)["authToken"].(string)
	admin := c.client()
	admin.login()

	routes := c.h.routes()
	if len(routes) < 18 {
		t.Fatalf("the route table has %d routes; the contract has 18", len(routes))
	}
	for _, rt := range routes {
		if rt.public {
			if rt.pattern != "/_/api/login" {
				t.Errorf("%s %s is public: only login may be", rt.method, rt.pattern)
			}
			continue
		}
		path := concrete(rt.pattern) + querySuffix(rt.pattern)
		for name, cl := range map[string]*client{
			"nothing":      c.client(),
			"bearer token": c.client(),
			"forged":       c.client(),
			"csrf only":    {c: c, http: c.client().http, csrf: admin.csrf},
		} {
			var hdr []string
			switch name {
			case "bearer token":
				hdr = []string{"Authorization", "Bearer " + token}
			case "forged":
				hdr = []string{"Cookie", CookieName + "=" + strings.Repeat("A", 43)}
			}
			code, body, _ := cl.do(rt.method, path, map[string]any{}, hdr...)
			if code != 401 || !strings.Contains(string(body), "ERROR_CODE_UNAUTHORIZED") {
				t.Errorf("%s %s with %s: %d %s, want 401", rt.method, path, name, code, body)
			}
		}
	}
	// Unknown paths and wrong methods under /_/api/ are 401 too without a session.
	for _, p := range []string{"/_/api/", "/_/api/nope", "/_/api/tables/message"} {
		if code, _, _ := c.client().do("GET", p, nil); code != 401 {
			t.Errorf("GET %s: %d, want 401", p, code)
		}
	}
	if code, _, _ := c.client().do("PUT", "/_/api/session", nil); code != 401 {
		t.Errorf("PUT /_/api/session: %d, want 401", code)
	}
}

// Every route that is not GET refuses a logged-in request without the session's CSRF
// token, or with another's, and changes nothing.
func TestEveryWriteNeedsTheCSRFToken(t *testing.T) {
	c := newConsole(t)
	admin := c.client()
	admin.login()
	other := c.client()
	other.login()
	if code, body, _ := admin.do("POST", "/_/api/tables/message/rows", map[string]any{"channel": "c", "text": "kept", "author": "A"}); code != 201 {
		t.Fatalf("seed row: %d %s", code, body)
	}
	writes := 0
	for _, rt := range c.h.routes() {
		if rt.public || rt.method == "GET" {
			continue
		}
		writes++
		path := concrete(rt.pattern) + querySuffix(rt.pattern)
		body := map[string]any{"channel": "marvel_chat_room", "text": "changed", "author": "X", "payload": 1,
			"method": "POST", "url": "/api:chat/messages", "inputs": map[string]any{"channel": "marvel_chat_room", "text": "x", "author": "y"}}
		for name, hdr := range map[string][]string{
			"no token":      {"X-CSRF-Token", ""},
			"another's":     {"X-CSRF-Token", other.csrf},
			"empty-looking": {"X-CSRF-Token", " "},
		} {
			code, resp, _ := admin.do(rt.method, path, body, hdr...)
			if code != 403 || !strings.Contains(string(resp), "ERROR_CODE_ACCESS_DENIED") {
				t.Errorf("%s %s with %s: %d %s, want 403", rt.method, path, name, code, resp)
			}
		}
	}
	if writes < 6 {
		t.Fatalf("%d writing routes in the table; the contract has 6", writes)
	}
	// Nothing changed: one message, as it was; no event stored; the session alive.
	_, body, _ := admin.do("GET", "/_/api/tables/message/rows", nil)
	if p := decode[rowsPage](t, body); p.Total != 1 || p.Items[0]["text"] != "kept" {
		t.Fatalf("rows after refused writes: %s", body)
	}
	if page, err := c.store.History(t.Context(), "marvel_chat_room", 0, 0); err != nil || len(page.Entries) != 0 {
		t.Fatalf("history after refused writes: %v %v", page.Entries, err)
	}
	if code, _, _ := admin.do("GET", "/_/api/session", nil); code != 200 {
		t.Fatalf("the session did not survive a refused logout: %d", code)
	}
}

// A scripted session over every GET route (and the writes) never sees a password hash:
// not a user's, not the admin's.
func TestNoResponseHoldsAHash(t *testing.T) {
	c := newConsole(t)
	cl := c.client()
	cl.login()
	cl.do("POST", "/_/api/tables/user/rows", map[string]any{"name": "Ann", "email": "ann@example.com", "password": "hunter2hunter2"})
	cl.do("POST", "/api:chat/auth/signup", map[string]any{"name": "Bob", "email": "bob@example.com", "password": "bob-password"})
	cl.do("POST", "/_/api/endpoints/run", map[string]any{"method": "POST", "url": "/api:chat/auth/login", "inputs": map[string]any{"email": "ann@example.com", "password": "hunter2hunter2"}})
	cl.do("GET", "/_/api/tables/user/rows?sort=email", nil)
	cl.do("GET", "/_/api/tables/user/rows?field=email&value=ann@example.com", nil)
	for _, rt := range c.h.routes() {
		if rt.method != "GET" || strings.HasSuffix(rt.pattern, "/tail") || strings.HasSuffix(rt.pattern, "/stats") {
			continue
		}
		code, body, _ := cl.do("GET", concrete(rt.pattern)+querySuffix(rt.pattern), nil)
		if code != 200 {
			t.Errorf("GET %s: %d %s", rt.pattern, code, body)
		}
	}
	cl.do("POST", "/_/api/logout", nil)
	scanForHashes(t, c)
	_, adminHash, _, _ := c.store.(relaybase.Admins).AdminByEmail(t.Context(), "root@example.com")
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, b := range c.bodies {
		if strings.Contains(string(b), adminHash) || strings.Contains(string(b), "hunter2hunter2") {
			t.Errorf("a response holds the admin's hash or a password: %s", b)
		}
	}
}

// Every route of the table is in docs/admin.md, so the page's author and the code agree.
func TestRoutesDocumented(t *testing.T) {
	doc, err := os.ReadFile("../docs/admin.md")
	if err != nil {
		t.Fatal(err)
	}
	c := newConsole(t)
	for _, rt := range c.h.routes() {
		if want := "`" + rt.method + " " + rt.pattern + "`"; !strings.Contains(string(doc), want) {
			t.Errorf("docs/admin.md does not list %s", want)
		}
	}
}

// Over TLS the cookie is Secure.
func TestCookieSecureUnderTLS(t *testing.T) {
	c := newConsole(t)
	rec := &headerRecorder{h: http.Header{}}
	req, _ := http.NewRequest("POST", "https://console.example/_/api/login", strings.NewReader(`{"email":"root@example.com","password":"`+testPassword+`"}`))
	req.TLS = fakeTLS()
	req.RemoteAddr = "192.0.2.1:1234"
	c.h.ServeHTTP(rec, req)
	if rec.code != 200 || !strings.Contains(rec.h.Get("Set-Cookie"), "Secure") {
		t.Fatalf("login over TLS: %d %v", rec.code, rec.h)
	}
}

type headerRecorder struct {
	h    http.Header
	code int
}

func (r *headerRecorder) Header() http.Header         { return r.h }
func (r *headerRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (r *headerRecorder) WriteHeader(code int)        { r.code = code }

func fakeTLS() *tls.ConnectionState { return &tls.ConnectionState{HandshakeComplete: true} }
