package servers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"

	"relaybase"
	"relaybase/auth"
	"relaybase/realtime"
	"relaybase/realtime/servers"
	"relaybase/stack"
	"relaybase/store/sqlite"
	"relaybase/value"
	"relaybase/workspace"
	"relaybase/xs"
)

const wait = 5 * time.Second

// files is the workspace the protocol tests run: every kind of channel and message.
var files = map[string]string{
	"workspace/shop.xs": `workspace shop {
}`,
	"table/user.xs": `table user {
  auth = true
  schema {
    int id
    text name
  }
}`,
	"table/note.xs": `table note {
  schema {
    int id
    text body
  }
}`,
	"realtime_server/chat.xs": `realtime_server chat_rt {
  canonical = "chatrt01"
  active = true
}`,
	"realtime_server/off.xs": `realtime_server off_rt {
  canonical = "offrt01"
  active = false
}`,
	"realtime_server/members.xs": `realtime_server members_rt {
  canonical = "membersrt01"
  active = true
}`,
	"channel/members.xs": `channel hall {
  realtime_server = "members_rt"
  publish = {who: "anyone"}
}`,
	"channel/lobby.xs": `channel lobby {
  realtime_server = "chat_rt"
  access = {anonymous: true, presence: true}
  publish = {who: "anyone", direct: true}
  conversation = {enabled: true, limit: 3}
}`,
	"channel/rooms.xs": `channel "rooms/{room_id}" {
  realtime_server = "chat_rt"
  access = {anonymous: true, presence: true}
  publish = {who: "anyone"}
  delivery = {guarantee: "at_least_once"}
  input {
    int room_id
  }
}`,
	"channel/rooms_lobby.xs": `channel "rooms/lobby" {
  realtime_server = "chat_rt"
  access = {anonymous: true}
  publish = {who: "authenticated"}
}`,
	"channel/quiet.xs": `channel quiet {
  realtime_server = "chat_rt"
  access = {anonymous: true}
  rate_limit = {messages_per_minute: 2}
  publish = {who: "anyone"}
}`,
	"channel/vip.xs": `channel vip {
  realtime_server = "chat_rt"
  publish = {who: "nobody", direct: true}
}`,
	"channel/gated.xs": `channel "gated/{n}" {
  realtime_server = "chat_rt"
  access = {anonymous: true}
  input {
    text n
  }
}`,
	"channel/desk.xs": `channel "desk/{n}" {
  realtime_server = "chat_rt"
  access = {anonymous: true}
  publish = {who: "anyone"}
  conversation = {enabled: true, limit: 5}
  delivery = {guarantee: "at_least_once", per_recipient: true}
  input {
    int n
  }
}`,
	"message/desk_say.xs": `message say {
  realtime_server = "chat_rt"
  channel = "desk/{n}"
  input {
    text body
    bool secret?
  }
  stack {}
  response = {body: $input.body, secret: $input.secret}
}`,
	"channel_trigger/redact.xs": `channel_trigger redact {
  realtime_server = "chat_rt"
  channel = "desk/{n}"
  actions = {deliver: true}
  stack {
    realtime.get_session as $s
    precondition ($input.payload.body != "boom") {
      error = "withheld by precondition"
    }
    conditional {
      if ($input.payload.body == "crash") {
        var $x { value = 1 / 0 }
      }
    }
  }
  response = $s.authenticated ? {allowed: true} : ($input.payload.secret ? {allowed: false} : {allowed: true, payload: {body: $input.payload.body, redacted: true, to: $s.socket_id}})
}`,
	"channel/old.xs": `channel old {
  realtime_server = "chat_rt"
  active = false
  access = {anonymous: true}
}`,
	"message/say.xs": `message say {
  realtime_server = "chat_rt"
  channel = "lobby"
  input {
    text body filters=trim|min:1
  }
  stack {
    realtime.get_session as $s
    conditional {
      if ($input.body == "crash") {
        var $x { value = 1 / 0 }
      }
    }
  }
  response = $input.body == "veto" ? null : {body: $input.body, who: $s.client_id}
}`,
	"message/dm.xs": `message dm {
  realtime_server = "chat_rt"
  channel = "vip"
  input {
    text body
  }
  stack {}
  response = {body: $input.body}
}`,
	"message/room_say.xs": `message say {
  realtime_server = "chat_rt"
  channel = "rooms/{room_id}"
  input {
    text body
  }
  stack {
    db.add note {
      data = {body: $input.body}
    } as $note
  }
  response = {body: $input.body, room: $input.room_id, note: $note.id}
}`,
	"message/room_echo.xs": `message echo {
  realtime_server = "chat_rt"
  channel = "rooms/{room_id}"
  deliver_to = "sender"
  input {
    text body
  }
  stack {
    realtime.get_session as $s
  }
  response = {body: $input.body, params: $s.params, channel: $s.channel}
}`,
	"message/room_others.xs": `message shout {
  realtime_server = "chat_rt"
  channel = "rooms/{room_id}"
  deliver_to = "others"
  input {
    text body
  }
  stack {}
  response = {body: $input.body}
}`,
	"message/secret.xs": `message secret {
  realtime_server = "chat_rt"
  channel = "rooms/lobby"
  auth = "user"
  stack {}
  response = {ok: true}
}`,
	"message/quiet.xs": `message tick {
  realtime_server = "chat_rt"
  channel = "quiet"
  stack {}
  response = {ok: true}
}`,
	"message/hall.xs": `message hi {
  realtime_server = "members_rt"
  channel = "hall"
  stack {}
  response = "hi"
}`,
	"channel_trigger/gate.xs": `channel_trigger gate {
  realtime_server = "chat_rt"
  channel = "gated/{n}"
  actions = {join: true}
  stack {
    realtime.get_session as $s
  }
  response = {allowed: $s.params.n != "no", reason: "not room " ~ $s.params.n}
}`,
	"realtime_server_trigger/conn.xs": `realtime_server_trigger conn {
  realtime_server = "chat_rt"
  actions = {connect: true}
  stack {}
  response = {allowed: $input.client.permissions.row_id != "66", reason: "user 66 is banned"}
}`,
	"api/t/api_group.xs": `api_group t {
  canonical = "t"
}`,
	"api/t/pub_post.xs": `query pub verb=POST {
  api_group = "t"
  input {
    text channel
    json data
    bool fail?
  }
  stack {
    realtime.publish {
      realtime_server = "chat_rt"
      channel = $input.channel
      message = "news"
      data = $input.data
    }
    precondition (!$input.fail) {
      error = "rolled back"
    }
  }
  response = "ok"
}`,
}

// node is one relaybase node of the tests: a store, an engine, the realtime server with
// the Service attached, on an httptest server.
type node struct {
	t      testing.TB
	dir    string
	db     relaybase.Store
	prog   *stack.Program
	rt     *realtime.Server
	svc    *servers.Service
	hs     *httptest.Server
	tokens *auth.Tokens
	logs   *syncBuffer
	userID int64
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
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// testKey is the auth key every node of a test shares, so tokens verify on each.
var testKey = func() []byte {
	k, err := auth.GenerateKey()
	if err != nil {
		panic(err)
	}
	raw, err := auth.ParseKey(k)
	if err != nil {
		panic(err)
	}
	return raw
}()

// writeFiles writes the workspace into dir/ws.
func writeFiles(t testing.TB, dir string) {
	for name, src := range files {
		p := filepath.Join(dir, "ws", filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// newNode starts a node on the data in dir (a fresh one when dir is ""), on engine.
func newNode(t testing.TB, dir string, engine relaybase.Engine) *node {
	t.Helper()
	ctx := context.Background()
	if dir == "" {
		dir = t.TempDir()
		writeFiles(t, dir)
	}
	ws, diags, err := workspace.Load(filepath.Join(dir, "ws"))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range diags {
		if d.Severity == xs.Error {
			t.Fatalf("load: %s", d)
		}
	}
	db, err := sqlite.Open(ctx, filepath.Join(dir, "data.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	return startNode(t, dir, ws, db, engine)
}

// startNode migrates db and starts a node on it and engine.
func startNode(t testing.TB, dir string, ws *workspace.Workspace, db relaybase.Store, engine relaybase.Engine) *node {
	if _, err := db.Migrate(context.Background(), ws.Tables, ws.TableIDs); err != nil {
		t.Fatal(err)
	}
	t.Helper()
	tokens, err := auth.NewTokens(testKey)
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	authTables := map[string]int64{}
	for _, tb := range ws.Tables {
		if tb.Auth {
			authTables[tb.Name] = tb.ID
		}
	}
	svc, err := servers.New(servers.Config{Servers: ws.RealtimeServers, Tenant: ws.Name, AuthTables: authTables,
		Store: db, Engine: engine, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	ch, err := realtime.NewChannels(realtime.ChannelsConfig{Rules: ws.Channels, Store: db, Engine: engine, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	prog, diags := stack.Compile(ws, stack.Options{Store: db, Events: ch, Publisher: svc, Tokens: tokens, Logger: log})
	for _, d := range diags {
		if d.Severity == xs.Error {
			t.Fatalf("compile: %s", d)
		}
	}
	lim := realtime.Limits{Ping: time.Second, IdleTimeout: 3 * time.Second}
	if _, ok := t.(*testing.B); ok {
		lim.Rate, lim.Burst = 1<<30, 1<<30 // a benchmark's client sends as fast as it is answered
	}
	rt, err := realtime.New(realtime.Config{Canonical: "legacy01", Channels: ch, Tokens: tokens, Triggers: prog, Logger: log,
		Limits: lim})
	if err != nil {
		t.Fatal(err)
	}
	svc.Serve(context.Background(), rt, tokens, prog)
	mux := http.NewServeMux()
	mux.Handle("/ws/", svc)
	mux.Handle("/rt/", rt)
	n := &node{t: t, dir: dir, db: db, prog: prog, rt: rt, svc: svc, tokens: tokens, logs: logs, userID: authTables["user"]}
	n.hs = httptest.NewServer(mux)
	t.Cleanup(n.stop)
	return n
}

// stop shuts the node down (idempotent).
func (n *node) stop() {
	if n.hs == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	_ = n.rt.Shutdown(ctx)
	n.svc.Close()
	n.hs.Close()
	n.db.Close()
	n.hs = nil
}

// token issues a token for user row of the user table.
func (n *node) token(row int64) string {
	n.t.Helper()
	tok, err := n.tokens.Issue(relaybase.Identity{TableID: n.userTable(), RowID: row, Extras: value.ObjectOf("name", fmt.Sprintf("u%d", row))}, time.Hour)
	if err != nil {
		n.t.Fatal(err)
	}
	return tok
}

func (n *node) userTable() int64 { return n.userID }

// publish runs the pub endpoint.
func (n *node) publish(channel string, data any, fail bool) error {
	for _, ep := range n.prog.Endpoints() {
		if ep.Path == "pub" {
			_, err := ep.Run(context.Background(), &stack.Request{Input: value.ObjectOf("channel", channel, "data", data, "fail", fail)})
			return err
		}
	}
	n.t.Fatal("no pub endpoint")
	return nil
}

// bufferedConn reads what the dialer buffered first.
type bufferedConn struct {
	net.Conn
	r io.Reader
}

func (b *bufferedConn) Read(p []byte) (int, error) { return b.r.Read(p) }

// client is one WebSocket client speaking the frames.
type client struct {
	t    testing.TB
	conn net.Conn
	mu   sync.Mutex
	in   chan frame
	done chan struct{}
	code ws.StatusCode // the close code the server sent, once closed
}

type frame map[string]any

func (f frame) str(path string) string {
	v := f.get(path)
	s, _ := v.(string)
	return s
}

func (f frame) get(path string) any {
	var cur any = map[string]any(f)
	for _, k := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[k]
	}
	return cur
}

func (f frame) String() string { b, _ := json.Marshal(map[string]any(f)); return string(b) }

// dial connects to path (such as "/ws/chatrt01") with token as the subprotocol ("" for
// none).
func (n *node) dial(path, token string) *client {
	n.t.Helper()
	c, err := n.tryDial(path, token)
	if err != nil {
		n.t.Fatalf("dial %s: %v", path, err)
	}
	return c
}

func (n *node) tryDial(path, token string) (*client, error) {
	d := ws.Dialer{Timeout: wait}
	if token != "" {
		d.Protocols = []string{token}
	}
	conn, br, _, err := d.Dial(context.Background(), "ws"+strings.TrimPrefix(n.hs.URL, "http")+path)
	if err != nil {
		return nil, err
	}
	if br != nil {
		// Frames that came with the handshake response are in br.
		conn = &bufferedConn{Conn: conn, r: io.MultiReader(br, conn)}
	}
	c := &client{t: n.t, conn: conn, in: make(chan frame, 1024), done: make(chan struct{})}
	go c.read()
	n.t.Cleanup(func() { conn.Close() })
	return c, nil
}

func (c *client) read() {
	defer close(c.done)
	for {
		msgs, err := wsutil.ReadServerMessage(c.conn, nil)
		if err != nil {
			var ce wsutil.ClosedError
			if errors.As(err, &ce) {
				c.mu.Lock()
				c.code = ce.Code
				c.mu.Unlock()
			}
			return
		}
		for _, m := range msgs {
			switch m.OpCode {
			case ws.OpText:
				var f frame
				if err := json.Unmarshal(m.Payload, &f); err != nil {
					c.t.Errorf("server sent a frame that is not JSON: %q", m.Payload)
					continue
				}
				c.in <- f
			case ws.OpClose:
				code, _ := ws.ParseCloseFrameData(m.Payload)
				c.mu.Lock()
				c.code = code
				c.mu.Unlock()
				_ = wsutil.WriteClientMessage(c.conn, ws.OpClose, m.Payload)
				return
			case ws.OpPing:
				_ = wsutil.WriteClientMessage(c.conn, ws.OpPong, m.Payload)
			}
		}
	}
}

func (c *client) send(v any) {
	c.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		c.t.Fatal(err)
	}
	c.sendRaw(b)
}

func (c *client) sendRaw(b []byte) {
	c.t.Helper()
	if err := wsutil.WriteClientText(c.conn, b); err != nil {
		c.t.Fatalf("send: %v", err)
	}
}

// next returns the next frame, failing after wait.
func (c *client) next() frame {
	c.t.Helper()
	select {
	case f := <-c.in:
		return f
	case <-c.done:
		select {
		case f := <-c.in:
			return f
		default:
		}
		c.t.Fatalf("connection closed (code %d) while waiting for a frame", c.closeCode())
	case <-time.After(wait):
		c.t.Fatal("no frame within the deadline")
	}
	return nil
}

// expect returns the next frame and fails unless its action is action.
func (c *client) expect(action string) frame {
	c.t.Helper()
	f := c.next()
	if f.str("action") != action {
		c.t.Fatalf("got %s, want action %q", f, action)
	}
	return f
}

// expectError returns the next frame, which must be an error of code.
func (c *client) expectError(code string) frame {
	c.t.Helper()
	f := c.expect("error")
	if f.str("payload.code") != code {
		c.t.Fatalf("got %s, want error code %q", f, code)
	}
	if f.str("payload.message") == "" {
		c.t.Fatalf("error without a message: %s", f)
	}
	return f
}

// quiet checks that no frame arrives: a ping round trip (answered in order) proves it.
func (c *client) quiet() {
	c.t.Helper()
	c.send(map[string]any{"action": "ping"})
	if f := c.next(); f.str("action") != "pong" {
		c.t.Fatalf("unexpected frame %s", f)
	}
}

// closed waits for the server to close the connection and returns its code.
func (c *client) closed() ws.StatusCode {
	c.t.Helper()
	select {
	case <-c.done:
	case <-time.After(wait):
		c.t.Fatal("the server did not close the connection")
	}
	return c.closeCode()
}

func (c *client) closeCode() ws.StatusCode {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.code
}

func (c *client) join(channel string, opts ...any) frame {
	c.t.Helper()
	f := map[string]any{"action": "join", "channel": channel}
	if len(opts) > 0 {
		f["options"] = opts[0]
	}
	c.send(f)
	return c.expect("join")
}
