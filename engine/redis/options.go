package redis

import (
	"errors"
	"log/slog"
	"time"

	"relaybase/metrics"
)

// Defaults of the options.
const (
	DefaultPrefix      = "relaybase:"
	DefaultHeartbeat   = 10 * time.Second
	DefaultExpiry      = 30 * time.Second
	DefaultTimeout     = 5 * time.Second
	DefaultHealthCheck = 5 * time.Second
)

// Option tunes an Engine made by New.
type Option func(*config)

type config struct {
	prefix    string
	heartbeat time.Duration
	expiry    time.Duration
	timeout   time.Duration
	health    time.Duration
	clock     Clock
	log       *slog.Logger
	met       *metrics.Engine
}

func defaultConfig() config {
	return config{
		prefix:    DefaultPrefix,
		heartbeat: DefaultHeartbeat,
		expiry:    DefaultExpiry,
		timeout:   DefaultTimeout,
		health:    DefaultHealthCheck,
		clock:     SystemClock,
		log:       slog.New(slog.DiscardHandler),
	}
}

func (c config) check() error {
	switch {
	case c.heartbeat <= 0:
		return errors.New("the heartbeat interval must be positive")
	case c.expiry < 2*c.heartbeat:
		return errors.New("the presence expiry must be at least twice the heartbeat interval")
	case c.timeout <= 0:
		return errors.New("the timeout must be positive")
	case c.health <= 0:
		return errors.New("the health-check interval must be positive")
	case c.clock == nil:
		return errors.New("the clock is nil")
	}
	return nil
}

// WithPrefix puts every key and pub/sub channel of the engine under prefix (default
// "relaybase:"). Nodes that share a Redis share fan-out and presence only if they share the
// prefix; several relaybase deployments (or tests) can share one Redis with prefixes of
// their own.
func WithPrefix(prefix string) Option { return func(c *config) { c.prefix = prefix } }

// WithHeartbeat sets how often the node refreshes its members' presence and sweeps expired
// ones (default 10 s).
func WithHeartbeat(d time.Duration) Option { return func(c *config) { c.heartbeat = d } }

// WithExpiry sets how long after its last heartbeat a member stops being listed (default
// 30 s): a node that dies takes its members' presence with it within this time. It must be
// at least twice the heartbeat interval.
func WithExpiry(d time.Duration) Option { return func(c *config) { c.expiry = d } }

// WithTimeout bounds each engine call that talks to Redis, including the wait for a
// subscription to be confirmed (default 5 s). A caller's earlier deadline still wins.
func WithTimeout(d time.Duration) Option { return func(c *config) { c.timeout = d } }

// WithHealthCheck sets how long the pub/sub connection may stay silent before it is pinged;
// when a ping gets no answer within another such interval, the connection is dropped and
// made again (default 5 s). It catches connections that died without being closed.
func WithHealthCheck(d time.Duration) Option { return func(c *config) { c.health = d } }

// WithClock sets the clock that presence scores, the expiry cutoff and the heartbeat ticker
// run on (default: the system clock). Tests pass a fake one.
func WithClock(clock Clock) Option { return func(c *config) { c.clock = clock } }

// WithLogger sets where reconnections and background failures are logged (default: nowhere).
func WithLogger(l *slog.Logger) Option {
	return func(c *config) {
		if l != nil {
			c.log = l
		}
	}
}

// WithMetrics counts failed publishes and pub/sub reconnections there (default: nowhere).
func WithMetrics(m *metrics.Engine) Option { return func(c *config) { c.met = m } }

// Clock is where the engine reads time for presence: the heartbeat score of a member, the
// cutoff below which members are expired, and the heartbeat ticker. Network timing (dial
// and command timeouts, the pub/sub health check, reconnection backoff) runs on real time.
type Clock interface {
	Now() time.Time
	// NewTicker returns a channel that receives the time every d, and a function that stops
	// it.
	NewTicker(d time.Duration) (<-chan time.Time, func())
}

// SystemClock is the real clock.
var SystemClock Clock = systemClock{}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) NewTicker(d time.Duration) (<-chan time.Time, func()) {
	t := time.NewTicker(d)
	return t.C, t.Stop
}
