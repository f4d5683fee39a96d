package stack

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"relaybase"
	"relaybase/outbound"
)

// peer is a local HTTP server that echoes what it received as JSON, and counts requests.
func peer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var hits atomic.Int64
	release := make(chan struct{})
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		body, _ := io.ReadAll(r.Body)
		switch r.URL.Path {
		case "/text":
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusTeapot)
			fmt.Fprint(w, "short and stout")
			return
		case "/slow":
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		case "/moved":
			http.Redirect(w, r, "/echo", http.StatusFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Peer", "yes")
		fmt.Fprintf(w, `{"method":%q,"query":%q,"type":%q,"auth":%q,"body":%q}`,
			r.Method, r.URL.RawQuery, r.Header.Get("Content-Type"), r.Header.Get("Authorization"), body)
	}))
	t.Cleanup(func() { close(release); s.Close() })
	return s, &hits
}

// withOutbound gives the program an outbound client allowing the given rules.
func withOutbound(t *testing.T, e *tenv, allow ...string) {
	t.Helper()
	p, err := outbound.NewPolicy(allow, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := outbound.New(p)
	t.Cleanup(c.Close)
	e.p.opts.Outbound = c
}

func TestAPIRequest(t *testing.T) {
	s, _ := peer(t)
	e := newEnv(t, map[string]string{
		endpointFile("get", "POST"): endpointSrc("get", "POST", `  input { text url }
  stack {
    api.request {
      url = $input.url ~ "/echo?x=1"
      method = "GET"
      params = {q: "a b", n: 2, flag: true, off: false, skip: null, list: [1, 2], o: {k: "v"}}
      headers = ["Authorization: Bearer " ~ $env.GREETING]
      timeout = 5
    } as $api
  }
  response = $api`),
		endpointFile("form", "POST"): endpointSrc("form", "POST", `  input { text url }
  stack {
    api.request {
      url = $input.url ~ "/echo"
      method = "POST"
      params = {}|set:"mode":"subscription"|set:"payment_method_types[0]":"card"|set:"o":{a: 1}
    } as $api
  }
  response = $api.response.result`),
		endpointFile("json", "POST"): endpointSrc("json", "POST", `  input { text url }
  stack {
    api.request {
      url = $input.url ~ "/echo"
      method = "PUT"
      params = {name: "Ann", tags: ["x"], n: 1.5}
      headers = {"Content-Type": "application/json; charset=utf-8"}
    } as $api
  }
  response = [$api.response.result.type, $api.response.result.body|json_decode]`),
		endpointFile("text", "POST"): endpointSrc("text", "POST", `  input { text url }
  stack {
    api.request { url = $input.url ~ "/text" } as $api
  }
  response = [$api.response.status, $api.response.result]`),
		endpointFile("moved", "POST"): endpointSrc("moved", "POST", `  input { text url }
  stack {
    api.request { url = $input.url ~ "/moved" } as $follow
    api.request { url = $input.url ~ "/moved" follow_location = false } as $stay
  }
  response = [$follow.response.status, $follow.response.result.method, $stay.response.status]`),
	})
	withOutbound(t, e, "127.0.0.1")
	in := fmt.Sprintf(`{"url": %q}`, s.URL)

	out := e.mustCall("POST", "get", in)
	jsonEq(t, out, fmt.Sprintf(`{
	  "request": {"url": %q, "method": "GET", "headers": ["Authorization: Bearer hello"],
	    "params": {"q": "a b", "n": 2, "flag": true, "off": false, "skip": null, "list": [1, 2], "o": {"k": "v"}}},
	  "response": {
	    "headers": %s,
	    "result": {"method": "GET", "query": "x=1&q=a+b&n=2&flag=1&off=0&list%%5B0%%5D=1&list%%5B1%%5D=2&o%%5Bk%%5D=v", "type": "", "auth": "Bearer hello", "body": ""},
	    "status": 200}}`,
		s.URL+"/echo?x=1&q=a+b&n=2&flag=1&off=0&list%5B0%5D=1&list%5B1%5D=2&o%5Bk%5D=v", headersOf(t, out)))
	if !strings.Contains(out, `"X-Peer: yes"`) || !strings.Contains(out, `"Content-Type: application/json"`) {
		t.Errorf("response headers: %s", out)
	}

	jsonEq(t, e.mustCall("POST", "form", in), `{"method": "POST", "query": "",
	  "type": "application/x-www-form-urlencoded", "auth": "",
	  "body": "mode=subscription&payment_method_types%5B0%5D=card&o%5Ba%5D=1"}`)
	jsonEq(t, e.mustCall("POST", "json", in), `["application/json; charset=utf-8", {"name": "Ann", "tags": ["x"], "n": 1.5}]`)
	jsonEq(t, e.mustCall("POST", "text", in), `[418, "short and stout"]`)
	jsonEq(t, e.mustCall("POST", "moved", in), `[200, "GET", 302]`)
}

// headersOf returns the response headers of an api.request result as JSON, since their
// Date varies.
func headersOf(t *testing.T, out string) string {
	t.Helper()
	i := strings.Index(out, `"response":{"headers":`)
	if i < 0 {
		t.Fatalf("no response headers in %s", out)
	}
	rest := out[i+len(`"response":{"headers":`):]
	return rest[:strings.Index(rest, "]")+1]
}

// TestAPIRequestFailures: a refused target, a peer that never answers, and a missing
// client are runtime errors that name the host (try_catch catches them); the peer sees
// nothing of a refused request.
func TestAPIRequestFailures(t *testing.T) {
	s, hits := peer(t)
	e := newEnv(t, map[string]string{
		endpointFile("call", "POST"): endpointSrc("call", "POST", `  input {
    text url
    decimal timeout?
  }
  stack {
    api.request { url = $input.url timeout = $input.timeout } as $api
  }
  response = $api.response.status`),
		endpointFile("caught", "POST"): endpointSrc("caught", "POST", `  input { text url }
  stack {
    try_catch {
      try {
        api.request { url = $input.url } as $api
      }
      catch {
        var $api { value = $error.message }
      }
    }
  }
  response = $api`),
		endpointFile("bad", "POST"): endpointSrc("bad", "POST", `  input { json args }
  stack {
    api.request {
      url = $input.args.url
      method = $input.args.method
      headers = $input.args.headers
      params = $input.args.params
    } as $api
  }
  response = $api`),
	})
	in := fmt.Sprintf(`{"url": %q}`, s.URL+"/echo")
	_, err := e.call("POST", "call", in)
	if re := wantError(t, err, relaybase.CodeFatal); !strings.Contains(re.Message, "outbound HTTP is not configured") {
		t.Errorf("without a client: %s", re.Message)
	}

	withOutbound(t, e, "*") // public addresses only: the loopback peer is refused
	_, err = e.call("POST", "call", in)
	host := strings.TrimPrefix(s.URL, "http://")
	if re := wantError(t, err, relaybase.CodeFatal); re.Message != "api.request to "+host+" was refused by the outbound policy (outbound_allow, outbound_deny) (at api/t/call_post.xs:7:5)" {
		t.Errorf("refused: %s", re.Message)
	}
	out := e.mustCall("POST", "caught", in)
	if !strings.Contains(out, "refused by the outbound policy") {
		t.Errorf("try_catch: %s", out)
	}
	if hits.Load() != 0 {
		t.Fatalf("the peer got %d requests from a refused target", hits.Load())
	}

	withOutbound(t, e, "127.0.0.1")
	start := time.Now()
	_, err = e.call("POST", "call", fmt.Sprintf(`{"url": %q, "timeout": 0.05}`, s.URL+"/slow"))
	if re := wantError(t, err, relaybase.CodeFatal); !strings.Contains(re.Message, "got no answer within 50ms") {
		t.Errorf("timeout: %s after %s", re.Message, time.Since(start))
	}
	for _, args := range []string{
		`{"url": "ftp://x/"}`,
		`{"url": "/relative"}`,
		`{"url": 5}`,
		`{"url": "http://x/", "method": "BREW"}`,
		`{"url": "http://x/", "headers": ["no colon"]}`,
		`{"url": "http://x/", "headers": ["X-A: b\r\nX-Injected: 1"]}`,
		`{"url": "http://x/", "headers": "X-A: b"}`,
		`{"url": "http://x/", "method": "GET", "params": [1, 2]}`,
	} {
		_, err := e.call("POST", "bad", `{"args": `+args+`}`)
		if re := wantError(t, err, relaybase.CodeFatal); !strings.Contains(re.Message, "api.request") {
			t.Errorf("%s: %s", args, re.Message)
		}
	}
}
