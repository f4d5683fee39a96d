package admin

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"relaybase"
	"relaybase/xs"
)

type rowsPage struct {
	Items   []map[string]any `json:"items"`
	Page    int              `json:"page"`
	PerPage int              `json:"per_page"`
	Total   int              `json:"total"`
}

func TestTablesSchema(t *testing.T) {
	c := newConsole(t)
	cl := c.client()
	cl.login()
	code, body, _ := cl.do("GET", "/_/api/tables", nil)
	if code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	tables := decode[[]tableJSON](t, body)
	byName := map[string]tableJSON{}
	for _, tb := range tables {
		byName[tb.Name] = tb
	}
	user, msg := byName["user"], byName["message"]
	if !user.Auth || msg.Auth {
		t.Errorf("auth flags: user %v, message %v", user.Auth, msg.Auth)
	}
	var pw *fieldJSON
	for i := range user.Fields {
		if user.Fields[i].Name == "password" {
			pw = &user.Fields[i]
		}
	}
	if pw == nil || !pw.Sensitive || pw.Type != "password" {
		t.Errorf("user.password: %+v", pw)
	}
	if strings.Join(msg.Triggers, ",") != "message_audit" {
		t.Errorf("message triggers: %v", msg.Triggers)
	}
	if len(user.Indexes) == 0 || msg.File != "table/message.xs" {
		t.Errorf("user indexes %v, message file %q", user.Indexes, msg.File)
	}
}

// Create, edit, delete through the table's trigger; a refused change leaves nothing.
func TestRowsThroughTriggers(t *testing.T) {
	c := newConsole(t)
	cl := c.client()
	cl.login()
	code, body, _ := cl.do("POST", "/_/api/tables/message/rows", map[string]any{"channel": "lobby", "text": "hello", "author": "Ann"})
	if code != 201 {
		t.Fatalf("create: %d %s", code, body)
	}
	row := decode[map[string]any](t, body)
	if row["channel"] != "lobby" || row["id"] == nil || row["created_at"] == nil { // the default filled in
		t.Fatalf("created %s", body)
	}
	id := int(row["id"].(float64))
	code, body, _ = cl.do("PATCH", fmt.Sprintf("/_/api/tables/message/rows/%d", id), map[string]any{"text": "edited"})
	if code != 200 || decode[map[string]any](t, body)["text"] != "edited" {
		t.Fatalf("edit: %d %s", code, body)
	}
	for name, tc := range map[string]struct {
		method, path string
		body         any
		code         int
	}{
		"trigger refuses":      {"POST", "/_/api/tables/message/rows", map[string]any{"channel": "c", "text": "forbidden", "author": "A"}, 400},
		"trigger refuses edit": {"PATCH", fmt.Sprintf("/_/api/tables/message/rows/%d", id), map[string]any{"text": "forbidden"}, 400},
		"missing field":        {"POST", "/_/api/tables/message/rows", map[string]any{"text": "x"}, 400},
		"unknown field":        {"POST", "/_/api/tables/message/rows", map[string]any{"channel": "c", "text": "x", "author": "A", "nope": 1}, 400},
		"bad type":             {"POST", "/_/api/tables/message/rows", map[string]any{"channel": "c", "text": "x", "author": "A", "created_at": "soon"}, 400},
		"not an object":        {"POST", "/_/api/tables/message/rows", "[1]", 400},
		"unknown table":        {"POST", "/_/api/tables/nope/rows", map[string]any{}, 404},
		"edit unknown row":     {"PATCH", "/_/api/tables/message/rows/999", map[string]any{"text": "x"}, 404},
		"bad id":               {"PATCH", "/_/api/tables/message/rows/abc", map[string]any{"text": "x"}, 400},
		"delete unknown":       {"DELETE", "/_/api/tables/message/rows/999", nil, 404},
	} {
		if code, body, _ := cl.do(tc.method, tc.path, tc.body); code != tc.code {
			t.Errorf("%s: %d %s, want %d", name, code, body, tc.code)
		}
	}
	_, body, _ = cl.do("GET", "/_/api/tables/message/rows", nil)
	if p := decode[rowsPage](t, body); p.Total != 1 || p.Items[0]["text"] != "edited" {
		t.Fatalf("after the refusals: %s", body)
	}
	if code, body, _ := cl.do("DELETE", fmt.Sprintf("/_/api/tables/message/rows/%d", id), nil); code != 204 {
		t.Fatalf("delete: %d %s", code, body)
	}
	_, body, _ = cl.do("GET", "/_/api/tables/audit/rows?sort=id", nil)
	var actions []string
	for _, a := range decode[rowsPage](t, body).Items {
		actions = append(actions, a["action"].(string))
	}
	if strings.Join(actions, ",") != "insert,update,delete" {
		t.Fatalf("the trigger saw %v", actions)
	}
}

func TestRowsPagingSortFilter(t *testing.T) {
	c := newConsole(t)
	cl := c.client()
	cl.login()
	for i := range 7 {
		author := "Ann"
		if i%2 == 1 {
			author = "Bob"
		}
		if code, body, _ := cl.do("POST", "/_/api/tables/message/rows", map[string]any{"channel": "c", "text": fmt.Sprintf("m%d", i), "author": author}); code != 201 {
			t.Fatalf("%d %s", code, body)
		}
	}
	texts := func(p rowsPage) string {
		var s []string
		for _, it := range p.Items {
			s = append(s, it["text"].(string))
		}
		return strings.Join(s, ",")
	}
	for query, want := range map[string]string{
		"?per_page=3":                                          "m0,m1,m2 7 1",
		"?per_page=3&page=3":                                   "m6 7 3",
		"?sort=text&order=desc&per_page=2":                     "m6,m5 7 1",
		"?field=author&value=Bob":                              "m1,m3,m5 3 1",
		"?field=author&value=Bob&order=desc&per_page=2&page=2": "m1 3 2",
		"?field=author&value=Nobody":                           " 0 1",
	} {
		code, body, _ := cl.do("GET", "/_/api/tables/message/rows"+query, nil)
		p := decode[rowsPage](t, body)
		if got := fmt.Sprintf("%s %d %d", texts(p), p.Total, p.Page); code != 200 || got != want {
			t.Errorf("%s: %d %q, want %q", query, code, got, want)
		}
	}
	for _, query := range []string{"?page=0", "?per_page=1000", "?sort=nope", "?order=up", "?field=nope&value=1", "?field=password&value=x", "?sort=password"} {
		if code, body, _ := cl.do("GET", "/_/api/tables/message/rows"+query, nil); code != 400 {
			t.Errorf("%s: %d %s, want 400", query, code, body)
		}
	}
	// A number field's filter value is read as a number: the trigger audited m0..m6 as
	// messages 1..7, one insert each.
	for query, want := range map[string]string{
		"?field=message_id&value=3": "3 1",
		"?field=message_id&value=8": " 0",
	} {
		code, body, _ := cl.do("GET", "/_/api/tables/audit/rows"+query, nil)
		p := decode[rowsPage](t, body)
		var ids []string
		for _, it := range p.Items {
			ids = append(ids, fmt.Sprint(it["message_id"]))
		}
		if got := fmt.Sprintf("%s %d", strings.Join(ids, ","), p.Total); code != 200 || got != want {
			t.Errorf("audit%s: %d %q, want %q", query, code, got, want)
		}
	}
	if code, body, _ := cl.do("GET", "/_/api/tables/audit/rows?field=message_id&value=three", nil); code != 400 || !strings.Contains(string(body), "message_id") {
		t.Errorf("a word for a number field: %d %s, want a 400 naming the field", code, body)
	}
	if code, _, _ := cl.do("GET", "/_/api/tables/nope/rows", nil); code != 404 {
		t.Errorf("unknown table: %d", code)
	}
	_ = time.Second
}

// Passwords given through the console are hashed as db.add hashes them, and no answer
// ever holds one: not a row, not a list, not a filter on it.
func TestPasswordsNeverShown(t *testing.T) {
	c := newConsole(t)
	cl := c.client()
	cl.login()
	code, body, _ := cl.do("POST", "/_/api/tables/user/rows", map[string]any{"name": "Ann", "email": "ann@example.com", "password": "hunter2hunter2"})
	if code != 201 || strings.Contains(string(body), "password") {
		t.Fatalf("create user: %d %s", code, body)
	}
	id := int(decode[map[string]any](t, body)["id"].(float64))
	_, body, _ = cl.do("PATCH", fmt.Sprintf("/_/api/tables/user/rows/%d", id), map[string]any{"password": "another-secret"})
	if strings.Contains(string(body), "password") {
		t.Fatalf("edit: %s", body)
	}
	_, body, _ = cl.do("GET", "/_/api/tables/user/rows", nil)
	if strings.Contains(string(body), "password") || !strings.Contains(string(body), "ann@example.com") {
		t.Fatalf("list: %s", body)
	}
	// The workspace's own login works with the password set by the console.
	code, body, _ = cl.do("POST", "/api:chat/auth/login", map[string]any{"email": "ann@example.com", "password": "another-secret"})
	if code != 200 {
		t.Fatalf("the user cannot log in with the password the console set: %d %s", code, body)
	}
	scanForHashes(t, c)
}

// scanForHashes fails the test if any response the console gave holds a password hash
// (argon2id or bcrypt) or an admin's.
func scanForHashes(t *testing.T, c *console) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, b := range c.bodies {
		s := string(b)
		if strings.Contains(s, "$argon2id$") || strings.Contains(s, "$2a$") || strings.Contains(s, "$2b$") || strings.Contains(s, "$2y$") {
			t.Errorf("a response holds a password hash: %s", s)
		}
	}
}

func TestEndpointsAndRun(t *testing.T) {
	c := newConsole(t)
	cl := c.client()
	cl.login()
	code, body, _ := cl.do("GET", "/_/api/endpoints", nil)
	if code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	var post, me *endpointJSON
	eps := decode[[]endpointJSON](t, body)
	for i := range eps {
		switch {
		case eps[i].Method == "POST" && eps[i].Path == "messages":
			post = &eps[i]
		case eps[i].Path == "auth/me":
			me = &eps[i]
		}
	}
	if post == nil || post.URL != "/api:chat/messages" || post.Auth != nil || len(post.Inputs) != 3 || !post.Inputs[0].Required {
		t.Fatalf("POST messages: %+v", post)
	}
	if me == nil || me.Auth == nil || *me.Auth != "user" {
		t.Fatalf("auth/me: %+v", me)
	}

	type runOut struct {
		Status     int               `json:"status"`
		Headers    map[string]string `json:"headers"`
		Body       any               `json:"body"`
		DurationMS float64           `json:"duration_ms"`
	}
	code, body, _ = cl.do("POST", "/_/api/endpoints/run", map[string]any{"method": "POST", "url": "/api:chat/messages",
		"inputs": map[string]any{"channel": "marvel_chat_room", "text": "from the console", "author": "Admin"}})
	out := decode[runOut](t, body)
	if code != 200 || out.Status != 200 || out.Body.(map[string]any)["text"] != "from the console" || out.DurationMS <= 0 ||
		!strings.HasPrefix(out.Headers["Content-Type"], "application/json") {
		t.Fatalf("run POST messages: %d %s", code, body)
	}
	// GET inputs go in the query string; the message is there (and the trigger ran).
	_, body, _ = cl.do("POST", "/_/api/endpoints/run", map[string]any{"method": "GET", "url": "/api:chat/messages", "inputs": map[string]any{"channel": "marvel_chat_room"}})
	if out := decode[runOut](t, body); out.Status != 200 || !strings.Contains(string(body), "from the console") {
		t.Fatalf("run GET messages: %s", body)
	}
	// An endpoint's own errors come back as its answer, not as the console's.
	_, body, _ = cl.do("POST", "/_/api/endpoints/run", map[string]any{"method": "GET", "url": "/api:chat/auth/me"})
	if out := decode[runOut](t, body); out.Status != 401 {
		t.Fatalf("auth/me without a token: %s", body)
	}
	// With a token.
	_, body, _ = cl.do("POST", "/_/api/endpoints/run", map[string]any{"method": "POST", "url": "/api:chat/auth/signup",
		"inputs": map[string]any{"name": "Ann", "email": "ann@example.com", "password": "hunter2hunter2"}})
	token, _ := decode[runOut](t, body).Body.(map[string]any)["authToken"].(string)
	_, body, _ = cl.do("POST", "/_/api/endpoints/run", map[string]any{"method": "GET", "url": "/api:chat/auth/me", "token": token})
	if out := decode[runOut](t, body); out.Status != 200 || !strings.Contains(string(body), "ann@example.com") || strings.Contains(string(body), "argon2") {
		t.Fatalf("auth/me with a token: %s", body)
	}
	for name, in := range map[string]any{
		"not the API":   map[string]any{"method": "GET", "url": "/_/api/session"},
		"absolute URL":  map[string]any{"method": "GET", "url": "http://example.com/api:chat/messages"},
		"bad method":    map[string]any{"method": "TRACE", "url": "/api:chat/messages"},
		"inputs array":  map[string]any{"method": "POST", "url": "/api:chat/messages", "inputs": []int{1}},
		"header inject": map[string]any{"method": "GET", "url": "/api:chat/auth/me", "token": "a\r\nX-Evil: 1"},
	} {
		if code, body, _ := cl.do("POST", "/_/api/endpoints/run", in); code != 400 {
			t.Errorf("%s: %d %s", name, code, body)
		}
	}
	scanForHashes(t, c)
}

func TestWorkspaceView(t *testing.T) {
	c := newConsole(t)
	cl := c.client()
	cl.login()
	code, body, _ := cl.do("GET", "/_/api/workspace", nil)
	if code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	w := decode[struct {
		Path    string
		Objects []objectJSON
		Config  map[string]string
	}](t, body)
	kinds := map[string]bool{}
	for _, o := range w.Objects {
		kinds[o.Kind+" "+o.Name] = true
		if o.File == "" || strings.HasPrefix(o.File, "/") || o.Line < 1 {
			t.Errorf("object %+v: file relative to the workspace, line from 1", o)
		}
	}
	for _, want := range []string{"table message", "table_trigger message_audit", "task tidy", "query POST messages", "api_group chat", "realtime_channel marvel_chat_room"} {
		if !kinds[want] {
			t.Errorf("no object %q in %v", want, kinds)
		}
	}
	if w.Config["env.STRIPE_KEY"] != Masked || strings.Contains(string(body), "sk_live_secret_value") {
		t.Errorf("the env secret is shown: %s", body)
	}
	if w.Config["addr"] != "127.0.0.1:0" {
		t.Errorf("config: %v", w.Config)
	}
}

func TestWorkspaceDiagnostics(t *testing.T) {
	c := newConsole(t, func(cfg *Config) {
		cfg.Diagnostics = append(cfg.Diagnostics, diag("function/x.xs", 3, 5, "db.direct_query is not run by relaybase"))
	})
	cl := c.client()
	cl.login()
	_, body, _ := cl.do("GET", "/_/api/workspace", nil)
	if !strings.Contains(string(body), `{"severity":"unsupported","file":"function/x.xs","line":3,"col":5,"message":"db.direct_query is not run by relaybase"}`) {
		t.Fatalf("diagnostics: %s", body)
	}
}

func TestTasksView(t *testing.T) {
	c := newConsole(t)
	ledger := c.store.(relaybase.TaskLedger)
	started := c.clock.Add(-time.Minute)
	if err := ledger.RecordTaskRun(t.Context(), relaybase.TaskRun{Task: "tidy", Node: "n1", Trigger: "schedule", StartedAt: started.UnixMilli(),
		EndedAt: started.Add(5 * time.Millisecond).UnixMilli(), OK: false, Error: "boom", Result: "null"}); err != nil {
		t.Fatal(err)
	}
	cl := c.client()
	cl.login()
	code, body, _ := cl.do("GET", "/_/api/tasks", nil)
	tasks := decode[[]taskJSON](t, body)
	if code != 200 || len(tasks) != 1 {
		t.Fatalf("%d %s", code, body)
	}
	tk := tasks[0]
	if tk.Name != "tidy" || !tk.Active || tk.Schedule != "from 2025-01-01T00:00:00Z, every 1h0m0s" || tk.NextRun == nil || *tk.NextRun != "2026-12-04T13:00:00Z" {
		t.Errorf("task: %+v", tk)
	}
	if len(tk.Runs) != 1 || tk.Runs[0].OK || tk.Runs[0].Error != "boom" || tk.Runs[0].Node != "n1" {
		t.Errorf("runs: %+v", tk.Runs)
	}
}

func diag(file string, line, col int, msg string) xs.Diagnostic {
	return xs.Diagnostic{Pos: xs.Pos{File: file, Line: line, Col: col}, Severity: xs.Unsupported, Message: msg}
}
