package httpapi

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"relaybase"
	"relaybase/internal/clientip"
	"relaybase/metrics"
	"relaybase/stack"
	"relaybase/value"
)

// Config is what the HTTP face needs; cmd/relaybase fills it in.
type Config struct {
	Program  *stack.Program   // the compiled workspace
	Tokens   relaybase.Tokens // verifies bearer tokens of endpoints with auth
	Realtime http.Handler     // serves GET /rt/{canonical}; nil when realtime is off
	Servers  http.Handler     // serves GET /ws/<canonical>: Xano's current realtime; nil when off
	Ready    func(ctx context.Context) error
	// Metrics serves GET /metrics on this address to requests bearing MetricsToken
	// (Authorization: Bearer ...); without a token it is not served here at all (404):
	// relaybase serve's --metrics-addr serves it on a listener of its own.
	Metrics      http.Handler
	MetricsToken string
	// Admin serves everything under /_/ (the console, package admin); nil when the console
	// is off, and /_/ is then a 404 rather than a static file.
	Admin     http.Handler
	StaticDir string // files served at /, "" for none
	ClientJS  []byte // /relaybase.js
	MaxBody   int64  // request body limit in bytes (default 8 MiB)
	// MaxHeaderBytes limits a request's line and headers together (default 64 KiB); past
	// it, 431. Serve with http.Server.MaxHeaderBytes = NetHTTPMaxHeaderBytes(MaxHeaderBytes)
	// and the listener of Listener, which holds realtime's direct upgrades to it too.
	MaxHeaderBytes int
	// BodyTimeout bounds how long a client may take to send an endpoint request's body;
	// past it the request is a 400. 0: no bound (http.Server's ReadHeaderTimeout covers
	// only the headers, so a client that stalls its body holds a connection forever).
	BodyTimeout time.Duration
	CORS        CORS
	RateLimit   RateLimit
	// TrustedProxies are the peers whose X-Forwarded-For or Forwarded headers name the
	// client (nil: none; every client is its TCP peer).
	TrustedProxies *clientip.Proxies
	// Files serves stored files at their paths, /vault/<id>/<name> (nil: no such route).
	Files  relaybase.FileStore
	Logger *slog.Logger
	// AccessLog gets one line per request (AccessLevel, "request"): method, route pattern,
	// status, duration, bytes, request id and client address. Nil: no access log.
	AccessLog   *slog.Logger
	AccessLevel slog.Level
	// HTTPMetrics counts requests by route pattern and status class, and endpoint errors by
	// code. Nil: not counted.
	HTTPMetrics *metrics.HTTP
	Now         func() time.Time
}

// CORS says which browser origins may call the API. Empty Origins allows any origin.
// Groups overrides the origins per API group canonical.
type CORS struct {
	Origins []string
	Groups  map[string][]string
}

// DefaultMaxBody is the request body limit when Config.MaxBody is 0.
const DefaultMaxBody = 8 << 20

// Server is relaybase's HTTP handler.
type Server struct {
	cfg     Config
	log     *slog.Logger
	handler http.Handler
	router  *router[*stack.Endpoint]
	static  http.Handler
	byIP    *limiter
	byToken *limiter
}

// New builds the handler for a compiled workspace.
func New(cfg Config) *Server {
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.MaxHeaderBytes <= 0 {
		cfg.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Server{cfg: cfg, log: cfg.Logger, router: newRouter[*stack.Endpoint](),
		byIP: newLimiter(cfg.RateLimit.PerIP, cfg.Now), byToken: newLimiter(cfg.RateLimit.PerToken, cfg.Now)}
	if cfg.Program != nil {
		for _, ep := range cfg.Program.Endpoints() {
			s.router.add(ep.Canonical, ep.Verb, ep.Path, ep)
		}
	}
	if cfg.StaticDir != "" {
		s.static = staticFiles{dir: cfg.StaticDir, log: cfg.Logger}
	}
	s.handler = s.routes()
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, value.ObjectOf("status", "ok"))
}

func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.cfg.Ready(ctx); err != nil {
			writeError(w, r, s.log, fmt.Errorf("readiness: %w: %w", relaybase.ErrUnavailable, err))
			return
		}
	}
	writeJSON(w, http.StatusOK, value.ObjectOf("status", "ready"))
}

// handleMetrics serves /metrics to a request with the configured bearer token; others get
// 401, and the same answer whatever the token they sent.
func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	got := sha256.Sum256([]byte(bearer(r)))
	want := sha256.Sum256([]byte(s.cfg.MetricsToken))
	if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
		w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
		writeError(w, r, nil, errMetricsToken)
		return
	}
	s.cfg.Metrics.ServeHTTP(w, r)
}

var errMetricsToken = &relaybase.Error{Code: relaybase.CodeUnauthorized, Message: "/metrics needs the metrics token (Authorization: Bearer <metrics_token>)."}

func (s *Server) handleClientJS(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(s.cfg.ClientJS)
}

func (s *Server) handleDefault(w http.ResponseWriter, r *http.Request) {
	if canonical, rest, ok := splitAPIPath(r.URL.EscapedPath()); ok {
		s.serveEndpoint(w, r, canonical, rest)
		return
	}
	if s.static != nil && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		setRoute(r, "static")
		s.static.ServeHTTP(w, r)
		return
	}
	writeError(w, r, s.log, errNotFound)
}

func (s *Server) serveEndpoint(w http.ResponseWriter, r *http.Request, canonical, path string) {
	if !s.byIP.allow(s.clientIP(r)) || !s.allowToken(bearer(r)) {
		w.Header().Set("Retry-After", "60")
		writeError(w, r, s.log, errTooManyRequests)
		return
	}
	verb := r.Method
	if verb == http.MethodHead {
		// HEAD is GET without the body (RFC 9110 §9.3.2): the GET endpoint runs and
		// net/http sends its status and headers (Content-Length too) but no body.
		verb = http.MethodGet
	}
	ep, params, ok := s.router.match(canonical, verb, path)
	if !ok {
		if path == "openapi.json" && verb == http.MethodGet && s.router.hasGroup(canonical) {
			setRoute(r, "/api:"+canonical+"/openapi.json")
			s.serveOpenAPI(w, r, canonical)
			return
		}
		writeError(w, r, s.log, errNotFound)
		return
	}
	setRoute(r, "/api:"+ep.Canonical+"/"+ep.Path)
	req := &stack.Request{
		RemoteIP:  s.clientIP(r),
		Method:    r.Method,
		URI:       r.URL.RequestURI(),
		Headers:   flatHeaders(r.Header),
		RequestID: requestID(r),
	}
	if ep.AuthTableID != 0 {
		id, err := s.authenticate(r, ep.AuthTableID)
		if err != nil {
			s.endpointError(w, r, err)
			return
		}
		req.Auth = id
	}
	in, err := s.readInputs(w, r, params)
	if err != nil {
		s.endpointError(w, r, err)
		return
	}
	req.Input = in
	req.Uploads = attachUploads(r, in)
	resp, err := ep.Run(r.Context(), req)
	if err != nil {
		s.endpointError(w, r, err)
		return
	}
	status := resp.Status
	if status == 0 {
		status = http.StatusOK
	}
	// Headers the stack set (util.set_header). With a Content-Type of its own that is not
	// JSON, a text response is the body as it is: an HTML page, a CSV file.
	ctype := "application/json; charset=utf-8"
	for _, h := range resp.Headers {
		if strings.EqualFold(h[0], "Content-Type") {
			ctype = h[1]
		}
	}
	setHeaders := func() { // once the body is known to be written
		for _, h := range resp.Headers {
			if !strings.EqualFold(h[0], "Content-Type") {
				w.Header().Add(h[0], h[1])
			}
		}
		w.Header().Set("Content-Type", ctype)
	}
	if text, ok := resp.Value.(string); ok && !isJSONType(ctype) {
		setHeaders()
		w.WriteHeader(status)
		_, _ = io.WriteString(w, text)
		return
	}
	body, err := value.EncodeJSON(resp.Value)
	if err != nil {
		e := &relaybase.Error{Code: relaybase.CodeFatal, Message: "Internal server error.", Err: fmt.Errorf("encode the response: %w", err)}
		if errors.Is(err, value.ErrTooLarge) {
			e.Message = "The response is larger than 64 MiB; ask for less at a time (paging)."
		}
		s.endpointError(w, r, e)
		return
	}
	setHeaders()
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// endpointError answers an endpoint request that failed, noting its code for
// relaybase_endpoint_errors_total.
func (s *Server) endpointError(w http.ResponseWriter, r *http.Request, err error) {
	if info, ok := r.Context().Value(requestInfoKey).(*requestInfo); ok {
		info.errCode = string(relaybase.AsError(err).Code)
	}
	writeError(w, r, s.log, err)
}

// isJSONType reports whether a Content-Type names JSON (application/json, +json).
func isJSONType(ctype string) bool {
	mt, _, _ := strings.Cut(ctype, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// readInputs reads the request's inputs within BodyTimeout. Once the body is read the
// deadline is lifted, so that it bears on the body alone and not on the connection while
// the stack runs. After a failed read it stays: net/http reads what is left of a body
// before it answers, and that read must fail at once, not wait for the stalled client
// (lifting it there left the 400 unsent forever).
func (s *Server) readInputs(w http.ResponseWriter, r *http.Request, params map[string]string) (*value.Object, error) {
	if s.cfg.BodyTimeout <= 0 || r.Method == http.MethodGet || r.Method == http.MethodHead {
		return readInputs(r, s.cfg.MaxBody, params)
	}
	rc := http.NewResponseController(w)
	if err := rc.SetReadDeadline(time.Now().Add(s.cfg.BodyTimeout)); err != nil {
		return readInputs(r, s.cfg.MaxBody, params)
	}
	in, err := readInputs(r, s.cfg.MaxBody, params)
	if err == nil {
		_ = rc.SetReadDeadline(time.Time{})
		return in, nil
	}
	if ne := net.Error(nil); errors.As(err, &ne) && ne.Timeout() {
		err = &relaybase.Error{Code: relaybase.CodeInputError, Err: err,
			Message: "The request body did not arrive within " + s.cfg.BodyTimeout.String() + "."}
	}
	return nil, err
}

// serveOpenAPI answers GET /api:{canonical}/openapi.json with the group's description.
func (s *Server) serveOpenAPI(w http.ResponseWriter, r *http.Request, canonical string) {
	var eps []*stack.Endpoint
	for _, ep := range s.cfg.Program.Endpoints() {
		if ep.Canonical == canonical {
			eps = append(eps, ep)
		}
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	writeJSON(w, http.StatusOK, openAPI(canonical, scheme+"://"+r.Host+"/api:"+canonical, eps))
}

// allowToken takes one request from the bucket of a bearer token that verifies. A token
// that does not verify counts against its client's IP only: keying buckets by whatever a
// client sends let junk tokens of up to a megabyte each (the header limit) pile up in the
// limiter for a minute, hundreds of megabytes in seconds. Buckets are keyed by the
// token's SHA-256, so none keeps a request's memory alive.
func (s *Server) allowToken(token string) bool {
	if s.byToken == nil || token == "" || s.cfg.Tokens == nil {
		return true
	}
	if _, err := s.cfg.Tokens.Verify(token); err != nil {
		return true
	}
	sum := sha256.Sum256([]byte(token))
	return s.byToken.allow(string(sum[:]))
}

var errTooManyRequests = &relaybase.Error{Code: relaybase.CodeTooManyRequests, Message: "Too many requests; slow down and try again in a minute."}

// bearer returns the request's bearer token, "" when there is none.
func bearer(r *http.Request) string {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

var errUnauthorized = &relaybase.Error{Code: relaybase.CodeUnauthorized, Message: "This endpoint needs a valid auth token (Authorization: Bearer <token>)."}

// authenticate verifies the bearer token and that it belongs to the endpoint's auth table.
func (s *Server) authenticate(r *http.Request, tableID int64) (relaybase.Identity, error) {
	token := bearer(r)
	if token == "" || s.cfg.Tokens == nil {
		return relaybase.Identity{}, errUnauthorized
	}
	id, err := s.cfg.Tokens.Verify(token)
	if err != nil || id.TableID != tableID {
		e := *errUnauthorized
		e.Err = err
		return relaybase.Identity{}, &e
	}
	return id, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := value.EncodeJSON(v)
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(`{"code":"ERROR_FATAL","message":"Internal server error.","payload":""}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func flatHeaders(h http.Header) map[string]string {
	out := make(map[string]string, len(h))
	for k, v := range h {
		if k == "Authorization" || k == "Cookie" {
			continue // credentials never reach a stack through $env.$http_headers
		}
		out[k] = strings.Join(v, ", ")
	}
	return out
}

// clientIP is the address of the request's client: its TCP peer, or, from a trusted proxy,
// the client the proxies recorded (package clientip). Rate limits, $env.$remote_ip and
// the access log all use it.
func (s *Server) clientIP(r *http.Request) string {
	return s.cfg.TrustedProxies.FromRequest(r)
}

type ctxKey int

const requestIDKey ctxKey = 0

func requestID(r *http.Request) string {
	id, _ := r.Context().Value(requestIDKey).(string)
	return id
}

func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// withRequestID gives every request an id, echoed in X-Request-Id and in its log lines,
// and when it is answered counts it (HTTPMetrics) and writes its access log line, both
// under the route pattern it matched, never its raw path.
func (s *Server) withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := newRequestID()
		w.Header().Set("X-Request-Id", id)
		start := s.cfg.Now()
		sw := &statusWriter{ResponseWriter: w}
		info := &requestInfo{}
		ctx := context.WithValue(context.WithValue(r.Context(), requestIDKey, id), requestInfoKey, info)
		r2 := r.WithContext(ctx)
		next.ServeHTTP(sw, r2)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		d := s.cfg.Now().Sub(start)
		route := info.route
		if route == "" {
			route = muxRoute(r2.Pattern)
		}
		s.cfg.HTTPMetrics.Request(route, r.Method, sw.status, d)
		if info.errCode != "" {
			s.cfg.HTTPMetrics.EndpointError(info.errCode)
		}
		if s.cfg.AccessLog != nil {
			s.cfg.AccessLog.LogAttrs(ctx, s.cfg.AccessLevel, "request",
				slog.String("method", r.Method),
				slog.String("route", route),
				slog.Int("status", sw.status),
				slog.Duration("duration", d),
				slog.Int64("bytes", sw.bytes),
				slog.String("request_id", id),
				slog.String("client", s.clientIP(r)),
			)
		}
	})
}

// requestInfo is what the handlers tell withRequestID about a request: the route pattern
// of an endpoint (the mux knows only "/" for them), and the code of an endpoint's error.
type requestInfo struct {
	route   string
	errCode string
}

const requestInfoKey ctxKey = 1

// setRoute names the route a request matched, for metrics and the access log.
func setRoute(r *http.Request, route string) {
	if info, ok := r.Context().Value(requestInfoKey).(*requestInfo); ok {
		info.route = route
	}
}

// routeUnmatched is the route of a request no route matched: its raw path is never a label.
const routeUnmatched = "unmatched"

// muxRoute is the route of a ServeMux pattern ("GET /healthz": "/healthz"); "/" is the
// catch-all, whose handlers name their own routes, so reaching here it matched nothing.
func muxRoute(pattern string) string {
	if _, path, ok := strings.Cut(pattern, " "); ok {
		pattern = path
	}
	if pattern == "" || pattern == "/" {
		return routeUnmatched
	}
	return pattern
}

// withRecover turns a panic inside a request into ERROR_FATAL, logged with the request id.
func (s *Server) withRecover(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.Error("panic in request", "request_id", requestID(r), "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				writeError(w, r, nil, &relaybase.Error{Code: relaybase.CodeFatal, Message: "Internal server error."})
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// withCORS answers preflight requests and marks responses readable by allowed origins.
func (s *Server) withCORS(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if allowed, named := s.originAllowed(r, origin); origin != "" && allowed {
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Add("Vary", "Origin")
			if named {
				// Credentials (cookies) only for origins the configuration names: an API open
				// to any origin is called with bearer tokens, which need no credentials mode.
				h.Set("Access-Control-Allow-Credentials", "true")
			}
			h.Set("Access-Control-Expose-Headers", "X-Request-Id")
			if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
				h.Set("Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS")
				if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
					h.Set("Access-Control-Allow-Headers", req)
				}
				h.Set("Access-Control-Max-Age", "600")
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		if r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// originAllowed reports whether origin may call this path, and whether the configuration
// names it (rather than allowing any origin).
func (s *Server) originAllowed(r *http.Request, origin string) (allowed, named bool) {
	list := s.cfg.CORS.Origins
	if canonical, _, ok := splitAPIPath(r.URL.Path); ok {
		if g, ok := s.cfg.CORS.Groups[canonical]; ok {
			list = g
		}
	}
	if len(list) == 0 {
		return true, false
	}
	for _, o := range list {
		if strings.EqualFold(o, origin) {
			return true, true
		}
		if o == "*" {
			allowed = true
		}
	}
	return allowed, false
}

type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64 // body bytes written
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection (the WebSocket upgrade hijacks it).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Hijack hands the connection to the realtime server's WebSocket upgrade.
func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, fmt.Errorf("httpapi: the response writer cannot be hijacked")
	}
	if w.status == 0 {
		w.status = http.StatusSwitchingProtocols
	}
	return h.Hijack()
}
