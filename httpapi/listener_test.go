package httpapi

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeRealtime owns /rt/canon; upgrades reach UpgradeConn (straight from the listener) or
// ServeHTTP (through net/http), and each is recorded.
type fakeRealtime struct {
	mu     sync.Mutex
	direct []string // head + "|" + rest
	viaMux []string // the request's path
}

func (f *fakeRealtime) Owns(path string) bool { return path == "/rt/canon" }

func (f *fakeRealtime) UpgradeConn(nc net.Conn, head, rest []byte) {
	f.mu.Lock()
	f.direct = append(f.direct, string(head)+"|"+string(rest))
	f.mu.Unlock()
	_, _ = io.WriteString(nc, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\ndirect")
	nc.Close()
}

func (f *fakeRealtime) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.viaMux = append(f.viaMux, r.URL.Path)
	f.mu.Unlock()
	w.WriteHeader(http.StatusTeapot)
}

func (f *fakeRealtime) counts() (int, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.direct), len(f.viaMux)
}

func TestListenerRoutesUpgradesPastNetHTTP(t *testing.T) {
	rt := &fakeRealtime{}
	s := New(Config{Realtime: rt})
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := s.Listener(inner)
	hs := &http.Server{Handler: s, ReadHeaderTimeout: 5 * time.Second}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(l) }()
	t.Cleanup(func() {
		hs.Close()
		<-served
	})
	addr := inner.Addr().String()

	// exchange sends the request in parts (one write each) and returns the response's first
	// line and what followed the headers.
	exchange := func(parts ...string) (status, body string) {
		t.Helper()
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		for i, p := range parts {
			if i > 0 {
				time.Sleep(20 * time.Millisecond) // a separate segment, so a separate read
			}
			if _, err := io.WriteString(c, p); err != nil {
				t.Fatal(err)
			}
		}
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("%q: %v", parts, err)
		}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 100))
		resp.Body.Close()
		return resp.Status, string(b)
	}
	upgrade := "GET /rt/canon?x=1 HTTP/1.1\r\nHost: h\r\nupgrade:  WebSocket \r\nConnection: Upgrade\r\n\r\n"

	if st, _ := exchange(upgrade + "early"); st != "101 Switching Protocols" {
		t.Fatalf("upgrade answered %q", st)
	}
	if d, m := rt.counts(); d != 1 || m != 0 {
		t.Fatalf("direct %d, via net/http %d; want the upgrade straight from the listener", d, m)
	}
	if got := rt.direct[0]; got != upgrade+"|early" {
		t.Fatalf("UpgradeConn got %q", got)
	}

	for _, tc := range []struct {
		name  string
		parts []string
		want  string
	}{
		{"an upgrade whose headers come in two segments", []string{"GET /rt/canon HTTP/1.1\r\nHost: h\r\n", "Upgrade: websocket\r\nConnection: Upgrade\r\n\r\n"}, "418 I'm a teapot"},
		{"another path under /rt/", []string{"GET /rt/other HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"}, "418 I'm a teapot"},
		{"no upgrade asked for", []string{"GET /rt/canon HTTP/1.1\r\nHost: h\r\n\r\n"}, "418 I'm a teapot"},
		{"another route", []string{"GET /healthz HTTP/1.1\r\nHost: h\r\n\r\n"}, "200 OK"},
		{"a POST with a body, in parts", []string{"POST /api:x/y HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\n", "{}"}, "404 Not Found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if st, _ := exchange(tc.parts...); st != tc.want {
				t.Fatalf("answered %q, want %q", st, tc.want)
			}
		})
	}
	if d, _ := rt.counts(); d != 1 {
		t.Fatalf("%d upgrades went straight to the realtime server, want only the first", d)
	}
	if !strings.HasPrefix(rt.viaMux[0], "/rt/canon") {
		t.Fatalf("the split upgrade reached net/http as %q", rt.viaMux[0])
	}
}

// Close ends the accept loop and connections that never sent anything.
func TestListenerClose(t *testing.T) {
	s := New(Config{Realtime: &fakeRealtime{}})
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := s.Listener(inner)
	silent, err := net.Dial("tcp", inner.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	done := make(chan error, 1)
	go func() { _, err := l.Accept(); done <- err }()
	closed := make(chan struct{})
	go func() { l.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close waited for a silent connection")
	}
	if err := <-done; err == nil {
		t.Fatal("Accept after Close returned a connection")
	}
	_ = silent.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := silent.Read(make([]byte, 1)); err == nil {
		t.Fatal("the silent connection is still open")
	}
}

// Without a realtime server that can take connections, Listener reads nothing ahead (no
// goroutine of its own) and only gives net/http's own answers the JSON error body.
func TestListenerPlain(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer inner.Close()
	s := New(Config{})
	l := s.Listener(inner)
	if _, ok := l.(errorBodyListener); !ok {
		t.Fatalf("Listener is a %T", l)
	}
	hs := &http.Server{Handler: s}
	go func() { _ = hs.Serve(l) }()
	defer hs.Close()
	nc, err := net.Dial("tcp", inner.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := nc.Write([]byte("GET /healthz HTTP/1.1\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(nc)
	checkErrorResponse(t, out, http.StatusBadRequest)
}
