package realtime

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gobwas/ws"

	"relaybase"
	"relaybase/metrics"
)

// Server is one node's realtime side: it accepts WebSocket connections at
// /rt/{canonical}, keeps their channel memberships in a sharded hub, and moves frames and
// presence through the Engine of its Channels. It implements http.Handler, and through its
// Channels relaybase.Events.
type Server struct {
	// The server's channels: their rules, store, engine and clock (and Stage, Publish and
	// Match) are the server's own.
	*Channels

	cfg Config
	lim Limits
	log *slog.Logger
	// afterFunc arms a channel's reorder wait: time.AfterFunc, replaced by tests that fire
	// the wait by hand.
	afterFunc func(time.Duration, func()) stopper

	hub     hub
	repairs repairs
	nodeID  string // names this node in the Engine messages it must not act on itself
	conns   registry
	members atomic.Int64 // memberships of this node's connections (Stats)
	watch   watch        // the admin console's frame counts (watch.go)
	met     *metrics.Realtime
	pool    writerPool
	flush   flushers

	ctx    context.Context // ends at Shutdown: stops engine delivery, pinger and writers
	cancel context.CancelFunc

	mu       sync.Mutex // guards closing and the WaitGroup's Add against Shutdown
	closing  bool
	wg       sync.WaitGroup // one per connection's reader goroutine
	bg       sync.WaitGroup // the pinger, flushers, repair workers, checker and republisher
	pingWire []byte
	routes   atomic.Pointer[[]Route] // Engine messages another protocol handles (SetRoutes)

	owedMu   sync.Mutex
	owed     map[string]*owedPublish // by channel: publishes that failed (repair.go)
	owedWake chan struct{}
}

// stopper is a timer that can be stopped: *time.Timer, or a test's.
type stopper interface{ Stop() bool }

var _ relaybase.Events = (*Server)(nil)
var _ http.Handler = (*Server)(nil)

// New starts engine delivery and the keep-alive pinger for cfg.Channels, and returns a
// server ready to be mounted at /rt/. Channels and Triggers are required: a server never
// runs, not even for a moment, without the triggers that may refuse its joins and messages.
func New(cfg Config) (*Server, error) {
	if cfg.Channels == nil {
		return nil, errors.New("realtime: Config.Channels is required")
	}
	if cfg.Triggers == nil {
		return nil, errors.New("realtime: Config.Triggers is required (realtime.NoTriggers when the workspace has no realtime_trigger)")
	}
	if cfg.Canonical == "" {
		return nil, errors.New("realtime: Config.Canonical is required")
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		Channels:  cfg.Channels,
		cfg:       cfg,
		lim:       cfg.Limits.withDefaults(),
		log:       log,
		afterFunc: func(d time.Duration, f func()) stopper { return time.AfterFunc(d, f) },
		pingWire:  controlFrame(0x9, nil),
		nodeID:    newSocketID(),
		owed:      make(map[string]*owedPublish),
		owedWake:  make(chan struct{}, 1),
		met:       cfg.Metrics,
	}
	if !cfg.Channels.srv.CompareAndSwap(nil, s) {
		return nil, errors.New("realtime: another Server serves these Channels already")
	}
	s.hub.init()
	s.repairs.init()
	s.conns.init()
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.pool.init(s.ctx.Done())
	s.flush.init(runtime.GOMAXPROCS(0), s.lim.FlushDelay, s.ctx.Done(), &s.bg)
	if err := s.engine.Start(s.ctx, s.deliver); err != nil {
		s.cancel()
		s.Channels.srv.CompareAndSwap(s, nil)
		return nil, fmt.Errorf("realtime: start engine: %w", err)
	}
	if ex, ok := s.engine.(relaybase.PresenceExpirer); ok {
		ex.OnExpire(s.announceExpired)
	}
	if rs, ok := s.engine.(relaybase.Resubscriber); ok {
		rs.OnResubscribe(s.resubscribed)
	}
	s.bg.Add(2)
	go s.pinger()
	go s.republisher()
	if s.store != nil {
		s.bg.Add(1 + repairWorkers)
		go s.checker()
		for range repairWorkers {
			go s.repairWorker()
		}
	}
	return s, nil
}

// announceExpired tells every node's presence members that a member of a dead node left:
// its own node can no longer say so.
func (s *Server) announceExpired(channel, socketID string, member []byte) {
	if rt := s.routeOf(channel); rt != nil {
		if rt.Expired != nil {
			rt.Expired(channel, socketID, member)
		}
		return
	}
	rule, ok := s.Match(channel)
	if !ok || !rule.Presence {
		return
	}
	b := appendPresenceUpdate(newFrame(len(member)+len(channel)+96), channel, false, member)
	if err := s.engine.Publish(s.ctx, channel, seal(b, kindPresenceLeave, 0, 0, socketID)); err != nil {
		s.log.Warn("realtime: announcing an expired member's leave failed", "channel", channel, "err", err)
	}
}

// bgCtx is the context for Engine calls that must happen even while shutting down.
func (s *Server) bgCtx() context.Context { return context.WithoutCancel(s.ctx) }

// ServeHTTP upgrades GET /rt/{canonical} to a WebSocket connection.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutPrefix(r.URL.Path, "/rt/")
	if !ok || name != s.cfg.Canonical || r.Method != http.MethodGet {
		writeHTTPError(w, http.StatusNotFound, relaybase.CodeNotFound, "Unable to locate request.")
		return
	}
	s.upgrade(w, r, nil)
}

// upgrade upgrades r and starts the connection's reader: the legacy protocol's, or p's.
func (s *Server) upgrade(w http.ResponseWriter, r *http.Request, p Protocol) {
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		writeHTTPError(w, http.StatusBadRequest, relaybase.CodeInputError, "This address takes WebSocket connections only.")
		return
	}
	s.mu.Lock()
	closing := s.closing
	s.mu.Unlock()
	if closing {
		writeHTTPError(w, http.StatusServiceUnavailable, relaybase.CodeServiceUnavailable, "The server is restarting.")
		return
	}
	up := ws.HTTPUpgrader{Protocol: func(string) bool { return true }}
	var deflate deflateNegotiation
	if s.cfg.Deflate {
		up.Negotiate = deflate.negotiate
	}
	nc, rw, hs, err := up.Upgrade(r, w)
	if err != nil {
		if nc != nil {
			nc.Close()
		}
		s.log.Debug("realtime: upgrade failed", "err", err, "remote", r.RemoteAddr)
		return
	}
	var pre []byte
	if n := rw.Reader.Buffered(); n > 0 {
		p, _ := rw.Reader.Peek(n)
		pre = append([]byte(nil), p...)
	}
	tr := newNetTransport(nc, r.TLS != nil)
	tr.client = s.cfg.TrustedProxies.FromRequest(r)
	c := s.newConn(tr, pre)
	c.deflate = deflate.accepted
	s.start(c, p, hs.Protocol, tr.client)
}

// start gives a connection just upgraded its protocol (p, or the legacy one with the token
// offered as the subprotocol) and starts its reader on a goroutine of its own, so that the
// one that upgraded it (with net/http's buffers, on that path) ends now: an idle connection
// keeps only what it needs.
func (s *Server) start(c *conn, p Protocol, subprotocol, client string) {
	switch {
	case p != nil:
		c.proto = &Conn{c: c, p: p, Subprotocol: subprotocol}
	case subprotocol == "":
	case s.cfg.Tokens == nil:
		c.badToken = true
	default:
		if id, err := s.cfg.Tokens.Verify(subprotocol); err != nil {
			c.badToken = true
			s.log.Debug("realtime: token refused", "err", err, "client", client)
		} else {
			c.setIdentity(id)
		}
	}
	s.accept(c)
}

// accept starts c's reader goroutine, or closes c with 1012 when the server is shutting
// down.
func (s *Server) accept(c *conn) {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		_, _ = c.tr.Write([][]byte{closeFrame(1012, "service restart")})
		c.tr.Close()
		return
	}
	s.wg.Add(1)
	s.mu.Unlock()
	s.met.Opened(c.protocol())
	s.conns.add(c)
	go c.serve()
}

func writeHTTPError(w http.ResponseWriter, status int, code relaybase.Code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	b := append([]byte(`{"code":`), appendString(nil, string(code))...)
	b = append(b, `,"message":`...)
	b = appendString(b, msg)
	b = append(b, `,"payload":""}`...)
	_, _ = w.Write(b)
}

// Shutdown closes every connection with 1012 (service restart: clients come back), what
// was queued for it first, and waits for their readers to end. When ctx ends first, the
// connections still open are closed at once (no close frame) and Shutdown still waits for
// their readers, then returns ctx's error. Then it stops engine delivery, the flushers,
// the writer pool and the pinger. New connections are refused from its start.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	s.mu.Unlock()
	s.conns.each(func(c *conn) { c.startClose(1012, "service restart", false) })
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = ctx.Err()
		s.conns.each(func(c *conn) { c.tr.Close() })
		<-done
	}
	s.Channels.srv.CompareAndSwap(s, nil) // events published from now on go through the engine alone
	s.cancel()
	s.bg.Wait()
	return err
}

// pinger sends every connection a WebSocket ping once per Limits.Ping, spread over the
// period one registry shard at a time.
func (s *Server) pinger() {
	defer s.bg.Done()
	tick := max(s.lim.Ping/registryShards, time.Millisecond)
	t := time.NewTicker(tick)
	defer t.Stop()
	for i := 0; ; i = (i + 1) % registryShards {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
		s.conns.shards[i].each(func(c *conn) { c.enqueue(s.pingWire) })
	}
}

// newSocketID returns 128 random bits, base64url: unguessable and never reused.
func newSocketID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// Metrics is where the server counts (nil: nowhere): a Protocol counts its own frames and
// fan-outs there too.
func (s *Server) Metrics() *metrics.Realtime { return s.met }

// Stats are counts of this node's realtime side, for metrics.
type Stats struct {
	Connections int64 // open WebSocket connections
	Members     int64 // their channel memberships: one per connection and channel joined
}

// Stats returns the node's current counts.
func (s *Server) Stats() Stats {
	return Stats{Connections: s.conns.n.Load(), Members: s.members.Load()}
}

// registry holds every open connection of this node by socketId.
type registry struct {
	shards [registryShards]registryShard
	n      atomic.Int64 // connections registered
}

const registryShards = 64

type registryShard struct {
	mu sync.Mutex
	m  map[string]*conn
}

func (r *registry) init() {
	for i := range r.shards {
		r.shards[i].m = make(map[string]*conn)
	}
}

func (r *registry) shard(id string) *registryShard {
	return &r.shards[fnv32(id)%registryShards]
}

func (r *registry) add(c *conn) {
	sh := r.shard(c.id)
	sh.mu.Lock()
	sh.m[c.id] = c
	sh.mu.Unlock()
	r.n.Add(1)
}

func (r *registry) remove(c *conn) {
	sh := r.shard(c.id)
	sh.mu.Lock()
	_, ok := sh.m[c.id]
	delete(sh.m, c.id)
	sh.mu.Unlock()
	if ok {
		r.n.Add(-1)
	}
}

func (r *registry) get(id []byte) *conn {
	sh := r.shard(string(id))
	sh.mu.Lock()
	c := sh.m[string(id)]
	sh.mu.Unlock()
	return c
}

func (r *registry) each(f func(*conn)) {
	for i := range r.shards {
		r.shards[i].each(f)
	}
}

func (sh *registryShard) each(f func(*conn)) {
	sh.mu.Lock()
	list := make([]*conn, 0, len(sh.m))
	for _, c := range sh.m {
		list = append(list, c)
	}
	sh.mu.Unlock()
	for _, c := range list {
		f(c)
	}
}

func fnv32(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}

// clientJSON is the client object C of protocol.md §2 for a connection.
func clientJSON(socketID string, id relaybase.Identity) []byte {
	b := make([]byte, 0, 96)
	b = append(b, `{"socketId":`...)
	b = appendString(b, socketID)
	b = append(b, `,"extras":`...)
	if id.Extras != nil && id.Extras.Len() > 0 {
		if ex, err := id.Extras.MarshalJSON(); err == nil {
			b = append(b, ex...)
		} else {
			b = append(b, `{}`...)
		}
	} else {
		b = append(b, `{}`...)
	}
	b = append(b, `,"permissions":{"dbo_id":`...)
	b = strconv.AppendInt(b, id.TableID, 10)
	b = append(b, `,"row_id":`...)
	b = strconv.AppendInt(b, id.RowID, 10)
	return append(b, `}}`...)
}

// isTimeout reports a deadline that passed.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
