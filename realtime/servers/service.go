package servers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"relaybase"
	"relaybase/metrics"
	"relaybase/realtime"
	"relaybase/value"
)

// KeyPrefix starts the Engine channel and Store stream key of every channel of this
// package: a control character, which no legacy channel name may contain, so the two
// protocols never share a key.
const KeyPrefix = "\x1fws\x1f"

// Config is what a Service needs. Zero fields take the defaults noted.
type Config struct {
	// Servers are the workspace's realtime servers with their channels and messages.
	Servers []*relaybase.RealtimeServer
	// Tenant is the one tenant name /ws/<tenant>:<canonical> answers for (the workspace's
	// name); "" answers no tenant form.
	Tenant string
	// AuthTables maps auth table names to their ids, for messages with auth = "<table>".
	AuthTables map[string]int64
	// Store keeps streams and cursors. Nil: no channel keeps a stream.
	Store relaybase.Store
	// Engine carries frames and presence between nodes. Required.
	Engine relaybase.Engine
	// Logger (nil: discard).
	Logger *slog.Logger
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// AckFlush is how often acknowledged cursors are written to the Store (0: 100 ms).
	AckFlush time.Duration
}

// Service is the current realtime of one workspace on one node. It implements
// relaybase.RealtimePublisher from New on, and serves /ws/ once Serve has attached it to a
// realtime.Server.
type Service struct {
	cfg    Config
	log    *slog.Logger
	now    func() time.Time
	engine relaybase.Engine
	store  relaybase.Store

	byName  map[string]*server
	byCanon map[string]*server

	hub      hub
	limits   limiter
	acks     acks
	drainers sync.WaitGroup // the per-recipient drainers (perrecipient.go)
	started  bool
	sockets  atomic.Int64 // the last socket_id handed out on this node, under its random base

	attached atomic.Pointer[attachment]
}

type attachment struct {
	rt       *realtime.Server
	tokens   relaybase.Tokens
	handlers relaybase.RealtimeHandlers
	ctx      context.Context
}

// server is one realtime server and what it takes to match its channels.
type server struct {
	def      *relaybase.RealtimeServer
	channels []*relaybase.RealtimeChannel // active ones
	anyAnon  bool                         // some active channel admits anonymous clients
}

var _ relaybase.RealtimePublisher = (*Service)(nil)

// New returns the Service of cfg.Servers. It starts nothing.
func New(cfg Config) (*Service, error) {
	if cfg.Engine == nil {
		return nil, errors.New("realtime servers: Config.Engine is required")
	}
	s := &Service{cfg: cfg, log: cfg.Logger, now: cfg.Now, engine: cfg.Engine, store: cfg.Store,
		byName: map[string]*server{}, byCanon: map[string]*server{}}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	for _, d := range cfg.Servers {
		sv := &server{def: d}
		for _, c := range d.Channels {
			if c.Active {
				sv.channels = append(sv.channels, c)
				sv.anyAnon = sv.anyAnon || c.Anonymous
			}
		}
		s.byName[d.Name] = sv
		s.byCanon[d.Canonical] = sv
	}
	s.hub.init()
	s.limits.init()
	s.acks.init(s)
	// socket_ids are integers (as Xano's session reports them): a random base per node
	// keeps them apart across nodes and restarts.
	s.sockets.Store(randomBase())
	return s, nil
}

// Serve attaches the Service to the connections of rt: from now on ServeHTTP accepts
// /ws/ connections, tokens verify them, and handlers run their stacks. rt's Engine
// messages for this package's channels come here.
func (s *Service) Serve(ctx context.Context, rt *realtime.Server, tokens relaybase.Tokens, handlers relaybase.RealtimeHandlers) {
	rt.SetRoutes(realtime.Route{Prefix: KeyPrefix, Deliver: s.deliver, Expired: s.expired})
	s.attached.Store(&attachment{rt: rt, tokens: tokens, handlers: handlers, ctx: ctx})
	if !s.started {
		s.started = true
		every := s.cfg.AckFlush
		if every <= 0 {
			every = DefaultAckFlush
		}
		s.acks.start(every)
	}
}

// metrics is where the realtime server this Service is attached to counts (nil before
// Serve, or when it counts nowhere).
func (s *Service) metrics() *metrics.Realtime {
	if a := s.attached.Load(); a != nil {
		return a.rt.Metrics()
	}
	return nil
}

// Close waits for the per-recipient drainers, writes the acknowledged cursors not yet
// written and stops the Service's goroutine. Call it after the realtime.Server's Shutdown
// (its connections' last acks)
// and before closing the Store.
func (s *Service) Close() {
	s.drainers.Wait()
	if s.started {
		s.acks.close()
		<-s.acks.done
	}
}

// Servers lists the servers' canonicals with their names, for the startup banner.
func (s *Service) Servers() []*relaybase.RealtimeServer { return s.cfg.Servers }

// ServeHTTP upgrades GET /ws/<canonical> (or /ws/<tenant>:<canonical>) of an active server.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutPrefix(r.URL.Path, "/ws/")
	if tenant, canon, hasTenant := strings.Cut(name, ":"); hasTenant {
		ok = ok && s.cfg.Tenant != "" && tenant == s.cfg.Tenant
		name = canon
	}
	sv := s.byCanon[name]
	if !ok || sv == nil || !sv.def.Active || r.Method != http.MethodGet {
		writeHTTPError(w, http.StatusNotFound, relaybase.CodeNotFound, "Unable to locate request.")
		return
	}
	at := s.attached.Load()
	if at == nil {
		writeHTTPError(w, http.StatusServiceUnavailable, relaybase.CodeServiceUnavailable, "Realtime is starting.")
		return
	}
	at.rt.Accept(w, r, &protocol{s: s, at: at, sv: sv})
}

func writeHTTPError(w http.ResponseWriter, status int, code relaybase.Code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]string{"code": string(code), "message": msg, "payload": ""})
	_, _ = w.Write(b)
}

// match finds the active channel of sv a filled-in path joins (docs/realtime.md, "Channels,
// paths and joining"): same number of segments, literals equal, a parameter taking any
// segment value; a literal wins over a parameter, leftmost first. It returns the path's
// parameters as text.
func (sv *server) match(path string) (*relaybase.RealtimeChannel, []string, bool) {
	if path == "" || len(path) > 200 {
		return nil, nil, false
	}
	segs := strings.Split(path, "/")
	for _, seg := range segs {
		if !relaybase.ValidPathSegment(seg) {
			return nil, nil, false
		}
	}
	var best *relaybase.RealtimeChannel
	var bestScore []bool // per segment: literal
	for _, c := range sv.channels {
		if len(c.Segments) != len(segs) {
			continue
		}
		score := make([]bool, len(segs))
		ok := true
		for i, t := range c.Segments {
			if relaybase.IsPathParam(t) {
				continue
			}
			if t != segs[i] {
				ok = false
				break
			}
			score[i] = true
		}
		if !ok {
			continue
		}
		if best == nil || beats(score, bestScore) {
			best, bestScore = c, score
		}
	}
	if best == nil {
		return nil, nil, false
	}
	var params []string
	for i, t := range best.Segments {
		if relaybase.IsPathParam(t) {
			params = append(params, segs[i])
		}
	}
	return best, params, true
}

// beats reports whether a has a literal where b has a parameter at the first place they
// differ.
func beats(a, b []bool) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i]
		}
	}
	return false
}

// bindParams coerces a path's parameter values to their declared types. It returns them
// as text (the session's params, as Xano reports them) and coerced (for $input).
func bindParams(c *relaybase.RealtimeChannel, vals []string) (text, typed *value.Object, err error) {
	text, typed = value.NewObject(len(vals)), value.NewObject(len(vals))
	for i, p := range c.Params {
		v := vals[i]
		text.Set(p.Name, v)
		var tv any = v
		switch p.Type {
		case relaybase.TypeInt, relaybase.TypeTimestamp:
			n, perr := strconv.ParseInt(v, 10, 64)
			if perr != nil {
				return nil, nil, fmt.Errorf("{%s} must be an integer, got %q", p.Name, v)
			}
			tv = n
		case relaybase.TypeDecimal:
			f, perr := strconv.ParseFloat(v, 64)
			if perr != nil {
				return nil, nil, fmt.Errorf("{%s} must be a number, got %q", p.Name, v)
			}
			tv = f
		case relaybase.TypeBool:
			switch v {
			case "true", "1":
				tv = true
			case "false", "0":
				tv = false
			default:
				return nil, nil, fmt.Errorf("{%s} must be true or false, got %q", p.Name, v)
			}
		case relaybase.TypeEnum:
			found := false
			for _, e := range p.Values {
				found = found || e == v
			}
			if !found {
				return nil, nil, fmt.Errorf("{%s} must be one of %s, got %q", p.Name, strings.Join(p.Values, ", "), v)
			}
		}
		typed.Set(p.Name, tv)
	}
	return text, typed, nil
}

// key is the Engine channel and Store stream of a filled-in path of a server.
func key(sv *server, path string) string {
	return KeyPrefix + sv.def.Canonical + "\x1f" + path
}

// StagePublication implements relaybase.RealtimePublisher (realtime.publish): the server
// must be defined and active and the path must join one of its active channels, else an
// *relaybase.Error the stack can catch. When the channel keeps a stream, the StagedEvent's
// StoreIn stores the message in the stack's transaction once the stack has finished; its
// Deliver sends it after the commit.
func (s *Service) StagePublication(ctx context.Context, p relaybase.Publication) (relaybase.StagedEvent, error) {
	sv := s.byName[p.Server]
	switch {
	case sv == nil:
		return relaybase.StagedEvent{}, relaybase.Errorf(relaybase.CodeFatal, "realtime.publish: no realtime_server is named %q.", p.Server)
	case !sv.def.Active:
		return relaybase.StagedEvent{}, relaybase.Errorf(relaybase.CodeFatal, "realtime.publish: realtime_server %s is not active.", p.Server)
	}
	if strings.ContainsAny(p.Channel, "{}") {
		return relaybase.StagedEvent{}, relaybase.Errorf(relaybase.CodeFatal, "realtime.publish: channel %q is a template; fill in its parameters (\"rooms/42\").", p.Channel)
	}
	c, vals, ok := sv.match(p.Channel)
	if !ok {
		return relaybase.StagedEvent{}, relaybase.Errorf(relaybase.CodeFatal, "realtime.publish: no active channel of %s matches %q.", p.Server, p.Channel)
	}
	if _, _, err := bindParams(c, vals); err != nil {
		return relaybase.StagedEvent{}, relaybase.Errorf(relaybase.CodeFatal, "realtime.publish: channel %q of %s: %v.", p.Channel, p.Server, err)
	}
	data, err := value.EncodeJSON(p.Data)
	if err != nil {
		return relaybase.StagedEvent{}, &relaybase.Error{Code: relaybase.CodeFatal, Message: "realtime.publish: the data can't be encoded as JSON.", Err: err}
	}
	typ := p.Type
	if typ == "" {
		typ = "publish"
	}
	m := outMessage{key: key(sv, p.Channel), channel: p.Channel, typ: typ, payload: data, from: p.From, def: c}
	return s.stage(&m, kindAll, ""), nil
}

// randomBase is where a node's socket_ids start: 2^52 + a random multiple of 2^32, so
// they stay exact in JavaScript and apart from another node's.
func randomBase() int64 {
	var b [4]byte
	_, _ = randRead(b[:])
	n := int64(b[0])<<24 | int64(b[1])<<16 | int64(b[2])<<8 | int64(b[3])
	return 1<<52 | (n&0xfffff)<<32
}

// ctx is the Service's context for Engine and Store calls made for connections.
func (s *Service) ctx() context.Context {
	if at := s.attached.Load(); at != nil {
		return at.ctx
	}
	return context.Background()
}
