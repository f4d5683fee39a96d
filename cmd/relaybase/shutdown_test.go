package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestGracefulShutdown: on SIGTERM an in-flight request finishes and realtime members are
// closed with 1012, the code on which clients come back.
func TestGracefulShutdown(t *testing.T) {
	s := startServer(t, "testdata/e2e", t.TempDir())
	member := dialRealtime(t, s.ws, "")
	member.send(map[string]any{"action": "join", "options": map[string]any{"channel": "items"}, "payload": map[string]any{}})
	member.next("join")

	s.stderr.mu.Lock()
	s.stderr.watch, s.stderr.ready = regexp.MustCompile("slow request started"), make(chan struct{})
	began := s.stderr.ready
	s.stderr.mu.Unlock()
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("GET /api:t/slow HTTP/1.1\r\nHost: relaybase\r\nConnection: close\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	select {
	case <-began: // the handler is running: stop now, while it is in flight
	case <-time.After(10 * time.Second):
		t.Fatalf("the slow request never began: %s", s.stderr)
	}
	stopped := make(chan struct{})
	go func() { s.stop(); close(stopped) }()

	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("in-flight request was cut off: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"finished":true`) {
		t.Fatalf("in-flight request: %d %s", resp.StatusCode, body)
	}
	if code := member.closeCode(); code != 1012 {
		t.Fatalf("member's socket closed with %d, want 1012", code)
	}
	<-stopped
}
