package main

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"relaybase/realtime"
)

// metricsHandler serves /metrics: the Go runtime (heap, stacks, goroutines, GC, and the
// runtime's /gc/ metrics: go_gc_heap_live_bytes is the live heap as of the last GC), the
// process (CPU, memory, open files), and the realtime server's connections and channel
// memberships. The idle-connection benchmark reads them.
func metricsHandler(rt *realtime.Server) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(collectors.WithGoCollectorRuntimeMetrics(collectors.MetricsGC)),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "relaybase_realtime_connections",
			Help: "Open realtime WebSocket connections on this node.",
		}, func() float64 { return float64(rt.Stats().Connections) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "relaybase_realtime_members",
			Help: "Channel memberships of this node's realtime connections (one per connection and channel joined).",
		}, func() float64 { return float64(rt.Stats().Members) }),
	)
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
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
