package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Engine counts the realtime engine's failures.
type Engine struct {
	publishErrors prometheus.Counter
	reconnects    prometheus.Counter
}

func newEngine() *Engine {
	return &Engine{
		publishErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "relaybase_engine_publish_errors_total",
			Help: "Publishes the realtime engine failed to hand to the other nodes.",
		}),
		reconnects: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "relaybase_engine_reconnects_total",
			Help: "Times the realtime engine's pub/sub connection was lost and made again (Redis).",
		}),
	}
}

func (e *Engine) collectors() []prometheus.Collector {
	return []prometheus.Collector{e.publishErrors, e.reconnects}
}

// PublishError counts a failed publish.
func (e *Engine) PublishError() {
	if e != nil {
		e.publishErrors.Inc()
	}
}

// Reconnect counts a pub/sub connection made again after it was lost.
func (e *Engine) Reconnect() {
	if e != nil {
		e.reconnects.Inc()
	}
}

// Store counts the database's transactions.
type Store struct {
	duration *prometheus.HistogramVec
	errors   *prometheus.CounterVec
	// children, resolved once: [write][outcome]
	obs  [2][2]prometheus.Observer
	errs [2]prometheus.Counter
}

// Transaction outcomes and the operations whose errors are counted.
const (
	TxCommit   = 0 // the transaction committed
	TxRollback = 1 // it rolled back (the stack failed, or it only read)

	OpBegin  = 0 // a transaction could not begin
	OpCommit = 1 // it could not commit
)

func newStore() *Store {
	s := &Store{
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "relaybase_db_transaction_duration_seconds",
			Help:    "Time from a transaction's begin to its commit or rollback, by mode (read, write) and outcome (commit, rollback).",
			Buckets: latencyBuckets,
		}, []string{"mode", "outcome"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "relaybase_db_transaction_errors_total",
			Help: "Transactions that could not begin or commit, by operation (begin, commit).",
		}, []string{"op"}),
	}
	for w, mode := range []string{"read", "write"} {
		for o, outcome := range []string{"commit", "rollback"} {
			s.obs[w][o] = s.duration.WithLabelValues(mode, outcome)
		}
	}
	s.errs[OpBegin] = s.errors.WithLabelValues("begin")
	s.errs[OpCommit] = s.errors.WithLabelValues("commit")
	return s
}

func (s *Store) collectors() []prometheus.Collector {
	return []prometheus.Collector{s.duration, s.errors}
}

// Transaction counts a transaction that ended with outcome (TxCommit or TxRollback) after d.
func (s *Store) Transaction(write bool, outcome int, d time.Duration) {
	if s == nil {
		return
	}
	w := 0
	if write {
		w = 1
	}
	s.obs[w][outcome].Observe(d.Seconds())
}

// Error counts a failed operation (OpBegin, OpCommit).
func (s *Store) Error(op int) {
	if s != nil {
		s.errs[op].Inc()
	}
}

// Tasks counts task runs.
type Tasks struct {
	runs     *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newTasks() *Tasks {
	return &Tasks{
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "relaybase_task_runs_total",
			Help: "Scheduled task runs this node made, by task and result (ok, error).",
		}, []string{"task", "result"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "relaybase_task_run_duration_seconds",
			Help:    "Time one task run took, by task.",
			Buckets: []float64{.001, .01, .1, .5, 1, 5, 10, 30, 60, 300, 900},
		}, []string{"task"}),
	}
}

func (t *Tasks) collectors() []prometheus.Collector {
	return []prometheus.Collector{t.runs, t.duration}
}

// Run counts one run of the task, ok or not, that took d.
func (t *Tasks) Run(task string, ok bool, d time.Duration) {
	if t == nil {
		return
	}
	result := "ok"
	if !ok {
		result = "error"
	}
	t.runs.WithLabelValues(task, result).Inc()
	t.duration.WithLabelValues(task).Observe(d.Seconds())
}
