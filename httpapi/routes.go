package httpapi

import (
	"net/http"
	"strings"
)

// routes lists every route relaybase serves. Endpoints of the workspace share the
// "/api:{canonical}/..." space and are matched by the endpoint router, since their paths
// follow Xano's rules rather than ServeMux's.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.handleHealthz)
	mux.HandleFunc("GET /readyz", s.handleReadyz)
	if s.cfg.Metrics != nil && s.cfg.MetricsToken != "" {
		mux.HandleFunc("GET /metrics", s.handleMetrics)
	}
	mux.HandleFunc("GET /relaybase.js", s.handleClientJS)
	if s.cfg.Files != nil {
		mux.HandleFunc("GET /vault/{id}/{name}", s.handleFile)
	}
	if s.cfg.Realtime != nil {
		mux.Handle("/rt/", s.cfg.Realtime)
	}
	if s.cfg.Servers != nil {
		mux.Handle("/ws/", s.cfg.Servers)
	}
	mux.HandleFunc("/", s.handleDefault) // /api:{canonical}/... and static files
	api := s.withCORS(mux)
	// The console at /_/ is same-origin only: it answers no CORS, so no configured origin
	// can call it with the admin's cookie.
	admin := s.cfg.Admin
	if admin == nil {
		admin = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { writeError(w, r, s.log, errNotFound) })
	}
	return s.withRequestID(s.withRecover(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := r.URL.Path; p == "/_" || strings.HasPrefix(p, "/_/") {
			admin.ServeHTTP(w, r)
			return
		}
		api.ServeHTTP(w, r)
	})))
}
