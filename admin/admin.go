package admin

import (
	"context"
	"embed"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"relaybase"
	"relaybase/auth"
	"relaybase/realtime"
	"relaybase/realtime/servers"
	"relaybase/stack"
	"relaybase/workspace"
	"relaybase/xs"
)

//go:embed all:ui
var uiFiles embed.FS

// Config is what the console needs of a running node; cmd/relaybase fills it in.
type Config struct {
	// Store holds the workspace's data and, through relaybase.Admins (which it must
	// implement), the console's accounts and sessions.
	Store     relaybase.Store
	Passwords *auth.Passwords // checks admin passwords
	Workspace *workspace.Workspace
	Program   *stack.Program // the compiled workspace: endpoints, tasks, the rows API
	// Diagnostics are what loading and compiling the workspace reported (relaybase check).
	Diagnostics []xs.Diagnostic
	// Settings is the configuration in force, secrets already masked (Masked).
	Settings map[string]string
	// API is the node's HTTP handler, which endpoint runs go through.
	API http.Handler
	// Realtime is the legacy realtime server (/rt/): its counts, channels, taps, and the
	// events side publish goes through. nil when realtime is off.
	Realtime *realtime.Server
	// Servers is Xano's current realtime (/ws/), whose channels are listed; may be nil.
	Servers *servers.Service
	// Engine answers presence across nodes.
	Engine relaybase.Engine
	// SessionTTL is how long a session lives unused (DefaultSessionTTL when 0); use
	// extends it.
	SessionTTL time.Duration
	// LoginRate is the login attempts allowed per minute per client address
	// (DefaultLoginRate when 0; negative: no limit, for tests).
	LoginRate int
	Logger    *slog.Logger
	Now       func() time.Time
}

// Handler serves everything under /_/: the page and its API.
type Handler struct {
	cfg    Config
	log    *slog.Logger
	admins relaybase.Admins
	logins *limiter
	ui     http.Handler
	mux    *http.ServeMux
	rates  rates

	// ctx ends at Close: open event streams end, the rates sampler stops.
	ctx    context.Context
	cancel context.CancelFunc
}

// New builds the console's handler. The store must keep admin accounts
// (relaybase.Admins).
func New(cfg Config) (*Handler, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = DefaultSessionTTL
	}
	if cfg.LoginRate == 0 {
		cfg.LoginRate = DefaultLoginRate
	}
	if cfg.Passwords == nil {
		cfg.Passwords = auth.NewPasswords()
	}
	admins, ok := cfg.Store.(relaybase.Admins)
	if !ok {
		return nil, errors.New("admin console: the store keeps no admin accounts")
	}
	ui, err := fs.Sub(uiFiles, "ui")
	if err != nil {
		return nil, err
	}
	h := &Handler{cfg: cfg, log: cfg.Logger, admins: admins, logins: newLimiter(cfg.LoginRate, cfg.Now),
		ui: http.StripPrefix("/_/", http.FileServerFS(ui))}
	h.ctx, h.cancel = context.WithCancel(context.Background())
	h.mux = http.NewServeMux()
	for _, rt := range h.routes() {
		handler := rt.handler
		if !rt.public {
			handler = h.requireSession(handler)
		}
		h.mux.HandleFunc(rt.method+" "+rt.pattern, handler)
	}
	// An unknown path (or method) is a 404 only to an admin: without a session it is a
	// 401 like every other, so the API's shape is not there to probe.
	h.mux.HandleFunc("/_/api/", h.requireSession(func(w http.ResponseWriter, r *http.Request) { h.writeError(w, r, errNotFound) }))
	return h, nil
}

// Close ends the console's event streams and its sampler (they would otherwise hold a
// graceful shutdown until its timeout) and waits for the sampler. Requests after it get
// no streams.
func (h *Handler) Close() {
	h.cancel()
	h.rates.mu.Lock()
	done := h.rates.done
	h.rates.mu.Unlock()
	if done != nil {
		<-done
	}
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/_" {
		http.Redirect(w, r, "/_/", http.StatusMovedPermanently)
		return
	}
	if strings.HasPrefix(r.URL.Path, "/_/api/") {
		h.mux.ServeHTTP(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	h.serveUI(w, r)
}

// serveUI serves the embedded page. The page is small and changes with the binary, so
// browsers revalidate it rather than cache it.
func (h *Handler) serveUI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Referrer-Policy", "same-origin")
	if strings.HasSuffix(r.URL.Path, "/") || strings.HasSuffix(r.URL.Path, ".html") {
		w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'")
	}
	h.ui.ServeHTTP(w, r)
}
