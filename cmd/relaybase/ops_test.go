package main

import (
	"net/http"
	"regexp"
	"testing"
	"time"
)

// TestMetrics: /metrics has the runtime's heap and stack figures the idle benchmark reads,
// the live heap as of the last GC, and the realtime server's counts.
func TestMetrics(t *testing.T) {
	s := startServer(t, "../../examples/chat", t.TempDir())
	member := dialRealtime(t, s.ws, "")
	member.send(map[string]any{"action": "join", "options": map[string]any{"channel": "marvel_chat_room"}, "payload": map[string]any{}})
	member.next("join")
	var body string
	for deadline := time.Now().Add(5 * time.Second); ; {
		r := s.do("GET", "/metrics", nil)
		wantStatus(t, r, http.StatusOK, "")
		body = string(r.body)
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
}
