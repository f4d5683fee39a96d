package outbound

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"relaybase"
)

// server starts an HTTP server on the given loopback address and counts its requests.
func server(t *testing.T, addr string, h http.HandlerFunc) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen %s: %v", addr, err)
	}
	s := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		h(w, r)
	}))
	s.Listener.Close()
	s.Listener = ln
	s.Start()
	t.Cleanup(s.Close)
	return s, &n
}

func client(t *testing.T, allow, deny []string, opts ...Option) *Client {
	t.Helper()
	p, err := NewPolicy(allow, deny)
	if err != nil {
		t.Fatal(err)
	}
	c := New(p, opts...)
	t.Cleanup(c.Close)
	return c
}

func TestDoSendsAndReads(t *testing.T) {
	s, _ := server(t, "127.0.0.1:0", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Add("X-B", "2")
		w.Header().Add("X-A", "1")
		w.WriteHeader(201)
		fmt.Fprintf(w, `{"method":%q,"q":%q,"auth":%q,"body":%q,"host":%q}`, r.Method, r.URL.RawQuery, r.Header.Get("Authorization"), b, r.Host)
	})
	c := client(t, []string{"127.0.0.1"}, nil)
	res, err := c.Do(context.Background(), &relaybase.OutboundRequest{
		Method: "post", URL: s.URL + "/x?a=1", Headers: []string{"Authorization: Bearer k", "Host: api.test"},
		Body: []byte("hello"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != 201 || res.ContentType != "application/json" {
		t.Errorf("status %d type %q", res.Status, res.ContentType)
	}
	want := `{"method":"POST","q":"a=1","auth":"Bearer k","body":"hello","host":"api.test"}`
	if string(res.Body) != want {
		t.Errorf("body %s", res.Body)
	}
	if h := strings.Join(res.Headers, "|"); !strings.Contains(h, "X-A: 1|X-B: 2") {
		t.Errorf("headers not sorted by name: %s", h)
	}
}

func TestPrivateTargetsAreRefusedByDefault(t *testing.T) {
	s, hits := server(t, "127.0.0.1:0", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "secret") })
	_, port, _ := net.SplitHostPort(s.Listener.Addr().String())
	def := client(t, []string{"*"}, nil)
	for _, u := range []string{
		s.URL,                               // the address itself
		"http://localhost:" + port + "/",    // a name the system resolves to loopback
		"http://[::ffff:127.0.0.1]:" + port, // the address, v4-mapped
		"http://0x7f.0.0.1:" + port + "/",   // not an address: resolution fails or is checked
	} {
		_, err := def.Do(context.Background(), &relaybase.OutboundRequest{URL: u})
		if u != "http://0x7f.0.0.1:"+port+"/" && !errors.Is(err, relaybase.ErrRefused) {
			t.Errorf("%s: err %v, want refused", u, err)
		}
		if err == nil {
			t.Errorf("%s: fetched", u)
		}
	}
	if hits.Load() != 0 {
		t.Fatalf("the server got %d requests", hits.Load())
	}
}

// TestResolvedAddressIsChecked: a name is judged by the address it resolves to when the
// connection is made, not by the name.
func TestResolvedAddressIsChecked(t *testing.T) {
	s, hits := server(t, "127.0.0.1:0", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") })
	_, port, _ := net.SplitHostPort(s.Listener.Addr().String())
	resolver := WithResolver(func(ctx context.Context, host string) ([]netip.Addr, error) {
		if host == "api.example.test" {
			return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
		}
		return nil, fmt.Errorf("no such host %s", host)
	})
	u := "http://api.example.test:" + port + "/"
	_, err := client(t, []string{"*", "api.example.test"}, nil, resolver).Do(context.Background(), &relaybase.OutboundRequest{URL: u})
	if !errors.Is(err, relaybase.ErrRefused) || hits.Load() != 0 {
		t.Fatalf("a public-looking name resolving to loopback: err %v, %d hits", err, hits.Load())
	}
	res, err := client(t, []string{"127.0.0.0/8"}, nil, resolver).Do(context.Background(), &relaybase.OutboundRequest{URL: u})
	if err != nil || string(res.Body) != "ok" {
		t.Fatalf("allowed by range: %v", err)
	}
}

// TestRedirectsAreChecked: each hop of a redirect is dialled, and so checked, like the
// first request.
func TestRedirectsAreChecked(t *testing.T) {
	inner, innerHits := server(t, "127.0.0.2:0", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "inner") })
	outer, _ := server(t, "127.0.0.1:0", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, inner.URL+"/secret", http.StatusFound)
	})
	c := client(t, []string{"127.0.0.1"}, nil)
	_, err := c.Do(context.Background(), &relaybase.OutboundRequest{URL: outer.URL})
	if !errors.Is(err, relaybase.ErrRefused) || innerHits.Load() != 0 {
		t.Fatalf("redirect to a refused address: err %v, %d hits", err, innerHits.Load())
	}
	res, err := c.Do(context.Background(), &relaybase.OutboundRequest{URL: outer.URL, NoRedirects: true})
	if err != nil || res.Status != http.StatusFound || !strings.Contains(strings.Join(res.Headers, "\n"), "Location: "+inner.URL) {
		t.Fatalf("without following: %v %+v", err, res)
	}
	res, err = client(t, []string{"127.0.0.1", "127.0.0.2"}, nil).Do(context.Background(), &relaybase.OutboundRequest{URL: outer.URL})
	if err != nil || string(res.Body) != "inner" {
		t.Fatalf("redirect to an allowed address: %v", err)
	}
}

func TestDenyWins(t *testing.T) {
	s, hits := server(t, "127.0.0.1:0", func(w http.ResponseWriter, r *http.Request) {})
	_, err := client(t, []string{"127.0.0.0/8"}, []string{"127.0.0.1"}).Do(context.Background(), &relaybase.OutboundRequest{URL: s.URL})
	if !errors.Is(err, relaybase.ErrRefused) || hits.Load() != 0 || !strings.Contains(err.Error(), "outbound_deny") {
		t.Fatalf("err %v", err)
	}
}

func TestLimits(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	s, _ := server(t, "127.0.0.1:0", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		w.Write([]byte(strings.Repeat("x", 2048)))
	})
	c := client(t, []string{"127.0.0.1"}, nil, WithMaxBody(1024))
	if _, err := c.Do(context.Background(), &relaybase.OutboundRequest{URL: s.URL}); !errors.Is(err, relaybase.ErrOutboundTooLarge) {
		t.Errorf("large body: %v", err)
	}
	start := time.Now()
	_, err := c.Do(context.Background(), &relaybase.OutboundRequest{URL: s.URL + "/slow", Timeout: 50 * time.Millisecond})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("slow peer: %v after %s", err, time.Since(start))
	}
	for _, u := range []string{"ftp://127.0.0.1/", "/relative", "file:///etc/passwd", "http://"} {
		if _, err := c.Do(context.Background(), &relaybase.OutboundRequest{URL: u}); err == nil {
			t.Errorf("%s accepted", u)
		}
	}
	if _, err := c.Do(context.Background(), &relaybase.OutboundRequest{URL: s.URL, Headers: []string{"no colon"}}); err == nil {
		t.Error("a header without a colon was sent")
	}
}
