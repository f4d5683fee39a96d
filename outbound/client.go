package outbound

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"syscall"
	"time"

	"relaybase"
)

// Defaults of a Client.
const (
	DefaultTimeout = 30 * time.Second
	DefaultMaxBody = 16 << 20
	maxRedirects   = 10
)

// Client sends outbound requests under a Policy. It is safe for concurrent use; its
// connections are pooled and closed by Close.
type Client struct {
	policy  *Policy
	timeout time.Duration
	maxBody int64
	resolve func(ctx context.Context, host string) ([]netip.Addr, error)
	hc      *http.Client
	tr      *http.Transport
}

// Option configures a Client.
type Option func(*Client)

// WithTimeout sets the timeout of a request that names none (DefaultTimeout).
func WithTimeout(d time.Duration) Option { return func(c *Client) { c.timeout = d } }

// WithMaxBody bounds the response body read (DefaultMaxBody); a larger one fails the
// request with relaybase.ErrOutboundTooLarge.
func WithMaxBody(n int64) Option { return func(c *Client) { c.maxBody = n } }

// WithResolver replaces the system's name resolution (for tests: a name that resolves to
// a private address).
func WithResolver(fn func(ctx context.Context, host string) ([]netip.Addr, error)) Option {
	return func(c *Client) { c.resolve = fn }
}

// New returns a Client that enforces p on every connection it makes.
func New(p *Policy, opts ...Option) *Client {
	c := &Client{policy: p, timeout: DefaultTimeout, maxBody: DefaultMaxBody}
	for _, o := range opts {
		o(c)
	}
	if c.resolve == nil {
		c.resolve = func(ctx context.Context, host string) ([]netip.Addr, error) {
			return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		}
	}
	c.tr = &http.Transport{
		Proxy:                 nil, // a proxy would be the only address dialled, and checked
		DialContext:           c.dial,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          64,
		MaxIdleConnsPerHost:   8,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	c.hc = &http.Client{Transport: c.tr, CheckRedirect: checkRedirect}
	return c
}

// Close closes the pooled connections.
func (c *Client) Close() { c.tr.CloseIdleConnections() }

type noRedirectsKey struct{}

func checkRedirect(req *http.Request, via []*http.Request) error {
	if no, _ := req.Context().Value(noRedirectsKey{}).(bool); no {
		return http.ErrUseLastResponse
	}
	if len(via) >= maxRedirects {
		return fmt.Errorf("stopped after %d redirects", maxRedirects)
	}
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return fmt.Errorf("redirect to a %s: URL refused", req.URL.Scheme)
	}
	return nil
}

// dial resolves the host, checks every address with the policy, and connects to the
// first one allowed; the dialer checks the address it connects to once more.
func (c *Client) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	host = strings.ToLower(host)
	var ips []netip.Addr
	name := host
	if ip, err := netip.ParseAddr(host); err == nil {
		ips, name = []netip.Addr{ip}, ""
	} else if ips, err = c.resolve(ctx, host); err != nil {
		return nil, err
	}
	var refusal error
	var lastErr error
	for _, ip := range ips {
		if err := c.policy.Check(name, ip); err != nil {
			if refusal == nil {
				refusal = err
			}
			continue
		}
		d := net.Dialer{Timeout: 10 * time.Second, Control: c.control(name)}
		conn, err := d.DialContext(ctx, network, netip.AddrPortFrom(ip.Unmap(), mustPort(port)).String())
		if err == nil {
			return conn, nil
		}
		lastErr = err
	}
	if lastErr != nil {
		return nil, lastErr
	}
	if refusal != nil {
		return nil, fmt.Errorf("%w: %w", relaybase.ErrRefused, refusal)
	}
	return nil, fmt.Errorf("%s has no address", host)
}

// control re-checks the address a socket is about to connect to.
func (c *Client) control(name string) func(network, address string, _ syscall.RawConn) error {
	return func(network, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("%w: cannot read the address %s", relaybase.ErrRefused, address)
		}
		if err := c.policy.Check(name, ap.Addr()); err != nil {
			return fmt.Errorf("%w: %w", relaybase.ErrRefused, err)
		}
		return nil
	}
}

func mustPort(s string) uint16 {
	var n uint16
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + uint16(c-'0')
	}
	return n
}

// Do sends one request. Policy refusals wrap relaybase.ErrRefused; a response body past
// the limit wraps relaybase.ErrOutboundTooLarge; other failures (no such host, a refused
// connection, the timeout) are returned as they are.
func (c *Client) Do(ctx context.Context, r *relaybase.OutboundRequest) (*relaybase.OutboundResponse, error) {
	u, err := url.Parse(r.URL)
	if err != nil {
		return nil, fmt.Errorf("url %q: %w", r.URL, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("url %q: want an absolute http:// or https:// URL", r.URL)
	}
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = c.timeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if r.NoRedirects {
		ctx = context.WithValue(ctx, noRedirectsKey{}, true)
	}
	var body io.Reader
	if r.Body != nil {
		body = bytes.NewReader(r.Body)
	}
	method := strings.ToUpper(r.Method)
	if method == "" {
		method = http.MethodGet
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, err
	}
	for _, line := range r.Headers {
		name, val, ok := strings.Cut(line, ":")
		name, val = strings.TrimSpace(name), strings.TrimSpace(val)
		if !ok || name == "" {
			return nil, fmt.Errorf("header %q: want \"Name: value\"", line)
		}
		if strings.EqualFold(name, "Host") {
			req.Host = val
			continue
		}
		req.Header.Add(name, val)
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", "relaybase")
	}
	res, err := c.hc.Do(req)
	if err != nil {
		return nil, unwrapURLError(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, c.maxBody+1))
	if err != nil {
		return nil, unwrapURLError(err)
	}
	if int64(len(data)) > c.maxBody {
		return nil, fmt.Errorf("%w: more than %d bytes", relaybase.ErrOutboundTooLarge, c.maxBody)
	}
	out := &relaybase.OutboundResponse{Status: res.StatusCode, Body: data}
	names := make([]string, 0, len(res.Header))
	for k := range res.Header {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		for _, v := range res.Header[k] {
			out.Headers = append(out.Headers, k+": "+v)
		}
	}
	if ct := res.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err == nil {
			out.ContentType = mt
		}
	}
	return out, nil
}

// unwrapURLError drops net/http's *url.Error wrapper, whose text repeats the method and
// URL (which may carry credentials in its query string).
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
