package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the server goroutine to write while a test reads.
// When watch matches what was written, ready closes.
type syncBuffer struct {
	mu    sync.Mutex
	b     bytes.Buffer
	watch *regexp.Regexp
	ready chan struct{}
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, err := s.b.Write(p)
	if s.watch != nil && s.watch.Match(s.b.Bytes()) {
		close(s.ready)
		s.watch = nil
	}
	return n, err
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// server is relaybase started in-process by a test, exactly as `relaybase serve` runs.
type server struct {
	t      *testing.T
	base   string // http://127.0.0.1:PORT (https:// with --tls-cert)
	ws     string // ws://127.0.0.1:PORT/rt/CANONICAL (wss://)
	stdout *syncBuffer
	stderr *syncBuffer
	cancel context.CancelFunc
	done   chan int
}

var realtimeLine = regexp.MustCompile(`realtime: (wss?://[^ ]+)`)

// startServer runs `relaybase serve dir --addr 127.0.0.1:0 --data data` and waits until it
// prints its URLs.
func startServer(t *testing.T, dir, data string, extra ...string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{t: t, stdout: &syncBuffer{watch: realtimeLine, ready: make(chan struct{})}, stderr: &syncBuffer{}, cancel: cancel, done: make(chan int, 1)}
	args := append([]string{"serve", dir, "--addr", "127.0.0.1:0", "--data", data}, extra...)
	getenv := func(k string) string {
		if k == "RELAYBASE_ENV_GREETING" {
			return "hello from the environment"
		}
		return ""
	}
	go func() { s.done <- run(ctx, args, getenv, s.stdout, s.stderr) }()
	select {
	case <-s.stdout.ready:
		m := realtimeLine.FindStringSubmatch(s.stdout.String())
		s.ws = strings.Replace(m[1], "localhost", "127.0.0.1", 1)
		scheme, rest, _ := strings.Cut(s.ws, "://")
		s.base = strings.Replace(scheme, "ws", "http", 1) + "://" + strings.SplitN(rest, "/", 2)[0]
	case code := <-s.done:
		t.Fatalf("relaybase exited with %d before serving:\nstdout: %s\nstderr: %s", code, s.stdout, s.stderr)
	case <-time.After(30 * time.Second):
		t.Fatalf("relaybase did not start:\nstdout: %s\nstderr: %s", s.stdout, s.stderr)
	}
	t.Cleanup(func() { s.stop() })
	return s
}

// stop sends the equivalent of SIGTERM and waits for a clean exit.
func (s *server) stop() {
	if s.cancel == nil {
		return
	}
	s.cancel()
	s.cancel = nil
	select {
	case code := <-s.done:
		if code != 0 {
			s.t.Errorf("relaybase exited with %d:\n%s", code, s.stderr)
		}
	case <-time.After(20 * time.Second):
		s.t.Errorf("relaybase did not stop")
	}
}

type reply struct {
	status int
	header http.Header
	body   []byte
	json   any
}

func (s *server) do(method, path string, body any, headers ...string) reply {
	s.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			s.t.Fatal(err)
		}
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, s.base+path, r)
	if err != nil {
		s.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	out := reply{status: resp.StatusCode, header: resp.Header, body: data}
	_ = json.Unmarshal(data, &out.json)
	return out
}

// field digs into decoded JSON by keys and indexes: field(v, "items", 0, "text").
func field(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			a, _ := v.([]any)
			if k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}

func wantStatus(t *testing.T, r reply, status int, code string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body %s", r.status, status, r.body)
	}
	if code != "" {
		if got := field(r.json, "code"); got != code {
			t.Fatalf("code = %v, want %s; body %s", got, code, r.body)
		}
	}
	if r.header.Get("X-Request-Id") == "" {
		t.Fatalf("response has no X-Request-Id")
	}
}
