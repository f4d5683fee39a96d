package realtime

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsflate"

	"relaybase"
	"relaybase/engine/memory"
	"relaybase/metrics"
	"relaybase/store/sqlite"
	"relaybase/value"
)

const (
	canonical = "canon-test"
	authTable = 42
	wait      = 5 * time.Second
)

// fakeTokens: "user-N" proves user N of table 42 with extras {"name": "userN"}; anything
// else is refused.
type fakeTokens struct{}

func (fakeTokens) Issue(relaybase.Identity, time.Duration) (string, error) {
	return "", errors.New("not in tests")
}

func (fakeTokens) Verify(tok string) (relaybase.Identity, error) {
	var n int64
	if _, err := fmt.Sscanf(tok, "user-%d", &n); err != nil || n <= 0 || tok != fmt.Sprintf("user-%d", n) {
		return relaybase.Identity{}, fmt.Errorf("bad token: %w", relaybase.ErrUnauthorized)
	}
	return relaybase.Identity{TableID: authTable, RowID: n, Extras: value.ObjectOf("name", fmt.Sprintf("user%d", n))}, nil
}

// testRules cover every setting.
var testRules = []relaybase.ChannelRule{
	{Pattern: "public", Active: true, AnonymousClients: true, Presence: true, PublicMessaging: true, PrivateMessaging: true},
	{Pattern: "auth_only", Active: true, PublicMessaging: true, Presence: true},
	{Pattern: "pubauth", Active: true, AnonymousClients: true, PublicMessaging: true, PublicMessagingAuth: true, PrivateMessaging: true, PrivateMessagingAuth: true},
	{Pattern: "history", Active: true, AnonymousClients: true, Presence: true, PublicMessaging: true, History: 25},
	{Pattern: "authchan", Active: true, AnonymousClients: true, AuthChannel: true, PublicMessaging: true, History: 25},
	{Pattern: "readonly", Active: true, AnonymousClients: true},
	{Pattern: "nopresence", Active: true, AnonymousClients: true, PublicMessaging: true},
	{Pattern: "room/*", Active: true, AnonymousClients: true, PublicMessaging: true, NestedChannels: true},
	{Pattern: "room/vip", Active: true, PublicMessaging: true},
	{Pattern: "inactive", Active: false, AnonymousClients: true},
	{Pattern: "live/*", Active: true, AnonymousClients: true, PublicMessaging: true, History: 1000, NestedChannels: true},
}

type env struct {
	t      testing.TB
	srv    *Server
	hs     *httptest.Server
	url    string
	store  relaybase.Store
	engine relaybase.Engine
}

// envConfig is what newEnv builds a server from; options change it.
type envConfig struct {
	channels ChannelsConfig
	server   Config
}

type option func(*envConfig)

func withLimits(l Limits) option         { return func(c *envConfig) { c.server.Limits = l } }
func withStore(s relaybase.Store) option { return func(c *envConfig) { c.channels.Store = s } }
func withEngine(e relaybase.Engine) option {
	return func(c *envConfig) { c.channels.Engine = e }
}
func withTriggers(tr relaybase.Triggers) option {
	return func(c *envConfig) { c.server.Triggers = tr }
}

// openStore opens a real SQLite store in the test's temporary directory.
func openStore(t testing.TB) relaybase.Store {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "rt.db"))
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func newEnv(t testing.TB, opts ...option) *env {
	t.Helper()
	cfg := envConfig{
		channels: ChannelsConfig{Rules: testRules, Engine: memory.New()},
		server:   Config{Canonical: canonical, Tokens: fakeTokens{}, Triggers: NoTriggers},
	}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.server.Metrics == nil {
		// Count as relaybase serve does: tests and benchmarks run the counting paths too.
		cfg.server.Metrics = metrics.New().Realtime
	}
	if cfg.server.Limits.GapCheck == 0 {
		// No periodic store reads unless a test asks: some count reads, or hook the next.
		cfg.server.Limits.GapCheck = time.Hour
	}
	if cfg.channels.Store == nil {
		cfg.channels.Store = openStore(t)
	}
	ch, err := NewChannels(cfg.channels)
	if err != nil {
		t.Fatalf("NewChannels: %v", err)
	}
	cfg.server.Channels = ch
	srv, err := New(cfg.server)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	hs := httptest.NewServer(srv)
	e := &env{t: t, srv: srv, hs: hs, url: "ws" + strings.TrimPrefix(hs.URL, "http") + "/rt/" + canonical, store: cfg.channels.Store, engine: cfg.channels.Engine}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		hs.Close()
	})
	return e
}

// readFrame reads one frame from r, as ws.ReadFrame does, except that it refuses a declared
// length past 16 MiB rather than reading that much into memory (the server never sends one).
func readFrame(r io.Reader) (ws.Header, []byte, error) {
	h, err := ws.ReadHeader(r)
	if err != nil {
		return h, nil, err
	}
	if h.Length > 16<<20 {
		return h, nil, fmt.Errorf("frame of %d bytes declared", h.Length)
	}
	p := make([]byte, h.Length)
	if _, err := io.ReadFull(r, p); err != nil {
		return h, nil, err
	}
	if h.Masked {
		ws.Cipher(p, h.Mask, 0)
	}
	return h, p, nil
}

// frame is a server frame as the client saw it.
type frame struct {
	raw    []byte
	m      map[string]any
	zipped bool // came compressed (permessage-deflate)
}

func (f *frame) parse() {
	if f.m == nil {
		_ = json.Unmarshal(f.raw, &f.m)
	}
}

func (f frame) action() string { f.parse(); s, _ := f.m["action"].(string); return s }

func (f frame) options() map[string]any { f.parse(); o, _ := f.m["options"].(map[string]any); return o }

func (f frame) channel() string { s, _ := f.options()["channel"].(string); return s }

func (f frame) payload() any { f.parse(); return f.m["payload"] }

func (f frame) payloadMap() map[string]any {
	f.parse()
	p, _ := f.m["payload"].(map[string]any)
	return p
}

func (f frame) String() string { return string(f.raw) }

// client is a WebSocket test client speaking the protocol over a real socket.
type client struct {
	t      testing.TB
	nc     net.Conn
	r      io.Reader
	wmu    sync.Mutex
	frames chan frame
	closed chan struct{}
	proto  string

	mu        sync.Mutex
	closeCode int // -1: connection ended without a close frame
	closeMsg  string
	pings     int
	socketID  string
	inflated  int // compressed frames received (permessage-deflate)
}

func (e *env) dial(token string) *client {
	e.t.Helper()
	c, err := dialURL(e.url, token)
	if err != nil {
		e.t.Fatalf("dial: %v", err)
	}
	c.t = e.t
	e.t.Cleanup(func() { c.nc.Close() })
	go c.readLoop(true)
	return c
}

func dialURL(url, token string) (*client, error) {
	d := ws.Dialer{Timeout: wait}
	if token != "" {
		d.Protocols = []string{token}
	}
	nc, br, hs, err := d.Dial(context.Background(), url)
	if err != nil {
		return nil, err
	}
	c := &client{nc: nc, r: nc, frames: make(chan frame, 1<<16), closed: make(chan struct{}), proto: hs.Protocol}
	if br != nil {
		c.r = io.MultiReader(br, nc)
	}
	return c, nil
}

func (c *client) readLoop(answerPings bool) {
	defer close(c.closed)
	for {
		h, err := ws.ReadHeader(c.r)
		if err != nil {
			c.setClose(-1, err.Error())
			return
		}
		p := make([]byte, h.Length)
		if _, err := io.ReadFull(c.r, p); err != nil {
			c.setClose(-1, err.Error())
			return
		}
		if h.Rsv != 0 {
			// permessage-deflate, decompressed by gobwas/ws's own helper
			if p, err = wsflate.DefaultHelper.Decompress(p); err != nil || h.Rsv != ws.Rsv(true, false, false) {
				c.t.Errorf("server sent a compressed frame that does not decompress (rsv %b): %v", h.Rsv, err)
			}
			c.mu.Lock()
			c.inflated++
			c.mu.Unlock()
		}
		switch h.OpCode {
		case ws.OpText:
			var m map[string]any
			if len(p) < 8<<10 { // big frames are parsed when looked at
				if err := json.Unmarshal(p, &m); err != nil {
					c.t.Errorf("server sent a frame that is not a JSON object: %q", p)
				}
			}
			c.frames <- frame{raw: p, m: m, zipped: h.Rsv != 0}
		case ws.OpPing:
			c.mu.Lock()
			c.pings++
			c.mu.Unlock()
			if answerPings {
				c.write(ws.OpPong, p)
			}
		case ws.OpClose:
			code, reason := ws.ParseCloseFrameData(p)
			c.setClose(int(code), reason)
			c.write(ws.OpClose, p)
			return
		default:
			c.t.Errorf("unexpected opcode %v", h.OpCode)
		}
	}
}

func (c *client) setClose(code int, msg string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closeCode == 0 {
		c.closeCode, c.closeMsg = code, msg
	}
}

func (c *client) write(op ws.OpCode, p []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	f := ws.MaskFrameInPlace(ws.NewFrame(op, true, append([]byte(nil), p...)))
	return ws.WriteFrame(c.nc, f)
}

func (c *client) sendRaw(s string) {
	c.t.Helper()
	if err := c.write(ws.OpText, []byte(s)); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

func (c *client) send(action string, options map[string]any, payload any) {
	c.t.Helper()
	b, err := json.Marshal(map[string]any{"action": action, "options": options, "payload": payload})
	if err != nil {
		c.t.Fatal(err)
	}
	c.sendRaw(string(b))
}

// next returns the next frame, failing the test after the deadline.
func (c *client) next() frame {
	c.t.Helper()
	select {
	case f := <-c.frames:
		return f
	case <-time.After(wait):
		c.t.Fatalf("no frame within %v", wait)
	}
	return frame{}
}

// expect returns the next frame, which must have the action (and channel, when given).
func (c *client) expect(action, channel string) frame {
	c.t.Helper()
	f := c.next()
	if f.action() != action || (channel != "" && f.channel() != channel) {
		c.t.Fatalf("got %s, want action %q channel %q", f, action, channel)
	}
	return f
}

func (c *client) expectError(code, channel string) frame {
	c.t.Helper()
	f := c.expect(actError, "")
	if got := f.payloadMap()["code"]; got != code {
		c.t.Fatalf("got error %s, want code %q", f, code)
	}
	if f.channel() != channel {
		c.t.Fatalf("error %s: channel %q, want %q", f, f.channel(), channel)
	}
	if msg, _ := f.payloadMap()["message"].(string); msg == "" {
		c.t.Fatalf("error %s has no message", f)
	}
	return f
}

// join joins a channel and returns the join reply.
func (c *client) join(channel string, payload map[string]any) frame {
	c.t.Helper()
	if payload == nil {
		payload = map[string]any{"history": false, "presence": false}
	}
	c.send(actJoin, map[string]any{"channel": channel}, payload)
	f := c.expect(actJoin, channel)
	cl, _ := f.m["client"].(map[string]any)
	c.socketID, _ = cl["socketId"].(string)
	return f
}

// barrier makes a round trip (a leave of a channel never joined) and returns every frame
// that arrived before its reply: everything queued for this client before the barrier.
func (c *client) barrier() []frame {
	c.t.Helper()
	c.send(actLeave, map[string]any{"channel": "~barrier"}, nil)
	var got []frame
	for {
		f := c.next()
		if f.action() == actLeave && f.channel() == "~barrier" {
			return got
		}
		got = append(got, f)
	}
}

// quiet checks that nothing but the barrier reply arrives.
func (c *client) quiet() {
	c.t.Helper()
	if got := c.barrier(); len(got) > 0 {
		c.t.Fatalf("unexpected frames: %v", got)
	}
}

// waitClose waits for the connection to end and returns the close code (-1: none).
func (c *client) waitClose() (int, string) {
	c.t.Helper()
	select {
	case <-c.closed:
	case <-time.After(wait + 5*time.Second):
		c.t.Fatalf("connection still open")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closeCode, c.closeMsg
}

// assertJSON compares JSON texts as parsed values.
func assertJSON(t testing.TB, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("got invalid JSON %q: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want invalid JSON %q: %v", want, err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

// clientObj is the client object C expected for a socket.
func clientObj(socketID string, user int) string {
	if user == 0 {
		return fmt.Sprintf(`{"socketId":%q,"extras":{},"permissions":{"dbo_id":0,"row_id":0}}`, socketID)
	}
	return fmt.Sprintf(`{"socketId":%q,"extras":{"name":"user%d"},"permissions":{"dbo_id":%d,"row_id":%d}}`, socketID, user, authTable, user)
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, wait)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func httpGet(t testing.TB, url string, header http.Header) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(bufio.NewReader(resp.Body))
	return resp, b
}

func memoryNetwork() *memory.Network { return memory.NewNetwork() }
