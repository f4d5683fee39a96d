package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"relaybase/internal/testenv"
)

// TestStackTimeoutOverHTTP: --stack-timeout stops an endpoint that runs past it (slow
// sleeps a second) with a 500 that names the limit; the server goes on serving.
func TestStackTimeoutOverHTTP(t *testing.T) {
	s := startServer(t, "testdata/e2e", t.TempDir(), "--stack-timeout", "200ms")
	r := s.do("GET", "/api:t/slow", nil)
	wantStatus(t, r, http.StatusInternalServerError, "ERROR_FATAL")
	if msg, _ := field(r.json, "message").(string); !strings.Contains(msg, "limit of 200ms") {
		t.Fatalf("message %q does not name the limit", msg)
	}
	wantStatus(t, s.do("GET", "/api:t/compute", nil), http.StatusOK, "")
}

// TestHostileRequestsOverHTTP: requests built to break the server get a clear error, and
// the server keeps serving.
func TestHostileRequestsOverHTTP(t *testing.T) {
	s := startServer(t, "testdata/e2e", t.TempDir())
	for _, tc := range []struct {
		name   string
		method string
		path   string
		body   any
		status int
		code   string
		param  string
	}{
		// 8 MiB of "[" used to overflow the JSON decoder's stack: a fatal error, the process gone.
		{"deeply nested JSON body", "POST", "/api:t/items", strings.Repeat("[", 8<<20-1), http.StatusBadRequest, "ERROR_CODE_INPUT_ERROR", ""},
		{"deeply nested JSON in a member", "POST", "/api:t/items", `{"name":"x","meta":` + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + `}`,
			http.StatusBadRequest, "ERROR_CODE_INPUT_ERROR", ""},
		// An escaped slash stays in its path parameter: the int input refuses "a/b" (404 before: one segment too many).
		{"escaped slash in a path parameter", "GET", "/api:t/items/a%2Fb", nil, http.StatusBadRequest, "ERROR_CODE_INPUT_ERROR", "id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := s.do(tc.method, tc.path, tc.body)
			wantStatus(t, r, tc.status, tc.code)
			if tc.param != "" && field(r.json, "payload", "param") != tc.param {
				t.Fatalf("payload %s, want param %s", r.body, tc.param)
			}
			wantStatus(t, s.do("GET", "/healthz", nil), http.StatusOK, "")
		})
	}
}

// TestOversizeResponseOverHTTP: a value that shares itself ([$s, $s], forty times) costs
// nothing to build but has 2^40 leaves (here texts of 1 MiB): its response is refused at
// 64 MiB with a 500 that says so, instead of encoding until the server runs out of memory.
func TestOversizeResponseOverHTTP(t *testing.T) {
	dir := testenv.TempFiles(t, map[string]string{
		"workspace/w.xs":     "workspace w {\n  realtime = {canonical: \"w-rt\"}\n}\n",
		"api/w/api_group.xs": "api_group w {\n  canonical = \"w\"\n}\n",
		"api/w/dag_get.xs": `query dag verb=GET {
  input {
    int n
    int k?=0
  }
  stack {
    var $t { value = "xxxxxxxxxxxxxxxx" }
    for ($input.k) {
      each as $i {
        text.append $t { value = $t }
      }
    }
    var $s { value = [$t] }
    for ($input.n) {
      each as $i {
        var.update $s { value = [$s, $s] }
      }
    }
  }
  response = $s
}
`,
	})
	s := startServer(t, dir, t.TempDir())
	wantStatus(t, s.do("GET", "/api:w/dag?n=3", nil), http.StatusOK, "")
	r := s.do("GET", "/api:w/dag?n=40&k=16", nil)
	wantStatus(t, r, http.StatusInternalServerError, "ERROR_FATAL")
	if msg, _ := field(r.json, "message").(string); !strings.Contains(msg, "larger than 64 MiB") {
		t.Fatalf("message %q", msg)
	}
	wantStatus(t, s.do("GET", "/healthz", nil), http.StatusOK, "")
}

// TestBodyTimeoutOverHTTP: a client that sends its headers and then stalls its body gets a
// 400 after --body-timeout instead of holding the connection forever; a body that arrives in
// time is not cut short by the deadline while its stack runs on past it.
func TestBodyTimeoutOverHTTP(t *testing.T) {
	dir := testenv.TempFiles(t, map[string]string{
		"workspace/w.xs":     "workspace w {\n  realtime = {canonical: \"w-rt\"}\n}\n",
		"api/w/api_group.xs": "api_group w {\n  canonical = \"w\"\n}\n",
		"api/w/nap_post.xs": `query nap verb=POST {
  input {
    decimal secs
  }
  stack {
    util.sleep { value = $input.secs }
  }
  response = {slept: $input.secs}
}
`,
	})
	s := startServer(t, dir, t.TempDir(), "--body-timeout", "300ms")
	t.Run("a stalled body", func(t *testing.T) {
		conn, err := net.Dial("tcp", strings.TrimPrefix(s.base, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_, err = io.WriteString(conn, "POST /api:w/nap HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
		if err != nil {
			t.Fatal(err)
		}
		_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("no answer to a stalled body: %v", err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "did not arrive within 300ms") {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
	})
	t.Run("a stack that runs past the deadline", func(t *testing.T) {
		r := s.do("POST", "/api:w/nap", map[string]any{"secs": 1})
		wantStatus(t, r, http.StatusOK, "")
		if field(r.json, "slept") != 1.0 {
			t.Fatalf("body %s", r.body)
		}
	})
}
