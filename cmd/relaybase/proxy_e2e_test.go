package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"

	"relaybase/internal/testenv"
)

// proxyWorkspace has an endpoint that answers $env.$remote_ip, a per-IP rate limit of 3
// requests a minute, and a realtime channel ip/* whose trigger lets in only the client
// 198.51.100.40 ($env.$remote_ip).
func proxyWorkspace(t *testing.T) string {
	return testenv.TempFiles(t, map[string]string{
		"realtime/channel/ip.xs":      "realtime_channel \"ip/*\" {\n  settings = {anonymous_clients: true, nested_channels: true, message_history: 0, presence: false}\n}\n",
		"realtime/trigger/ip_gate.xs": "realtime_trigger ip_gate {\n  channel = \"ip/*\"\n  actions = {join: true}\n  stack {\n  }\n  response = $env.$remote_ip == \"198.51.100.40\"\n}\n",
		"workspace/w.xs":              "workspace w {\n  realtime = {canonical: \"w-rt\"}\n}\n",
		"relaybase.yaml":              "rate_limit: {ip: 3}\n",
		"api/w/api_group.xs":          "api_group w {\n  canonical = \"w\"\n}\n",
		"api/w/ip_get.xs":             "query ip verb=GET {\n  stack {\n  }\n  response = $env.$remote_ip\n}\n",
	})
}

// rtDial opens /rt/ with a token that does not verify and the given headers; pad > 0 pads
// the request past the 4 KiB the listener reads first, so that net/http upgrades it rather
// than the listener.
func rtDial(t *testing.T, s *server, pad int, kv ...string) {
	t.Helper()
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	if pad > 0 {
		h.Set("X-Pad", strings.Repeat("p", pad))
	}
	d := ws.Dialer{Protocols: []string{"not-a-token"}, Header: ws.HandshakeHeaderHTTP(h), Timeout: 5 * time.Second}
	nc, _, _, err := d.Dial(context.Background(), s.ws)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	nc.Close()
}

// joinIP joins ip/room over a connection opened with the given headers and returns the
// reply's action: "join", or "error" when the trigger refused.
func joinIP(t *testing.T, s *server, kv ...string) string {
	t.Helper()
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	conn, br, _, err := ws.Dialer{Header: ws.HandshakeHeaderHTTP(h), Timeout: 5 * time.Second}.Dial(context.Background(), s.ws)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	var r io.Reader = conn
	if br != nil {
		r = io.MultiReader(br, conn)
	}
	if err := wsutil.WriteClientText(conn, []byte(`{"action":"join","options":{"channel":"ip/room"},"payload":{}}`)); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		data, op, err := wsutil.ReadServerData(struct {
			io.Reader
			io.Writer
		}{r, conn})
		if err != nil {
			t.Fatalf("waiting for the join's answer: %v", err)
		}
		var f map[string]any
		if op == ws.OpText && json.Unmarshal(data, &f) == nil && (f["action"] == "join" || f["action"] == "error") {
			return f["action"].(string)
		}
	}
}

// waitLog waits for a line of the server's log that contains every one of parts.
func waitLog(t *testing.T, s *server, parts ...string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		for line := range strings.SplitSeq(s.stderr.String(), "\n") {
			all := true
			for _, p := range parts {
				all = all && strings.Contains(line, p)
			}
			if all {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no log line with %q:\n%s", parts, s.stderr)
		}
		time.Sleep(20 * time.Millisecond) // polling the log, with the deadline above
	}
}

// Without trusted_proxies, forwarding headers are ignored: a client that sends them is
// still its TCP peer, for $env.$remote_ip, the rate limit and realtime alike.
func TestForwardedHeadersIgnoredFromUntrustedPeers(t *testing.T) {
	s := startServer(t, proxyWorkspace(t), t.TempDir(), "--log-level", "debug")
	r := s.do("GET", "/api:w/ip", nil, "X-Forwarded-For", "198.51.100.4", "Forwarded", "for=198.51.100.5")
	wantStatus(t, r, http.StatusOK, "")
	if r.json != "127.0.0.1" {
		t.Fatalf("$env.$remote_ip = %v, want the peer 127.0.0.1", r.json)
	}
	// Every request claims another client; the limit of 3 is the peer's all the same.
	for i, ip := range []string{"198.51.100.6", "198.51.100.7"} {
		if r := s.do("GET", "/api:w/ip", nil, "X-Forwarded-For", ip); r.status != http.StatusOK {
			t.Fatalf("request %d: %d", i+2, r.status)
		}
	}
	wantStatus(t, s.do("GET", "/api:w/ip", nil, "X-Forwarded-For", "198.51.100.8"), http.StatusTooManyRequests, "ERROR_CODE_TOO_MANY_REQUESTS")
	rtDial(t, s, 0, "X-Forwarded-For", "198.51.100.9")
	waitLog(t, s, "token refused", "client=127.0.0.1")
	if got := joinIP(t, s, "X-Forwarded-For", "198.51.100.40"); got != "error" {
		t.Fatalf("a realtime trigger saw the spoofed address: the join got %q", got)
	}
	if strings.Contains(s.stderr.String(), "198.51.100.9") {
		t.Fatalf("a spoofed address reached the log:\n%s", s.stderr)
	}
}

// From a trusted proxy, the client is the one the proxy recorded: $env.$remote_ip, the
// rate limit's buckets, the access log, and realtime connections upgraded by the listener
// or by net/http.
func TestClientBehindTrustedProxy(t *testing.T) {
	s := startServer(t, proxyWorkspace(t), t.TempDir(), "--log-level", "debug", "--trusted-proxies", "127.0.0.1, 10.0.0.0/8")
	for _, tc := range []struct {
		name string
		kv   []string
		want string
	}{
		{"X-Forwarded-For", []string{"X-Forwarded-For", "198.51.100.4"}, "198.51.100.4"},
		{"spoofed hop left of the real one, trusted hop skipped", []string{"X-Forwarded-For", "1.1.1.1, 198.51.100.5, 10.2.3.4"}, "198.51.100.5"},
		{"Forwarded", []string{"Forwarded", `for="[2001:db8::1]:4711";proto=https`}, "2001:db8::1"},
		{"no header", nil, "127.0.0.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := s.do("GET", "/api:w/ip", nil, tc.kv...)
			wantStatus(t, r, http.StatusOK, "")
			if r.json != tc.want {
				t.Fatalf("$env.$remote_ip = %v, want %s", r.json, tc.want)
			}
			waitLog(t, s, "route=/api:w/ip", "client="+tc.want)
		})
	}
	// Each client has a bucket of its own.
	for range 2 {
		wantStatus(t, s.do("GET", "/api:w/ip", nil, "X-Forwarded-For", "198.51.100.4"), http.StatusOK, "")
	}
	wantStatus(t, s.do("GET", "/api:w/ip", nil, "X-Forwarded-For", "198.51.100.4"), http.StatusTooManyRequests, "ERROR_CODE_TOO_MANY_REQUESTS")
	wantStatus(t, s.do("GET", "/api:w/ip", nil, "X-Forwarded-For", "203.0.113.50"), http.StatusOK, "")

	rtDial(t, s, 0, "X-Forwarded-For", "198.51.100.20")
	waitLog(t, s, "token refused", "client=198.51.100.20")
	rtDial(t, s, 5000, "X-Forwarded-For", "198.51.100.21") // through net/http
	waitLog(t, s, "token refused", "client=198.51.100.21")

	// A realtime trigger's $env.$remote_ip is the client too.
	if got := joinIP(t, s, "X-Forwarded-For", "198.51.100.40"); got != "join" {
		t.Fatalf("the trigger refused the client it allows: %q", got)
	}
	if got := joinIP(t, s, "X-Forwarded-For", "198.51.100.41"); got != "error" {
		t.Fatalf("the trigger allowed another client: %q", got)
	}
}
