package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// metricsURL is the /metrics address the server logged for --metrics-addr.
func (s *server) metricsURL() string {
	s.t.Helper()
	m := regexp.MustCompile(`msg=metrics url=(http://\S+/metrics)`).FindStringSubmatch(s.stderr.String())
	if m == nil {
		s.t.Fatalf("no metrics url in the log:\n%s", s.stderr)
	}
	return m[1]
}

// scrape GETs a /metrics URL (with a bearer token when given) and returns its status and body.
func scrape(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// TestMetricsAddr: --metrics-addr serves /metrics on a listener of its own, with the
// runtime's heap and stack figures the idle benchmark reads, the live heap as of the last
// GC, and the realtime server's counts; the API address does not serve it.
func TestMetricsAddr(t *testing.T) {
	s := startServer(t, "../../examples/chat", t.TempDir(), "--metrics-addr", "127.0.0.1:0")
	url := s.metricsURL()
	if strings.HasPrefix(url, s.base) {
		t.Fatalf("metrics url %s is the API address %s", url, s.base)
	}
	member := dialRealtime(t, s.ws, "")
	member.send(map[string]any{"action": "join", "options": map[string]any{"channel": "marvel_chat_room"}, "payload": map[string]any{}})
	member.next("join")
	var body string
	for deadline := time.Now().Add(5 * time.Second); ; {
		status, b := scrape(t, url, "")
		if status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", url, status, b)
		}
		body = b
		if regexp.MustCompile(`(?m)^relaybase_realtime_members 1$`).MatchString(body) || time.Now().After(deadline) {
			break
		}
	}
	for _, want := range []string{
		`(?m)^relaybase_realtime_connections 1$`,
		`(?m)^relaybase_realtime_members 1$`,
		`(?m)^go_gc_heap_live_bytes \d`,
		`(?m)^go_memstats_heap_alloc_bytes \d`,
		`(?m)^go_memstats_stack_inuse_bytes \d`,
		`(?m)^go_goroutines \d`,
	} {
		if !regexp.MustCompile(want).MatchString(body) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	r := s.do("GET", "/metrics", nil)
	wantStatus(t, r, http.StatusNotFound, "ERROR_CODE_NOT_FOUND")
}

// TestMetricsToken: with metrics_token the API address serves /metrics to that bearer token
// only; without one it serves no /metrics at all.
func TestMetricsToken(t *testing.T) {
	s := startServer(t, "../../examples/chat", t.TempDir(), "--metrics-token", "s3cret-metrics")
	for _, tc := range []struct {
		name, token string
		status      int
	}{
		{"no token", "", http.StatusUnauthorized},
		{"wrong token", "s3cret-metricz", http.StatusUnauthorized},
		{"token", "s3cret-metrics", http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := scrape(t, s.base+"/metrics", tc.token)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %s", status, tc.status, body)
			}
			if tc.status == http.StatusOK && !strings.Contains(body, "relaybase_http_requests_total") {
				t.Fatalf("/metrics lacks relaybase_http_requests_total:\n%s", body)
			}
			if tc.status != http.StatusOK && strings.Contains(body, "relaybase_") {
				t.Fatalf("refused /metrics leaks metrics: %s", body)
			}
		})
	}
}

// logLines returns the JSON log lines of stderr whose msg is msg.
func logLines(t *testing.T, stderr, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(stderr))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil && m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}

// TestAccessLogHTTP: one JSON line per request with its method, route pattern (not its raw
// path), status, duration, bytes, request id and client address; access_log=off writes none.
func TestAccessLogHTTP(t *testing.T) {
	s := startServer(t, "../../examples/chat", t.TempDir(), "--access-log-format", "json")
	ok := s.do("GET", "/api:chat/messages?channel=marvel_chat_room", nil)
	wantStatus(t, ok, http.StatusOK, "")
	static := s.do("GET", "/no/such/secret-file", nil)
	wantStatus(t, static, http.StatusNotFound, "")
	missing := s.do("POST", "/no/such/secret-path", nil)
	wantStatus(t, missing, http.StatusNotFound, "")
	var lines []map[string]any
	for deadline := time.Now().Add(5 * time.Second); len(lines) < 3 && time.Now().Before(deadline); {
		lines = logLines(t, s.stderr.String(), "request")
	}
	byID := map[string]map[string]any{}
	for _, l := range lines {
		byID[l["request_id"].(string)] = l
	}
	for _, tc := range []struct {
		r      reply
		method string
		route  string
		status float64
	}{
		{ok, "GET", "/api:chat/messages", 200},
		{static, "GET", "static", 404},
		{missing, "POST", "unmatched", 404},
	} {
		id := tc.r.header.Get("X-Request-Id")
		l := byID[id]
		if l == nil {
			t.Fatalf("no access log line for request %s in:\n%s", id, s.stderr)
		}
		if l["level"] != "INFO" || l["method"] != tc.method || l["route"] != tc.route || l["status"] != tc.status ||
			l["bytes"] != float64(len(tc.r.body)) || l["client"] != "127.0.0.1" {
			t.Errorf("access log line %v, want %s %s %v with %d bytes from 127.0.0.1", l, tc.method, tc.route, tc.status, len(tc.r.body))
		}
		if d, _ := l["duration"].(float64); d <= 0 {
			t.Errorf("access log line %v: duration %v", l, l["duration"])
		}
	}
	if strings.Contains(s.stderr.String(), "secret-") {
		t.Errorf("the raw path of an unmatched request reached the log:\n%s", s.stderr)
	}

	off := startServer(t, "../../examples/chat", t.TempDir(), "--access-log", "off", "--log-format", "json")
	wantStatus(t, off.do("GET", "/healthz", nil), http.StatusOK, "")
	off.stop()
	if l := logLines(t, off.stderr.String(), "request"); len(l) != 0 {
		t.Errorf("access_log=off wrote %v", l)
	}
}
