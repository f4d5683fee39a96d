package admin

import (
	"embed"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
)

//go:embed all:ui
var uiFiles embed.FS

// Config is what the console needs of a running node; cmd/relaybase fills it in.
type Config struct {
	Logger *slog.Logger
}

// Handler serves everything under /_/: the page and its API.
type Handler struct {
	cfg Config
	log *slog.Logger
	ui  http.Handler
	mux *http.ServeMux
}

// New builds the console's handler.
func New(cfg Config) *Handler {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	ui, err := fs.Sub(uiFiles, "ui")
	if err != nil { // the directory is embedded: only a build without it gets here
		panic("admin: embedded ui: " + err.Error())
	}
	h := &Handler{cfg: cfg, log: cfg.Logger, ui: http.StripPrefix("/_/", http.FileServerFS(ui))}
	h.mux = h.routes()
	return h
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

// routes lists the console's API routes.
func (h *Handler) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/_/api/", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
	return mux
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
