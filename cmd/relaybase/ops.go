package main

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"relaybase/metrics"
)

// registerGauges adds the numbers the node's parts keep themselves to its metrics, read at
// every scrape: the realtime server's connections and memberships, and the database pool's
// connections (both stores report them: Conns). The idle-connection
// benchmark reads the Go runtime's figures next to them.
func (n *node) registerGauges(m *metrics.Metrics) {
	m.Gauge("relaybase_realtime_connections",
		"Open realtime WebSocket connections on this node (both protocols).",
		func() float64 { return float64(n.realtime.Stats().Connections) })
	m.Gauge("relaybase_realtime_members",
		"Channel memberships of this node's legacy (/rt/) realtime connections (one per connection and channel joined).",
		func() float64 { return float64(n.realtime.Stats().Members) })
	if pool, ok := n.store.(interface{ Conns() (inUse, idle, max int) }); ok {
		m.GaugeVec("relaybase_db_connections",
			"Database connections by state: in_use (a transaction or a read holds it) or idle.",
			[]string{"state"}, func(emit func(float64, ...string)) {
				inUse, idle, _ := pool.Conns()
				emit(float64(inUse), "in_use")
				emit(float64(idle), "idle")
			})
		m.Gauge("relaybase_db_connections_max",
			"The most database connections this node opens (SQLite: the writer and the read connections).",
			func() float64 { _, _, max := pool.Conns(); return float64(max) })
	}
}

// serveMetrics serves /metrics on a listener of its own (metrics_addr), which is where a
// Prometheus scrapes: the API address serves it only behind metrics_token.
func serveMetrics(addr string, h http.Handler, log *slog.Logger) (*http.Server, net.Listener, error) {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", h)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("metrics_addr: %w", err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	log.Info("metrics", "url", "http://"+ln.Addr().String()+"/metrics")
	return srv, ln, nil
}

// serveDebug serves pprof on its own listener, never on the public address.
func serveDebug(addr string, log *slog.Logger) (*http.Server, error) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("debug_addr: %w", err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	log.Info("pprof profiles", "url", "http://"+ln.Addr().String()+"/debug/pprof/")
	return srv, nil
}
