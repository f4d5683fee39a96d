package realtime

import (
	"log/slog"
	"time"

	"relaybase"
	"relaybase/internal/clientip"
	"relaybase/metrics"
)

// Config is what a Server needs. Zero fields take the defaults noted.
type Config struct {
	// Canonical is the workspace's realtime canonical: the server answers /rt/{Canonical}
	// and 404 for any other name. Required.
	Canonical string
	// Channels are the workspace's channels (rules, history, engine). Required.
	Channels *Channels
	// Tokens verifies the tokens clients offer. Nil: every token is refused.
	Tokens relaybase.Tokens
	// Triggers runs realtime_trigger stacks on join and message. Required: NoTriggers when
	// there are none.
	Triggers relaybase.Triggers
	// Deflate accepts permessage-deflate (RFC 7692) from clients that offer it: broadcast
	// frames are compressed once per node and the same bytes go to every member that
	// accepted it (deflate.go). False: every connection is uncompressed.
	Deflate bool
	// Logger (nil: discard).
	Logger *slog.Logger
	// TrustedProxies are the peers whose X-Forwarded-For or Forwarded headers name the
	// client of a connection (package clientip), through net/http or straight from the
	// listener alike. Nil: every client is its TCP peer.
	TrustedProxies *clientip.Proxies
	// AccessLog gets one line per connection closed (AccessLevel, "realtime connection
	// closed"), for both protocols: duration, frames in and out, close code and reason. Nil:
	// none.
	AccessLog   *slog.Logger
	AccessLevel slog.Level
	// Metrics counts frames, deliveries, writes, refusals, closes, history reads and gap
	// repairs of both protocols (Metrics() hands it to a Protocol). Nil: not counted.
	Metrics *metrics.Realtime
	// Limits of protocol.md §5.
	Limits Limits
}

// Limits are the per-connection limits of protocol.md §5. Zero fields take the defaults.
type Limits struct {
	SoftFrame       int           // a client frame above it gets too_large (64 KiB)
	HardFrame       int           // a client frame above it closes with 1009 (1 MiB)
	MaxChannels     int           // channels one connection may join (128)
	OutQueue        int           // bytes queued for one connection before it is closed with 1013 (1 MiB)
	Rate            int           // client frames per second (100)
	Burst           int           // ... with this burst (200)
	RefusalsToClose int           // more refused frames than this within RefusalWindow close with 1008 (50)
	RefusalWindow   time.Duration // (10 s)
	Ping            time.Duration // keep-alive ping interval (25 s)
	IdleTimeout     time.Duration // close a connection that sent nothing for this long (60 s)
	CloseTimeout    time.Duration // how long a closing handshake or a slow consumer's last write may take (5 s)
	ReorderWait     time.Duration // how long a node holds a stored frame waiting for an earlier offset before reading it from the store (250 ms)
	GapCheck        time.Duration // how often a node compares each history channel it serves with the store, to deliver frames whose publish was lost (10 s)
	// FlushDelay is the longest a busy server holds a frame back so that it leaves in one
	// write with the next ones for the same connection (coalesce.go): zero while the
	// fan-out is light, growing to this as writing nears a core (15 ms). Negative: never.
	FlushDelay time.Duration
}

// DefaultLimits are the limits of protocol.md §5.
var DefaultLimits = Limits{
	SoftFrame:       64 << 10,
	HardFrame:       1 << 20,
	MaxChannels:     128,
	OutQueue:        1 << 20,
	Rate:            100,
	Burst:           200,
	RefusalsToClose: 50,
	RefusalWindow:   10 * time.Second,
	Ping:            25 * time.Second,
	IdleTimeout:     60 * time.Second,
	CloseTimeout:    5 * time.Second,
	ReorderWait:     250 * time.Millisecond,
	GapCheck:        10 * time.Second,
	FlushDelay:      15 * time.Millisecond,
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	if l.SoftFrame > 0 {
		d.SoftFrame = l.SoftFrame
	}
	if l.HardFrame > 0 {
		d.HardFrame = l.HardFrame
	}
	if d.SoftFrame > d.HardFrame {
		d.SoftFrame = d.HardFrame
	}
	if l.MaxChannels > 0 {
		d.MaxChannels = l.MaxChannels
	}
	if l.OutQueue > 0 {
		d.OutQueue = l.OutQueue
	}
	if l.Rate > 0 {
		d.Rate = l.Rate
	}
	if l.Burst > 0 {
		d.Burst = l.Burst
	}
	if l.RefusalsToClose > 0 {
		d.RefusalsToClose = l.RefusalsToClose
	}
	if l.RefusalWindow > 0 {
		d.RefusalWindow = l.RefusalWindow
	}
	if l.Ping > 0 {
		d.Ping = l.Ping
	}
	if l.IdleTimeout > 0 {
		d.IdleTimeout = l.IdleTimeout
	}
	if l.CloseTimeout > 0 {
		d.CloseTimeout = l.CloseTimeout
	}
	if l.ReorderWait > 0 {
		d.ReorderWait = l.ReorderWait
	}
	if l.GapCheck > 0 {
		d.GapCheck = l.GapCheck
	}
	switch {
	case l.FlushDelay > 0:
		d.FlushDelay = l.FlushDelay
	case l.FlushDelay < 0:
		d.FlushDelay = 0
	}
	return d
}
