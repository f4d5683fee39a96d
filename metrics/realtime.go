package metrics

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// Protocol is a realtime protocol: a label value of the realtime families.
type Protocol uint8

const (
	// RT is the legacy protocol at /rt/ (package realtime).
	RT Protocol = iota
	// WS is Xano's current realtime at /ws/ (package realtime/servers).
	WS
	numProtocols
)

func (p Protocol) String() string {
	if p == WS {
		return "ws"
	}
	return "rt"
}

// Actions are the action label values of the frame families: every action either protocol
// sends or receives. A frame with any other action counts as "other", one that could not
// be decoded as "invalid".
var Actions = []string{
	"join", "leave", "message", "event", "history", "broadcast", "ack", "ping", "pong",
	"presence", "presence_full", "presence_update", "presence_join", "presence_leave",
	"conversation_start", "conversation_end", "error", "other", "invalid",
}

var actionNames = func() map[string]string {
	m := make(map[string]string, len(Actions))
	for _, a := range Actions {
		m[a] = a
	}
	return m
}()

// ActionOf is the action label of an action's bytes: one of Actions, "other" for any else.
// It does not allocate.
func ActionOf(b []byte) string {
	if a, ok := actionNames[string(b)]; ok {
		return a
	}
	return "other"
}

// Reasons are the reason label values of relaybase_realtime_joins_refused_total: the error
// code the refusal was answered with. Any other counts as "other".
var Reasons = []string{
	"channel_not_found", "unauthorized", "forbidden", "too_many_channels", "input_error",
	"rate_limited", "internal", "other",
}

// Realtime counts what the realtime servers do. Counters by protocol, action and reason
// are resolved once, in New: counting a frame is a read-only map lookup and an atomic add,
// and a fan-out adds its whole count at once.
type Realtime struct {
	in, out    [numProtocols]map[string]prometheus.Counter
	refused    [numProtocols]map[string]prometheus.Counter
	deliveries [numProtocols]prometheus.Counter
	slow       [numProtocols]prometheus.Counter
	opened     [numProtocols]prometheus.Counter
	history    [numProtocols]prometheus.Counter
	closes     *prometheus.CounterVec
	writes     prometheus.Counter
	coalesced  prometheus.Counter
	bytes      prometheus.Counter
	repairs    prometheus.Counter
	repaired   prometheus.Counter
	gaps       prometheus.Counter

	vecs []prometheus.Collector
}

func newRealtime() *Realtime {
	in := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "relaybase_realtime_frames_in_total",
		Help: "Frames (whole messages, not control frames) received from realtime clients, by protocol and action.",
	}, []string{"protocol", "action"})
	out := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "relaybase_realtime_frames_out_total",
		Help: "Frames queued for realtime clients (replies and fan-out copies), by protocol and action.",
	}, []string{"protocol", "action"})
	refused := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "relaybase_realtime_joins_refused_total",
		Help: "Channel joins refused, by protocol and reason (the error code answered).",
	}, []string{"protocol", "reason"})
	deliveries := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "relaybase_realtime_deliveries_total",
		Help: "Fan-out copies queued for channel members (one per member a published frame reached on this node).",
	}, []string{"protocol"})
	slow := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "relaybase_realtime_slow_consumer_closes_total",
		Help: "Connections closed with 1013 because their outbound queue was full.",
	}, []string{"protocol"})
	opened := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "relaybase_realtime_connections_opened_total",
		Help: "Realtime WebSocket connections accepted.",
	}, []string{"protocol"})
	history := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "relaybase_realtime_history_reads_total",
		Help: "Reads of a channel's stored history or stream for a client (history action, join with history or resume, replay).",
	}, []string{"protocol"})
	r := &Realtime{
		closes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "relaybase_realtime_closes_total",
			Help: "Realtime connections ended, by protocol and close code (1006: the socket ended without a close frame).",
		}, []string{"protocol", "code"}),
		writes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "relaybase_realtime_writes_total",
			Help: "Socket writes of queued realtime frames.",
		}),
		coalesced: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "relaybase_realtime_coalesced_writes_total",
			Help: "Socket writes that carried more than one frame.",
		}),
		bytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "relaybase_realtime_written_bytes_total",
			Help: "Bytes written to realtime sockets (WebSocket frames, headers included).",
		}),
		repairs: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "relaybase_realtime_gap_repairs_total",
			Help: "Gap repairs: reads of a channel's history to deliver stored frames the engine did not.",
		}),
		repaired: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "relaybase_realtime_repaired_frames_total",
			Help: "Stored frames delivered by a gap repair rather than by the engine.",
		}),
		gaps: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "relaybase_realtime_history_gaps_total",
			Help: "history_gap errors announced to a channel's members: frames that could not be repaired.",
		}),
	}
	for p := range numProtocols {
		ps := p.String()
		r.in[p] = map[string]prometheus.Counter{}
		r.out[p] = map[string]prometheus.Counter{}
		for _, a := range Actions {
			r.in[p][a] = in.WithLabelValues(ps, a)
			r.out[p][a] = out.WithLabelValues(ps, a)
		}
		r.refused[p] = map[string]prometheus.Counter{}
		for _, reason := range Reasons {
			r.refused[p][reason] = refused.WithLabelValues(ps, reason)
		}
		r.deliveries[p] = deliveries.WithLabelValues(ps)
		r.slow[p] = slow.WithLabelValues(ps)
		r.opened[p] = opened.WithLabelValues(ps)
		r.history[p] = history.WithLabelValues(ps)
	}
	r.vecs = []prometheus.Collector{in, out, refused, deliveries, slow, opened, history,
		r.closes, r.writes, r.coalesced, r.bytes, r.repairs, r.repaired, r.gaps}
	return r
}

func (r *Realtime) collectors() []prometheus.Collector { return r.vecs }

func pick(m map[string]prometheus.Counter, key string) prometheus.Counter {
	if c, ok := m[key]; ok {
		return c
	}
	return m["other"]
}

// FrameIn counts a frame received, by its action ("invalid": it did not decode).
func (r *Realtime) FrameIn(p Protocol, action string) {
	if r != nil {
		pick(r.in[p], action).Inc()
	}
}

// FramesOut counts n frames of one action queued for clients.
func (r *Realtime) FramesOut(p Protocol, action string, n int) {
	if r != nil && n > 0 {
		pick(r.out[p], action).Add(float64(n))
	}
}

// Delivered counts one fan-out: n copies of a frame of the action queued for members. They
// count as deliveries and as frames out.
func (r *Realtime) Delivered(p Protocol, action string, n int) {
	if r != nil && n > 0 {
		r.deliveries[p].Add(float64(n))
		pick(r.out[p], action).Add(float64(n))
	}
}

// JoinRefused counts a refused join by the error code it was answered with.
func (r *Realtime) JoinRefused(p Protocol, reason string) {
	if r != nil {
		pick(r.refused[p], reason).Inc()
	}
}

// Opened counts a connection accepted.
func (r *Realtime) Opened(p Protocol) {
	if r != nil {
		r.opened[p].Inc()
	}
}

// SlowConsumer counts a connection closed because its queue was full.
func (r *Realtime) SlowConsumer(p Protocol) {
	if r != nil {
		r.slow[p].Inc()
	}
}

// Closed counts a connection ended with the close code (1006: no close frame).
func (r *Realtime) Closed(p Protocol, code int) {
	if r != nil {
		r.closes.WithLabelValues(p.String(), strconv.Itoa(code)).Inc()
	}
}

// HistoryRead counts a read of stored history for a client.
func (r *Realtime) HistoryRead(p Protocol) {
	if r != nil {
		r.history[p].Inc()
	}
}

// Wrote counts socket writes: writes of them, coalesced of which carried more than one
// frame, bytes in all. A writer adds up its writes and reports them now and then, so that
// counting is not a shared atomic add per write.
func (r *Realtime) Wrote(writes, coalesced, bytes int) {
	if r == nil {
		return
	}
	r.writes.Add(float64(writes))
	if coalesced > 0 {
		r.coalesced.Add(float64(coalesced))
	}
	r.bytes.Add(float64(bytes))
}

// Repaired counts a gap repair that delivered frames stored frames.
func (r *Realtime) Repaired(frames int) {
	if r == nil {
		return
	}
	r.repairs.Inc()
	r.repaired.Add(float64(frames))
}

// Gap counts a history_gap announced to a channel's members.
func (r *Realtime) Gap() {
	if r != nil {
		r.gaps.Inc()
	}
}
