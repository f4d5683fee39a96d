package metrics

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is one server's metrics: its registry and the families each part counts in.
type Metrics struct {
	reg      *prometheus.Registry
	HTTP     *HTTP
	Realtime *Realtime
	Engine   *Engine
	Store    *Store
	Tasks    *Tasks
}

// New makes every relaybase family and registers it, with the Go runtime's collector (and
// the runtime's /gc/ metrics: go_gc_heap_live_bytes is the live heap as of the last GC) and
// the process's, in a registry of its own.
func New() *Metrics {
	m := &Metrics{
		reg:      prometheus.NewRegistry(),
		HTTP:     newHTTP(),
		Realtime: newRealtime(),
		Engine:   newEngine(),
		Store:    newStore(),
		Tasks:    newTasks(),
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(collectors.WithGoCollectorRuntimeMetrics(collectors.MetricsGC)),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	m.reg.MustRegister(m.HTTP.collectors()...)
	m.reg.MustRegister(m.Realtime.collectors()...)
	m.reg.MustRegister(m.Engine.collectors()...)
	m.reg.MustRegister(m.Store.collectors()...)
	m.reg.MustRegister(m.Tasks.collectors()...)
	return m
}

// Gauge registers a gauge read from f at every scrape: numbers their owner already keeps
// (open connections, pool use) are read, not counted twice.
func (m *Metrics) Gauge(name, help string, f func() float64) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f))
}

// GaugeVec registers a gauge family with labels whose samples f reports at every scrape,
// each as its label values (in the order of labels) and its value.
func (m *Metrics) GaugeVec(name, help string, labels []string, f func(emit func(v float64, labelValues ...string))) {
	m.reg.MustRegister(&gaugeVec{desc: prometheus.NewDesc(name, help, labels, nil), f: f})
}

type gaugeVec struct {
	desc *prometheus.Desc
	f    func(emit func(v float64, labelValues ...string))
}

func (g *gaugeVec) Describe(ch chan<- *prometheus.Desc) { ch <- g.desc }

func (g *gaugeVec) Collect(ch chan<- prometheus.Metric) {
	g.f(func(v float64, lv ...string) {
		ch <- prometheus.MustNewConstMetric(g.desc, prometheus.GaugeValue, v, lv...)
	})
}

// Handler serves the registry in Prometheus's text format (or OpenMetrics, when asked).
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorLog: nil})
}

// Gatherer is the registry, for tests and tools that read the families directly.
func (m *Metrics) Gatherer() prometheus.Gatherer { return m.reg }

// latencyBuckets are the buckets of the latency histograms, in seconds: 0.5 ms to 10 s.
var latencyBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// HTTP counts HTTP requests by route pattern and status class, and endpoint errors by code.
type HTTP struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	errors   *prometheus.CounterVec
}

func newHTTP() *HTTP {
	return &HTTP{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "relaybase_http_requests_total",
			Help: "HTTP requests answered, by route pattern, method and status class.",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "relaybase_http_request_duration_seconds",
			Help:    "Time from a request's arrival to the end of its answer, by route pattern, method and status class.",
			Buckets: latencyBuckets,
		}, []string{"route", "method", "status"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "relaybase_endpoint_errors_total",
			Help: "Endpoint requests that ended in an error, by error code (ERROR_CODE_...).",
		}, []string{"code"}),
	}
}

func (h *HTTP) collectors() []prometheus.Collector {
	return []prometheus.Collector{h.requests, h.duration, h.errors}
}

// Request counts one answered request. route is the pattern it matched ("unmatched" when
// none did), never its raw path; a method outside HTTP's usual ones counts as "other".
func (h *HTTP) Request(route, method string, status int, d time.Duration) {
	if h == nil {
		return
	}
	lv := []string{route, knownMethod(method), StatusClass(status)}
	h.requests.WithLabelValues(lv...).Inc()
	h.duration.WithLabelValues(lv...).Observe(d.Seconds())
}

// EndpointError counts an endpoint request that ended in the error code.
func (h *HTTP) EndpointError(code string) {
	if h == nil {
		return
	}
	h.errors.WithLabelValues(code).Inc()
}

// StatusClass is "2xx" for 200 to 299, and so on.
func StatusClass(status int) string {
	if status < 100 || status > 599 {
		return "other"
	}
	return strconv.Itoa(status/100) + "xx"
}

func knownMethod(m string) string {
	switch m {
	case "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS":
		return m
	}
	return "other"
}

// Sample is the value of the sample of family name whose labels are labels (all of them,
// in any order): a counter's or a gauge's value, a histogram's count. It reports false when
// there is none. For tests and tools that read a number without scraping.
func (m *Metrics) Sample(name string, labels map[string]string) (float64, bool) {
	fams, err := m.reg.Gather()
	if err != nil {
		return 0, false
	}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
	next:
		for _, s := range f.GetMetric() {
			if len(s.GetLabel()) != len(labels) {
				continue
			}
			for _, lp := range s.GetLabel() {
				if v, ok := labels[lp.GetName()]; !ok || v != lp.GetValue() {
					continue next
				}
			}
			switch {
			case s.GetCounter() != nil:
				return s.GetCounter().GetValue(), true
			case s.GetGauge() != nil:
				return s.GetGauge().GetValue(), true
			case s.GetHistogram() != nil:
				return float64(s.GetHistogram().GetSampleCount()), true
			}
		}
	}
	return 0, false
}

var descRe = regexp.MustCompile(`fqName: "([^"]+)".*variableLabels: \{([^}]*)\}`)

// Families lists every family registered, with its label names, whether or not it has a
// sample yet (a family with labels shows in /metrics only once it has counted something):
// the dashboard's test checks its queries against it.
func (m *Metrics) Families() map[string][]string {
	ch := make(chan *prometheus.Desc)
	go func() { m.reg.Describe(ch); close(ch) }()
	out := map[string][]string{}
	for d := range ch {
		if sm := descRe.FindStringSubmatch(d.String()); sm != nil {
			var labels []string
			for _, l := range strings.Split(sm[2], ",") {
				if l = strings.TrimSpace(l); l != "" {
					labels = append(labels, l)
				}
			}
			out[sm[1]] = labels
		}
	}
	return out
}
