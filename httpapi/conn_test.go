package httpapi

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
)

// jsonErrorResponse takes net/http's own answers, and nothing that a handler writes.
func TestJSONErrorResponse(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		status   int // 0: left as it is
	}{
		{"431", "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n431 Request Header Fields Too Large", 431},
		{"400", "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n400 Bad Request", 400},
		{"400 with reason", "HTTP/1.1 400 Bad Request: missing required Host header\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n400 Bad Request: missing required Host header", 400},
		{"501", "HTTP/1.1 501 Not Implemented\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\nUnsupported transfer encoding", 501},
		{"handler response", "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nX-Request-Id: 1\r\nDate: Fri, 04 Dec 2026 18:00:00 GMT\r\nContent-Length: 3\r\n\r\nbad", 0},
		{"200", "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\nok", 0},
		{"body alone", "400 Bad Request", 0},
		{"two lines in the body", "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\nHTTP/1.1 200 OK\r\n", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, ok := jsonErrorResponse([]byte(tc.in), DefaultMaxHeaderBytes)
			if ok != (tc.status != 0) {
				t.Fatalf("taken = %v, want %v", ok, tc.status != 0)
			}
			if !ok {
				return
			}
			checkErrorResponse(t, out, tc.status)
		})
	}
}

func checkErrorResponse(t *testing.T, out []byte, status int) {
	t.Helper()
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(out)), nil)
	if err != nil {
		t.Fatalf("not an HTTP answer: %q: %v", out, err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("body of %q: %v", out, err)
	}
	var e map[string]any
	if resp.StatusCode != status || resp.Header.Get("Content-Type") != "application/json; charset=utf-8" ||
		json.Unmarshal(body, &e) != nil || e["code"] == nil || e["message"] == "" || !resp.Close {
		t.Fatalf("got %q", out)
	}
}

// FuzzJSONErrorResponse: whatever is written, an answer taken for net/http's own becomes
// one whole HTTP answer with the status it had and a JSON error body.
func FuzzJSONErrorResponse(f *testing.F) {
	f.Add([]byte("HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n431 Request Header Fields Too Large"))
	f.Add([]byte("HTTP/1.1 400 Bad Request: malformed Host header\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n400 Bad Request: malformed Host header"))
	f.Add([]byte("HTTP/1.1 200 OK\r\nDate: x\r\n\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		out, ok := jsonErrorResponse(b, 1234)
		if !ok {
			return
		}
		status := int(b[9]-'0')*100 + int(b[10]-'0')*10 + int(b[11]-'0')
		checkErrorResponse(t, out, status)
	})
}
