package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// rawRequest writes req on a new TCP connection to s and reads the answer whole: the
// status line and headers net/http parsed, and the body bytes as they came.
func rawRequest(t *testing.T, s *server, req string) (*http.Response, []byte) {
	t.Helper()
	nc, err := net.Dial("tcp", strings.TrimPrefix(s.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(nc, req); err != nil {
		t.Fatalf("write: %v", err)
	}
	all, err := io.ReadAll(nc)
	if err != nil && len(all) == 0 {
		t.Fatalf("read: %v", err)
	}
	head, body, ok := bytes.Cut(all, []byte("\r\n\r\n"))
	if !ok {
		t.Fatalf("no whole answer: %q", all)
	}
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(append(head, "\r\n\r\n"...))), nil)
	if err != nil {
		t.Fatalf("answer %q: %v", head, err)
	}
	return resp, body
}

// wantJSONError checks an answer's status and that its body is relaybase's error body.
func wantJSONError(t *testing.T, resp *http.Response, body []byte, status int, code string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d; body %q", resp.StatusCode, status, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Fatalf("Content-Type %q, want JSON; body %q", ct, body)
	}
	if cl := resp.Header.Get("Content-Length"); cl != strconv.Itoa(len(body)) {
		t.Fatalf("Content-Length %s, body %d bytes", cl, len(body))
	}
	var e map[string]any
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("body is not JSON: %q", body)
	}
	if e["code"] != code || e["message"] == "" || e["payload"] != "" || len(e) != 3 {
		t.Fatalf("body %s, want {code: %s, message, payload: \"\"}", body, code)
	}
}

// HEAD on a GET endpoint (and on a static file) answers as GET does, without the body.
func TestHeadAnswersLikeGet(t *testing.T) {
	s := startServer(t, "../../examples/chat", t.TempDir())
	for _, path := range []string{"/api:chat/messages?channel=lobby", "/", "/healthz"} {
		t.Run(path, func(t *testing.T) {
			get := s.do("GET", path, nil)
			if get.status != http.StatusOK || len(get.body) == 0 {
				t.Fatalf("GET %s: %d %q", path, get.status, get.body)
			}
			resp, body := rawRequest(t, s, "HEAD "+path+" HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("HEAD %s: %d", path, resp.StatusCode)
			}
			if len(body) != 0 {
				t.Fatalf("HEAD %s sent a body: %q", path, body)
			}
			if got, want := resp.Header.Get("Content-Type"), get.header.Get("Content-Type"); got != want {
				t.Fatalf("HEAD Content-Type %q, GET's %q", got, want)
			}
			if cl := resp.Header.Get("Content-Length"); cl != "" && cl != strconv.Itoa(len(get.body)) {
				t.Fatalf("HEAD Content-Length %s, GET's body is %d bytes", cl, len(get.body))
			}
			if resp.Header.Get("X-Request-Id") == "" {
				t.Fatal("HEAD answer has no X-Request-Id")
			}
		})
	}
	t.Run("no endpoint", func(t *testing.T) {
		resp, body := rawRequest(t, s, "HEAD /api:chat/nothing HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
		if resp.StatusCode != http.StatusNotFound || len(body) != 0 {
			t.Fatalf("HEAD of no endpoint: %d %q", resp.StatusCode, body)
		}
	})
	t.Run("inputs checked", func(t *testing.T) {
		// The GET endpoint runs: a missing input is its 400.
		resp, _ := rawRequest(t, s, "HEAD /api:chat/messages HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("HEAD without the channel input: %d, want 400", resp.StatusCode)
		}
	})
}

// The answers net/http writes itself to a request it cannot read carry relaybase's error
// body, and the header limit is max_header_bytes (64 KiB by default), on every path.
func TestGoOwnErrorsAreJSON(t *testing.T) {
	s := startServer(t, "../../examples/chat", t.TempDir())
	for _, tc := range []struct{ name, req string }{
		{"malformed header line", "GET /healthz HTTP/1.1\r\nHost: localhost\r\nno colon here\r\n\r\n"},
		{"no Host", "GET /healthz HTTP/1.1\r\n\r\n"},
		{"bad request line", "GARBAGE\r\n\r\n"},
		{"malformed Host", "GET /healthz HTTP/1.1\r\nHost: a b\r\n\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := rawRequest(t, s, tc.req)
			wantJSONError(t, resp, body, http.StatusBadRequest, "ERROR_CODE_INPUT_ERROR")
			if resp.Header.Get("X-Request-Id") == "" {
				t.Fatal("no X-Request-Id")
			}
		})
	}
	t.Run("unknown transfer coding", func(t *testing.T) {
		resp, body := rawRequest(t, s, "POST /api:chat/messages HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: rot13\r\n\r\n")
		wantJSONError(t, resp, body, http.StatusNotImplemented, "ERROR_CODE_NOT_IMPLEMENTED")
	})
	t.Run("headers past 64 KiB", func(t *testing.T) {
		big := strings.Repeat("x", 70<<10)
		resp, body := rawRequest(t, s, "GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Big: "+big+"\r\n\r\n")
		wantJSONError(t, resp, body, http.StatusRequestHeaderFieldsTooLarge, "ERROR_CODE_INPUT_ERROR")
		if !bytes.Contains(body, []byte("65536 bytes")) {
			t.Fatalf("the message does not name the limit: %s", body)
		}
	})
	t.Run("headers under 64 KiB", func(t *testing.T) {
		big := strings.Repeat("x", 60<<10)
		resp, _ := rawRequest(t, s, "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nX-Big: "+big+"\r\n\r\n")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("60 KiB of headers: %d, want 200", resp.StatusCode)
		}
	})
	t.Run("a good request after a bad one", func(t *testing.T) {
		if r := s.do("GET", "/healthz", nil); r.status != http.StatusOK {
			t.Fatalf("healthz: %d", r.status)
		}
	})
}

// max_header_bytes holds for endpoints and for realtime upgrades alike.
func TestMaxHeaderBytes(t *testing.T) {
	s := startServer(t, "../../examples/chat", t.TempDir(), "--max-header-bytes", "8KiB")
	rt := strings.TrimPrefix(s.ws, "ws://"+strings.TrimPrefix(s.base, "http://"))
	upgrade := func(pad int) string {
		return "GET " + rt + " HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
			"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nX-Pad: " + strings.Repeat("p", pad) + "\r\n\r\n"
	}
	for _, tc := range []struct {
		name   string
		req    string
		status int
	}{
		{"endpoint under", "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nX-Pad: " + strings.Repeat("p", 6<<10) + "\r\n\r\n", 200},
		{"endpoint over", "GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Pad: " + strings.Repeat("p", 9<<10) + "\r\n\r\n", 431},
		{"small upgrade", upgrade(100), 101},
		{"upgrade under", upgrade(6 << 10), 101},
		{"upgrade over", upgrade(9 << 10), 431},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nc, err := net.Dial("tcp", strings.TrimPrefix(s.base, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
			if _, err := io.WriteString(nc, tc.req); err != nil {
				t.Fatal(err)
			}
			br := bufio.NewReader(nc)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if tc.status == 431 {
				body, _ := io.ReadAll(resp.Body)
				wantJSONError(t, resp, body, 431, "ERROR_CODE_INPUT_ERROR")
			}
		})
	}
}
