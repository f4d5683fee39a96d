package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"relaybase"
	"relaybase/realtime"
	"relaybase/value"
)

// tailCapacity is how many frames a tail holds for a slow browser before it drops.
const tailCapacity = 256

// keepAlive is how often an idle event stream sends a comment, so proxies keep it open.
const keepAlive = 15 * time.Second

// rates measures frames per second on this node. It counts (realtime.Server.Watch) only
// while the console asks: from the first request for 30 seconds after the last one, so a
// node with no console open counts nothing.
type rates struct {
	mu      sync.Mutex
	stop    func() // ends the Watch; nil when not counting
	until   time.Time
	in, out int64     // counts at the last sample
	at      time.Time // when it was taken
	inPS    float64
	outPS   float64
	done    chan struct{} // closed when the sampler ends
}

// frameRates returns the last measured rates and keeps the sampler running for 30 s.
func (h *Handler) frameRates() (in, out float64) {
	rt := h.cfg.Realtime
	if rt == nil {
		return 0, 0
	}
	r := &h.rates
	r.mu.Lock()
	defer r.mu.Unlock()
	r.until = time.Now().Add(30 * time.Second)
	if r.stop == nil && h.ctx.Err() == nil {
		r.stop = rt.Watch()
		r.in, r.out = rt.FrameCounts()
		r.at = time.Now()
		r.inPS, r.outPS = 0, 0
		r.done = make(chan struct{})
		go h.sample(r.done)
	}
	return r.inPS, r.outPS
}

// sample updates the rates every second until nobody asked for 30 s or the handler
// closes. It is the one goroutine the rates own; done tells Close it ended.
func (h *Handler) sample(done chan struct{}) {
	defer close(done)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	r := &h.rates
	for {
		select {
		case <-h.ctx.Done():
		case <-t.C:
		}
		r.mu.Lock()
		now := time.Now()
		if h.ctx.Err() != nil || now.After(r.until) {
			r.stop()
			r.stop = nil
			r.mu.Unlock()
			return
		}
		in, out := h.cfg.Realtime.FrameCounts()
		if secs := now.Sub(r.at).Seconds(); secs > 0 {
			r.inPS, r.outPS = float64(in-r.in)/secs, float64(out-r.out)/secs
		}
		r.in, r.out, r.at = in, out, now
		r.mu.Unlock()
	}
}

func round1(f float64) float64 { return math.Round(f*10) / 10 }

type historyJSON struct {
	Enabled bool   `json:"enabled"`
	Epoch   string `json:"epoch"`
	Head    int64  `json:"head"`
	Oldest  int64  `json:"oldest"`
}

type channelJSON struct {
	Name     string      `json:"name"`
	Protocol string      `json:"protocol"`
	Server   string      `json:"server,omitempty"`
	Members  int         `json:"members"`
	History  historyJSON `json:"history"`
}

// stats is the node's realtime counts (without channels).
func (h *Handler) stats() map[string]any {
	var conns, members int64
	if rt := h.cfg.Realtime; rt != nil {
		s := rt.Stats()
		conns, members = s.Connections, s.Members
	}
	in, out := h.frameRates()
	return map[string]any{"connections": conns, "members": members, "frames_in_per_s": round1(in), "frames_out_per_s": round1(out)}
}

func (h *Handler) handleRealtime(w http.ResponseWriter, r *http.Request) {
	out := h.stats()
	chans := []channelJSON{}
	if rt := h.cfg.Realtime; rt != nil {
		for _, c := range rt.ChannelStats() {
			cj := channelJSON{Name: c.Name, Protocol: "rt", Members: c.Members}
			if rule, ok := rt.Match(c.Name); ok && rule.History > 0 {
				page, err := h.cfg.Store.History(r.Context(), c.Name, math.MaxInt64, 1)
				if err != nil {
					h.writeError(w, r, fmt.Errorf("history of %s: %w", c.Name, err))
					return
				}
				cj.History = historyJSON{Enabled: true, Epoch: page.Epoch, Head: page.Newest, Oldest: page.Oldest}
			}
			chans = append(chans, cj)
		}
	}
	if sv := h.cfg.Servers; sv != nil {
		for _, c := range sv.ChannelStats() {
			chans = append(chans, channelJSON{Name: c.Path, Protocol: "ws", Server: c.Server, Members: c.Members})
		}
	}
	out["channels"] = chans
	h.writeJSON(w, r, http.StatusOK, out)
}

// channelParam is the request's ?channel=, which must name a channel an active rule of
// the legacy realtime matches.
func (h *Handler) channelParam(r *http.Request) (string, *relaybase.ChannelRule, error) {
	name := r.URL.Query().Get("channel")
	if name == "" {
		return "", nil, inputError("Give the channel: ?channel=NAME.")
	}
	if h.cfg.Realtime == nil {
		return "", nil, notFound("Realtime is off on this node.")
	}
	rule, ok := h.cfg.Realtime.Match(name)
	if !ok || !rule.Active {
		return "", nil, inputError(fmt.Sprintf("No active realtime_channel matches %q.", name))
	}
	return name, rule, nil
}

func (h *Handler) handlePresence(w http.ResponseWriter, r *http.Request) {
	name, _, err := h.channelParam(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	list, err := h.cfg.Engine.Presence(r.Context(), name)
	if err != nil {
		h.writeError(w, r, fmt.Errorf("presence of %s: %w: %w", name, relaybase.ErrUnavailable, err))
		return
	}
	out := make([]json.RawMessage, 0, len(list))
	for _, m := range list {
		if json.Valid(m) {
			out = append(out, m)
		}
	}
	h.writeJSON(w, r, http.StatusOK, out)
}

func (h *Handler) handleHistory(w http.ResponseWriter, r *http.Request) {
	name, rule, err := h.channelParam(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	limit := 50
	if s := q.Get("limit"); s != "" {
		if limit, err = strconv.Atoi(s); err != nil || limit < 1 || limit > 500 {
			h.writeError(w, r, inputError("limit must be a whole number from 1 to 500."))
			return
		}
	}
	type item struct {
		Offset    int64           `json:"offset"`
		CreatedAt int64           `json:"created_at"`
		Frame     json.RawMessage `json:"frame"`
	}
	out := struct {
		Epoch  string `json:"epoch"`
		Head   int64  `json:"head"`
		Oldest int64  `json:"oldest"`
		Items  []item `json:"items"`
	}{Items: []item{}}
	if rule.History == 0 {
		h.writeJSON(w, r, http.StatusOK, out)
		return
	}
	head, err := h.cfg.Store.History(r.Context(), name, math.MaxInt64, 1)
	if err != nil {
		h.writeError(w, r, fmt.Errorf("history of %s: %w", name, err))
		return
	}
	out.Epoch, out.Head, out.Oldest = head.Epoch, head.Newest, head.Oldest
	before := head.Newest + 1
	if s := q.Get("before"); s != "" {
		if before, err = strconv.ParseInt(s, 10, 64); err != nil || before < 1 {
			h.writeError(w, r, inputError("before must be an offset (a whole number from 1)."))
			return
		}
	}
	after := max(0, before-1-int64(limit))
	page, err := h.cfg.Store.History(r.Context(), name, after, limit)
	if err != nil {
		h.writeError(w, r, fmt.Errorf("history of %s: %w", name, err))
		return
	}
	for i := len(page.Entries) - 1; i >= 0; i-- { // newest first
		e := page.Entries[i]
		if e.Offset >= before {
			continue
		}
		frame := json.RawMessage(e.Frame)
		if !json.Valid(frame) {
			frame = json.RawMessage("null")
		}
		out.Items = append(out.Items, item{Offset: e.Offset, CreatedAt: e.CreatedAt, Frame: frame})
	}
	h.writeJSON(w, r, http.StatusOK, out)
}

// handlePublish sends an event as api.realtime_event does: the channel's rule checked,
// stored under its next offset in a transaction when the channel keeps history, and
// published to every node once that committed.
func (h *Handler) handlePublish(w http.ResponseWriter, r *http.Request) {
	var in *value.Object
	if err := readJSON(r, &in); err != nil {
		h.writeError(w, r, err)
		return
	}
	channel, _ := in.Get("channel")
	name, ok := channel.(string)
	if !ok || name == "" {
		h.writeError(w, r, inputError("channel must be a channel's name."))
		return
	}
	if h.cfg.Realtime == nil {
		h.writeError(w, r, notFound("Realtime is off on this node."))
		return
	}
	payload, _ := in.Get("payload")
	ev := h.cfg.Realtime
	staged, err := ev.Stage(r.Context(), relaybase.Event{Channel: name, Data: payload})
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	batch := []relaybase.StagedEvent{staged}
	if staged.Keep > 0 {
		tx, err := h.cfg.Store.Begin(r.Context(), true)
		if err != nil {
			h.writeError(w, r, fmt.Errorf("publish to %s: %w", name, err))
			return
		}
		if err := ev.Store(r.Context(), tx, batch); err != nil {
			_ = tx.Rollback()
			h.writeError(w, r, fmt.Errorf("publish to %s: %w", name, err))
			return
		}
		if err := tx.Commit(); err != nil {
			h.writeError(w, r, fmt.Errorf("publish to %s: %w", name, err))
			return
		}
	}
	ev.Publish(context.WithoutCancel(r.Context()), batch)
	h.log.Info("admin published a realtime event", "admin", current(r).admin.Email, "channel", name, "offset", batch[0].Offset)
	out := map[string]any{}
	if batch[0].Offset > 0 {
		out["offset"] = batch[0].Offset
	}
	h.writeJSON(w, r, http.StatusOK, out)
}

// eventStream starts a text/event-stream answer; nil when the connection cannot stream.
func (h *Handler) eventStream(w http.ResponseWriter, r *http.Request) *http.ResponseController {
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	if _, err := fmt.Fprint(w, ": relaybase\n\n"); err != nil {
		return nil
	}
	if err := rc.Flush(); err != nil {
		return nil
	}
	// The stream outlives the server's write timeout, if it has one.
	_ = rc.SetWriteDeadline(time.Time{})
	return rc
}

// handleTail streams the frames this node delivers on a channel until the browser goes
// away or the server shuts down.
func (h *Handler) handleTail(w http.ResponseWriter, r *http.Request) {
	name, _, err := h.channelParam(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	frames, dropped, stop, err := h.cfg.Realtime.Tap(r.Context(), name, tailCapacity)
	if errors.Is(err, realtime.ErrNoRule) {
		h.writeError(w, r, inputError(err.Error()))
		return
	}
	if err != nil {
		h.writeError(w, r, fmt.Errorf("%w: %w", relaybase.ErrUnavailable, err))
		return
	}
	defer stop()
	rc := h.eventStream(w, r)
	if rc == nil {
		return
	}
	ping := time.NewTicker(keepAlive)
	defer ping.Stop()
	var told int64
	for {
		var msg []byte
		select {
		case <-r.Context().Done():
			return
		case <-h.ctx.Done():
			return
		case <-ping.C:
			msg = []byte(": keep-alive\n\n")
		case f := <-frames:
			if !json.Valid(f.JSON) {
				continue
			}
			msg = append(msg, "data: {"...)
			if f.Offset > 0 {
				msg = append(msg, `"offset":`...)
				msg = strconv.AppendInt(msg, f.Offset, 10)
				msg = append(msg, ',')
			}
			msg = append(msg, `"frame":`...)
			msg = append(msg, f.JSON...) // JSON has no raw newline: one data line
			msg = append(msg, "}\n\n"...)
		}
		if d := dropped(); d != told {
			msg = append(msg, fmt.Sprintf("data: {\"dropped\":%d}\n\n", d)...)
			told = d
		}
		if _, err := w.Write(msg); err != nil {
			return
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
}

// handleStatsStream sends the node's realtime counts every second.
func (h *Handler) handleStatsStream(w http.ResponseWriter, r *http.Request) {
	rc := h.eventStream(w, r)
	if rc == nil {
		return
	}
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		b, err := json.Marshal(h.stats())
		if err != nil {
			return
		}
		if _, err := fmt.Fprintf(w, "data: %s\n\n", b); err != nil {
			return
		}
		if err := rc.Flush(); err != nil {
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-h.ctx.Done():
			return
		case <-t.C:
		}
	}
}
