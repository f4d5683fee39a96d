package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"

	"relaybase/internal/testenv"
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

// sample is the value of one sample of a Prometheus text exposition (labels in any
// order), and whether it is there.
func sample(body, name string, labels map[string]string) (float64, bool) {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + `="` + labels[k] + `"`
	}
	prefix := name
	if len(parts) > 0 {
		prefix += "{" + strings.Join(parts, ",") + "}"
	}
	for _, line := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(line, prefix+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return f, err == nil
		}
	}
	return 0, false
}

// closeClient sends a close frame with code 1000 and waits for the server's.
func (c *rtClient) closeClient() {
	c.t.Helper()
	if err := wsutil.WriteClientMessage(c.conn, ws.OpClose, ws.NewCloseFrameBody(1000, "bye")); err != nil {
		c.t.Fatalf("send close: %v", err)
	}
	if code := c.closeCode(); code != 1000 {
		c.t.Fatalf("close answered with %d, want 1000", code)
	}
}

// TestMetricsSession runs a scripted session against a real server — endpoint calls, one of
// them an error, legacy and current realtime clients that join, are refused, send junk, ask
// for history, receive events, and one too slow for its queue — and checks that every
// family counts exactly what the session did, and that every connection closed left its
// access log line.
func TestMetricsSession(t *testing.T) {
	s := startServer(t, "../../examples/chat", t.TempDir(), "--metrics-addr", "127.0.0.1:0",
		"--rt-out-queue", "1500B", "--access-log-format", "json")
	wsURL := strings.Replace(s.ws, "/rt/", "/ws/", 1)
	wsURL = wsURL[:strings.LastIndex(wsURL, "/")+1] + "chatv2"

	// HTTP: a read, an input error, and two posts whose events fan out.
	wantStatus(t, s.do("GET", "/api:chat/messages?channel=marvel_chat_room", nil), http.StatusOK, "")
	wantStatus(t, s.do("POST", "/api:chat/messages", map[string]any{"channel": "marvel_chat_room"}), http.StatusBadRequest, "ERROR_CODE_INPUT_ERROR")

	// /rt/: a joins and reads the history; b is refused a join and sends junk; c joins a
	// room whose next event is bigger than its whole outbound queue.
	a := dialRealtime(t, s.ws, "")
	a.send(map[string]any{"action": "join", "options": map[string]any{"channel": "marvel_chat_room"}, "payload": map[string]any{}})
	a.next("join")
	a.send(map[string]any{"action": "history", "options": map[string]any{"channel": "marvel_chat_room"}, "payload": map[string]any{}})
	a.next("history")
	b := dialRealtime(t, s.ws, "")
	b.send(map[string]any{"action": "join", "options": map[string]any{"channel": "no_such_channel"}, "payload": map[string]any{}})
	if e := b.next("error"); field(e, "payload", "code") != "channel_not_found" {
		t.Fatalf("join of no_such_channel answered %v", e)
	}
	if err := wsutil.WriteClientText(b.conn, []byte("junk")); err != nil {
		t.Fatal(err)
	}
	b.next("error")
	c := dialRealtime(t, s.ws, "")
	c.send(map[string]any{"action": "join", "options": map[string]any{"channel": "room/big"}, "payload": map[string]any{}})
	c.next("join")

	wantStatus(t, s.do("POST", "/api:chat/messages", map[string]any{"channel": "marvel_chat_room", "text": "hi", "author": "Ops"}), http.StatusOK, "")
	a.next("event")
	wantStatus(t, s.do("POST", "/api:chat/messages", map[string]any{"channel": "room/big", "text": strings.Repeat("x", 2000), "author": "Ops"}), http.StatusOK, "")
	if code := c.closeCode(); code != 1013 {
		t.Fatalf("the slow consumer was closed with %d, want 1013", code)
	}

	// /ws/: d joins a room, is refused another, sends junk, and leaves.
	d := dialRealtime(t, wsURL, "")
	d.send(map[string]any{"action": "join", "channel": "rooms/ops"})
	d.next("conversation_end")
	d.send(map[string]any{"action": "join", "channel": "nowhere/at/all"})
	if e := d.next("error"); field(e, "payload", "code") != "channel_not_found" {
		t.Fatalf("ws join of nowhere/at/all answered %v", e)
	}
	if err := wsutil.WriteClientText(d.conn, []byte("junk")); err != nil {
		t.Fatal(err)
	}
	d.next("error")

	a.closeClient()
	b.closeClient()
	d.closeClient()

	type want struct {
		name   string
		labels map[string]string
		value  float64
	}
	l := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	wants := []want{
		{"relaybase_http_requests_total", l("route", "/api:chat/messages", "method", "GET", "status", "2xx"), 1},
		{"relaybase_http_requests_total", l("route", "/api:chat/messages", "method", "POST", "status", "4xx"), 1},
		{"relaybase_http_requests_total", l("route", "/api:chat/messages", "method", "POST", "status", "2xx"), 2},
		{"relaybase_http_requests_total", l("route", "/ws/", "method", "GET", "status", "1xx"), 1},
		{"relaybase_http_request_duration_seconds_count", l("route", "/api:chat/messages", "method", "POST", "status", "2xx"), 2},
		{"relaybase_endpoint_errors_total", l("code", "ERROR_CODE_INPUT_ERROR"), 1},

		{"relaybase_realtime_connections_opened_total", l("protocol", "rt"), 3},
		{"relaybase_realtime_connections_opened_total", l("protocol", "ws"), 1},
		{"relaybase_realtime_frames_in_total", l("protocol", "rt", "action", "join"), 3},
		{"relaybase_realtime_frames_in_total", l("protocol", "rt", "action", "history"), 1},
		{"relaybase_realtime_frames_in_total", l("protocol", "rt", "action", "invalid"), 1},
		{"relaybase_realtime_frames_in_total", l("protocol", "ws", "action", "join"), 2},
		{"relaybase_realtime_frames_in_total", l("protocol", "ws", "action", "invalid"), 1},
		{"relaybase_realtime_frames_out_total", l("protocol", "rt", "action", "join"), 2},
		{"relaybase_realtime_frames_out_total", l("protocol", "rt", "action", "history"), 1},
		{"relaybase_realtime_frames_out_total", l("protocol", "rt", "action", "error"), 2},
		{"relaybase_realtime_frames_out_total", l("protocol", "rt", "action", "event"), 2},
		{"relaybase_realtime_frames_out_total", l("protocol", "ws", "action", "join"), 1},
		{"relaybase_realtime_frames_out_total", l("protocol", "ws", "action", "presence_full"), 1},
		{"relaybase_realtime_frames_out_total", l("protocol", "ws", "action", "conversation_end"), 1},
		{"relaybase_realtime_frames_out_total", l("protocol", "ws", "action", "error"), 2},
		{"relaybase_realtime_deliveries_total", l("protocol", "rt"), 2},
		{"relaybase_realtime_joins_refused_total", l("protocol", "rt", "reason", "channel_not_found"), 1},
		{"relaybase_realtime_joins_refused_total", l("protocol", "ws", "reason", "channel_not_found"), 1},
		{"relaybase_realtime_history_reads_total", l("protocol", "rt"), 1},
		{"relaybase_realtime_history_reads_total", l("protocol", "ws"), 1},
		{"relaybase_realtime_slow_consumer_closes_total", l("protocol", "rt"), 1},
		{"relaybase_realtime_slow_consumer_closes_total", l("protocol", "ws"), 0},
		{"relaybase_realtime_closes_total", l("protocol", "rt", "code", "1000"), 2},
		{"relaybase_realtime_closes_total", l("protocol", "rt", "code", "1013"), 1},
		{"relaybase_realtime_closes_total", l("protocol", "ws", "code", "1000"), 1},
		{"relaybase_realtime_gap_repairs_total", nil, 0},
		{"relaybase_realtime_history_gaps_total", nil, 0},
	}
	var body string
	for deadline := time.Now().Add(10 * time.Second); ; {
		_, body = scrape(t, s.metricsURL(), "")
		v1, _ := sample(body, "relaybase_realtime_closes_total", l("protocol", "rt", "code", "1000"))
		v2, _ := sample(body, "relaybase_realtime_closes_total", l("protocol", "ws", "code", "1000"))
		if v1 == 2 && v2 == 1 || time.Now().After(deadline) {
			break
		}
	}
	for _, w := range wants {
		got, ok := sample(body, w.name, w.labels)
		if !ok || got != w.value {
			t.Errorf("%s%v = %v (present %v), want %v", w.name, w.labels, got, ok, w.value)
		}
	}
	for _, name := range []string{"relaybase_realtime_writes_total", "relaybase_realtime_written_bytes_total"} {
		if v, _ := sample(body, name, nil); v <= 0 {
			t.Errorf("%s = %v, want > 0", name, v)
		}
	}
	if t.Failed() {
		t.Logf("/metrics:\n%s", body)
	}

	// One access log line per connection closed, with what it did.
	var lines []map[string]any
	for deadline := time.Now().Add(5 * time.Second); len(lines) < 4 && time.Now().Before(deadline); {
		lines = logLines(t, s.stderr.String(), "realtime connection closed")
	}
	if len(lines) != 4 {
		t.Fatalf("%d realtime access log lines, want 4 (a, b, c, d):\n%s", len(lines), s.stderr)
	}
	type closed struct {
		protocol      string
		in, out, code float64
		reason        string
	}
	var got []closed
	for _, l := range lines {
		if d, _ := l["duration"].(float64); d <= 0 || l["client"] == "" || l["socket"] == "" {
			t.Errorf("access log line %v lacks its duration, client or socket", l)
		}
		got = append(got, closed{l["protocol"].(string), l["frames_in"].(float64), l["frames_out"].(float64), l["close_code"].(float64), l["reason"].(string)})
	}
	sort.Slice(got, func(i, j int) bool { return fmt.Sprint(got[i]) < fmt.Sprint(got[j]) })
	wantClosed := []closed{
		{"rt", 1, 1, 1013, "too slow: outbound queue full"}, // c: its join and the reply; the event overflowed
		{"rt", 2, 2, 1000, "closed by the client"},          // b: join, junk; two errors
		{"rt", 2, 3, 1000, "closed by the client"},          // a: join, history; their replies and an event
	}
	for i, w := range wantClosed {
		if got[i] != w {
			t.Errorf("access log %d = %+v, want %+v", i, got[i], w)
		}
	}
	if w := got[3]; w.protocol != "ws" || w.in != 3 || w.code != 1000 || w.reason != "closed by the client" {
		t.Errorf("ws access log = %+v, want 3 frames in, closed by the client with 1000", w)
	}
}

// TestMetricsTasksAndDatabase: a node's scheduled task runs are counted as they happen (the
// rows they add are the runs), and the database's transactions and pool are reported.
func TestMetricsTasksAndDatabase(t *testing.T) {
	dir := testenv.TempFiles(t, taskWorkspace)
	s := startServer(t, dir, t.TempDir(), "--metrics-addr", "127.0.0.1:0")
	url := s.metricsURL()
	ok := map[string]string{"task": "every_second", "result": "ok"}
	var runs float64
	for deadline := time.Now().Add(15 * time.Second); runs < 2; {
		if time.Now().After(deadline) {
			t.Fatalf("the every-second task was not counted twice in 15s")
		}
		_, body := scrape(t, url, "")
		runs, _ = sample(body, "relaybase_task_runs_total", ok)
	}
	// Each run adds one row: the count read between two scrapes lies between them.
	_, before := scrape(t, url, "")
	r := s.do("GET", "/api:app/ticks", nil)
	wantStatus(t, r, http.StatusOK, "")
	_, after := scrape(t, url, "")
	lo, _ := sample(before, "relaybase_task_runs_total", ok)
	hi, _ := sample(after, "relaybase_task_runs_total", ok)
	if n, _ := r.json.(float64); n < lo || n > hi {
		t.Errorf("%v scheduled rows, but %v then %v runs counted", n, lo, hi)
	}
	if d, _ := sample(after, "relaybase_task_run_duration_seconds_count", map[string]string{"task": "every_second"}); d < hi {
		t.Errorf("%v run durations for %v runs", d, hi)
	}
	// The read endpoint's transaction, and the tasks' writes.
	reads, _ := sample(after, "relaybase_db_transaction_duration_seconds_count", map[string]string{"mode": "read", "outcome": "rollback"})
	readsBefore, _ := sample(before, "relaybase_db_transaction_duration_seconds_count", map[string]string{"mode": "read", "outcome": "rollback"})
	reads2, _ := sample(after, "relaybase_db_transaction_duration_seconds_count", map[string]string{"mode": "read", "outcome": "commit"})
	readsBefore2, _ := sample(before, "relaybase_db_transaction_duration_seconds_count", map[string]string{"mode": "read", "outcome": "commit"})
	if got := reads + reads2 - readsBefore - readsBefore2; got < 1 {
		t.Errorf("the GET's read transaction was not counted (%v more)", got)
	}
	if w, _ := sample(after, "relaybase_db_transaction_duration_seconds_count", map[string]string{"mode": "write", "outcome": "commit"}); w < hi {
		t.Errorf("%v write commits for %v task runs that each added a row", w, hi)
	}
	if max, ok := sample(after, "relaybase_db_connections_max", nil); !ok || max < 2 {
		t.Errorf("relaybase_db_connections_max = %v (present %v)", max, ok)
	}
	if idle, ok := sample(after, "relaybase_db_connections", map[string]string{"state": "idle"}); !ok || idle < 1 {
		t.Errorf("relaybase_db_connections{state=idle} = %v (present %v)", idle, ok)
	}
}
