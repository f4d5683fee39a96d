package stack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"relaybase"
	"relaybase/auth"
	"relaybase/engine/memory"
	"relaybase/filestore"
	"relaybase/internal/testenv"
	"relaybase/store/sqlite"
	"relaybase/value"
	"relaybase/workspace"
	"relaybase/xs"
)

// baseFiles is the workspace every test starts from; a test's own files are added to it
// (and may replace these).
var baseFiles = map[string]string{
	"api/t/api_group.xs": `api_group t {
  canonical = "t"
}`,
	"table/user.xs": `table user {
  auth = true
  schema {
    int id
    text name
    email email
    password password
    text role?="member"
    timestamp created_at?=now
  }
  index = [
    {type: "primary", field: [{name: "id"}]}
    {type: "btree|unique", field: [{name: "email"}]}
  ]
}`,
	"table/message.xs": `table message {
  schema {
    int id
    int user_id? { table = "user" }
    text channel?
    text body
    int likes?=0
    decimal score?
    bool pinned?=false
    text[] tags?
    timestamp created_at?=now
  }
}`,
	"table/audit.xs": `table audit {
  schema {
    int id
    text action
    int row_id?
    json detail?
  }
}`,
}

// fixedNow is the clock of every test: 2026-01-02T03:04:05Z.
var fixedNow = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

type tenv struct {
	t      testing.TB
	ws     *workspace.Workspace
	p      *Program
	db     *sqlite.DB
	events *recordingEvents
	pub    *recordingPublisher
	logs   *syncBuffer
	diags  []xs.Diagnostic
	tokens *auth.Tokens
	files  *filestore.Store
}

// newEnv writes the files into a workspace directory, loads it, migrates a real SQLite
// database in t.TempDir() and compiles it. Compile errors fail the test unless allowErrors.
func newEnv(t testing.TB, files map[string]string) *tenv {
	t.Helper()
	e := loadEnv(t, files)
	for _, d := range e.diags {
		if d.Severity == xs.Error {
			t.Fatalf("compile: %s", d)
		}
	}
	return e
}

func loadEnv(t testing.TB, files map[string]string) *tenv {
	t.Helper()
	dir := t.TempDir()
	all := map[string]string{}
	for k, v := range baseFiles {
		all[k] = v
	}
	for k, v := range files {
		all[k] = v
	}
	for name, src := range all {
		if src == "" {
			delete(all, name) // an empty source takes a base file away
		}
	}
	testenv.WriteFiles(t, filepath.Join(dir, "ws"), all)
	return envFromDir(t, filepath.Join(dir, "ws"), dir)
}

// envFromDir loads the workspace in wsDir, migrates a SQLite database in dataDir and
// compiles the workspace; load errors fail the test, compile diagnostics are kept.
func envFromDir(t testing.TB, wsDir, dataDir string) *tenv {
	t.Helper()
	ctx := context.Background()
	dir := dataDir
	ws, diags, err := workspace.Load(wsDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range diags {
		if d.Severity == xs.Error {
			t.Fatalf("load: %s", d)
		}
	}
	db, err := sqlite.Open(ctx, filepath.Join(dir, "data.sqlite"), sqlite.WithClock(func() time.Time { return fixedNow }))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx, ws.Tables, ws.TableIDs); err != nil {
		t.Fatal(err)
	}
	key, err := auth.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := auth.ParseKey(key)
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := auth.NewTokens(raw, auth.WithClock(func() time.Time { return fixedNow }))
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	ev := &recordingEvents{}
	files, err := filestore.Open(filepath.Join(dir, "files"), []byte("a signing key of 32 bytes, fixed"))
	if err != nil {
		t.Fatal(err)
	}
	pub := &recordingPublisher{}
	p, cdiags := Compile(ws, Options{
		Store:     db,
		Events:    ev,
		Publisher: pub,
		Tokens:    tokens,
		Passwords: auth.NewPasswords(auth.WithParams(auth.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32})),
		Env:       map[string]any{"GREETING": "hello", "LIMIT": 3},
		Logger:    slog.New(slog.NewJSONHandler(logs, nil)),
		Now:       func() time.Time { return fixedNow },
		Cache:     memory.NewCache(func() time.Time { return fixedNow }),
		Files:     files,
	})
	return &tenv{t: t, ws: ws, p: p, db: db, events: ev, pub: pub, logs: logs, diags: cdiags, tokens: tokens, files: files}
}

// endpoint finds an endpoint by verb and path.
func (e *tenv) endpoint(verb, path string) *Endpoint {
	e.t.Helper()
	for _, ep := range e.p.Endpoints() {
		if ep.Verb == verb && ep.Path == path {
			return ep
		}
	}
	e.t.Fatalf("no endpoint %s %s", verb, path)
	return nil
}

// call runs an endpoint with a JSON input and returns its response value as JSON text
// (or the error).
func (e *tenv) call(verb, path, input string) (string, error) {
	return e.callAs(relaybase.Identity{}, verb, path, input)
}

func (e *tenv) callAs(id relaybase.Identity, verb, path, input string) (string, error) {
	e.t.Helper()
	in := value.NewObject(0)
	if input != "" {
		v, err := value.DecodeJSON([]byte(input))
		if err != nil {
			e.t.Fatalf("bad test input %s: %v", input, err)
		}
		in = v.(*value.Object)
	}
	return e.run(e.endpoint(verb, path), &Request{Input: in, Auth: id, Method: verb, URI: "/api:t/" + path,
		RemoteIP: "203.0.113.7", Headers: map[string]string{"X-Trace": "abc", "User-Agent": "test"}, RequestID: "req-1"})
}

func (e *tenv) run(ep *Endpoint, req *Request) (string, error) {
	e.t.Helper()
	res, err := ep.Run(context.Background(), req)
	if err != nil {
		return "", err
	}
	if res.Status != 200 {
		e.t.Errorf("status %d", res.Status)
	}
	b, err := value.EncodeJSON(res.Value)
	if err != nil {
		e.t.Fatal(err)
	}
	return string(b), nil
}

// mustCall fails the test on an error.
func (e *tenv) mustCall(verb, path, input string) string {
	e.t.Helper()
	out, err := e.call(verb, path, input)
	if err != nil {
		e.t.Fatalf("%s %s: %v", verb, path, err)
	}
	return out
}

// query reads a table directly.
func (e *tenv) rows(table string) []*value.Object {
	e.t.Helper()
	ctx := context.Background()
	tx, err := e.db.Begin(ctx, false)
	if err != nil {
		e.t.Fatal(err)
	}
	defer tx.Rollback()
	res, err := tx.Query(ctx, &relaybase.Query{Table: table, Sort: []relaybase.SortKey{{Field: "id"}}})
	if err != nil {
		e.t.Fatal(err)
	}
	return res.Rows
}

// wantError checks that err is a *relaybase.Error with code.
func wantError(t *testing.T, err error, code relaybase.Code) *relaybase.Error {
	t.Helper()
	var re *relaybase.Error
	if !errors.As(err, &re) {
		t.Fatalf("error %v (%T) is not a *relaybase.Error", err, err)
	}
	if re.Code != code {
		t.Fatalf("code %s (%s), want %s", re.Code, re.Message, code)
	}
	return re
}

// jsonEq compares two JSON texts by value.
func jsonEq(t *testing.T, got, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("got invalid JSON %s: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad want JSON %s: %v", want, err)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if string(gb) != string(wb) {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

// recordingEvents is a small in-process relaybase.Events: it records what was staged and
// what was published. A channel named "forbidden" is refused like a channel no rule matches;
// channels named "kept/..." keep history (10 frames), stored in the store by Store.
type recordingEvents struct {
	mu        sync.Mutex
	staged    []relaybase.Event
	published []relaybase.StagedEvent
}

func (r *recordingEvents) KeepsHistory(channel string) bool {
	return strings.HasPrefix(channel, "kept/")
}

func (r *recordingEvents) Stage(ctx context.Context, ev relaybase.Event) (relaybase.StagedEvent, error) {
	if ev.Channel == "forbidden" {
		return relaybase.StagedEvent{}, relaybase.Errorf(relaybase.CodeFatal, "No channel rule matches %q.", ev.Channel)
	}
	frame := value.NewObject(3)
	frame.Set("action", "event")
	frame.Set("options", value.ObjectOf("channel", ev.Channel))
	frame.Set("payload", ev.Data)
	if ev.Sender != nil {
		frame.Set("client", value.ObjectOf("permissions", value.ObjectOf("dbo_id", ev.Sender.TableID, "row_id", ev.Sender.RowID)))
	}
	b, err := value.EncodeJSON(frame)
	if err != nil {
		return relaybase.StagedEvent{}, err
	}
	r.mu.Lock()
	r.staged = append(r.staged, ev)
	r.mu.Unlock()
	st := relaybase.StagedEvent{Channel: ev.Channel, Frame: b, SenderAuthenticated: ev.Sender != nil}
	if r.KeepsHistory(ev.Channel) {
		st.Keep = 10
	}
	return st, nil
}

// Store appends the events that wait for it to their channels, in the order staged.
func (r *recordingEvents) Store(ctx context.Context, tx relaybase.Tx, staged []relaybase.StagedEvent) error {
	for i := range staged {
		st := &staged[i]
		if st.Keep == 0 {
			continue
		}
		off, _, err := tx.AppendHistory(ctx, &relaybase.HistoryEntry{Channel: st.Channel, Frame: st.Frame}, st.Keep)
		if err != nil {
			return err
		}
		st.Offset, st.Keep = off, 0
	}
	return nil
}

func (r *recordingEvents) Publish(ctx context.Context, staged []relaybase.StagedEvent) {
	r.mu.Lock()
	r.published = append(r.published, staged...)
	r.mu.Unlock()
}

func (r *recordingEvents) frames() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, s := range r.published {
		out = append(out, string(s.Frame))
	}
	return out
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// endpointSrc builds an endpoint file.
func endpointSrc(path, verb, body string) string {
	return "query \"" + path + "\" verb=" + verb + " {\n" + body + "\n}\n"
}

// endpointFile names an endpoint's file after its path and verb.
func endpointFile(path, verb string) string {
	name := strings.NewReplacer("/", "_", "{", "", "}", "").Replace(path)
	return "api/t/" + name + "_" + strings.ToLower(verb) + ".xs"
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := value.EncodeJSON(value.Normalize(v))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
