package main

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"relaybase"
	"relaybase/admin"
	"relaybase/auth"
	"relaybase/engine/memory"
	"relaybase/engine/redis"
	"relaybase/filestore"
	"relaybase/httpapi"
	"relaybase/internal/clientip"
	"relaybase/metrics"
	"relaybase/outbound"
	"relaybase/realtime"
	"relaybase/realtime/servers"
	"relaybase/schedule"
	"relaybase/stack"
	"relaybase/store/postgres"
	"relaybase/store/sqlite"
	"relaybase/web"
	"relaybase/workspace"
	"relaybase/xs"
)

func serveCommand(getenv func(string) string, stdout, stderr io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve DIR",
		Short: "Run a workspace: its tables, API endpoints and realtime channels",
		Long: "serve runs the workspace in DIR. Settings come from flags, then RELAYBASE_* environment\n" +
			"variables, then DIR/relaybase.yaml, then defaults; docs/configuration.md lists them all.",
		Args: cobra.ExactArgs(1),
	}
	registerFlags(cmd.Flags())
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		return serve(cmd.Context(), cmd, args[0], getenv, stdout, stderr)
	}
	return cmd
}

// node is one running relaybase: everything serve opened, so it can be closed in order.
type node struct {
	log       *slog.Logger
	store     relaybase.Store
	engine    relaybase.Engine
	realtime  *realtime.Server
	cert      *certificate      // the TLS certificate, reloaded on SIGHUP; nil: plain HTTP
	proxies   *clientip.Proxies // trusted_proxies: whose forwarding headers name the client
	servers   *servers.Service  // Xano's current realtime (/ws/)
	http      *http.Server
	api       *httpapi.Server
	listener  net.Listener
	canonical string
	debug     *http.Server // pprof, when debug_addr is set
	metrics   *metrics.Metrics
	metricsLn net.Listener // metrics_addr's listener, when set
	metricsHS *http.Server
	outbound  *outbound.Client
	tokens    *auth.Tokens
	files     *filestore.Store
	name      string              // this node's name in task leases and run records
	sched     *schedule.Scheduler // runs the workspace's tasks; nil when off or none
	console   *admin.Handler      // the admin console at /_/; nil when off
}

func serve(ctx context.Context, cmd *cobra.Command, dir string, getenv func(string) string, stdout, stderr io.Writer) error {
	ws, diags, err := workspace.Load(dir)
	if err != nil {
		return err
	}
	cfg, err := resolveConfig(cmd.Flags(), getenv, ws.Config)
	if err != nil {
		return err
	}
	log := newLogger(stderr, cfg)
	raiseProcs(getenv)
	access := newAccessLog(stderr, cfg)

	n, prog, diags, err := start(ctx, ws, diags, cfg, getenv, log, access)
	for _, d := range diags {
		switch d.Severity {
		case xs.Error:
			log.Error(d.Message, "at", d.Pos.String())
		case xs.Unsupported:
			log.Warn("not run by relaybase: "+d.Message, "at", d.Pos.String())
		default:
			log.Warn(d.Message, "at", d.Pos.String())
		}
	}
	if err != nil {
		return err
	}
	// SIGHUP re-reads the TLS certificate and key (a renewal): new handshakes get the new
	// pair, open connections keep theirs. Caught only when serving TLS; elsewhere it keeps
	// its default meaning.
	hup := make(chan os.Signal, 1)
	if n.cert != nil {
		signal.Notify(hup, syscall.SIGHUP)
		defer signal.Stop(hup)
	}
	printURLs(stdout, n, ws, prog, n.cert != nil)

	errc := make(chan error, 1)
	go func() {
		var err error
		if n.cert != nil {
			// The certificate comes from TLSConfig.GetCertificate, so no files here.
			err = n.http.ServeTLS(n.listener, "", "")
		} else {
			// Plain TCP: realtime upgrades skip net/http (httpapi.Server.Listener).
			err = n.http.Serve(n.api.Listener(n.listener))
		}
		if !errors.Is(err, http.ErrServerClosed) {
			errc <- err
		}
		close(errc)
	}()
	for running := true; running; {
		select {
		case <-ctx.Done():
			log.Info("stopping: finishing in-flight requests")
			running = false
		case err := <-errc:
			if err != nil {
				log.Error("server failed", "err", err)
			}
			running = false
		case <-hup:
			if err := n.cert.reload(); err != nil {
				log.Error("TLS reload failed; still serving the certificate loaded before", "err", err)
			} else {
				log.Info("TLS certificate reloaded", "cert", cfg.str("tls_cert"), "not_after", n.cert.cur.Load().Leaf.NotAfter)
			}
		}
	}
	return n.shutdown(cfg.duration("shutdown_timeout"))
}

// start opens the data, compiles the workspace, starts the task scheduler and listens. On
// error it closes what it opened.
func start(ctx context.Context, ws *workspace.Workspace, diags []xs.Diagnostic, cfg *config, getenv func(string) string, log *slog.Logger, access accessLog) (n *node, prog *stack.Program, _ []xs.Diagnostic, err error) {
	n, prog, diags, err = open(ctx, ws, diags, cfg, getenv, log, access)
	if err != nil {
		return nil, nil, diags, err
	}
	opened := n // the results are nil on error; close what was opened
	defer func() {
		if err != nil {
			_ = opened.close(context.Background())
		}
	}()
	if cfg.bool("strict") {
		for _, d := range diags {
			if d.Severity == xs.Unsupported {
				return nil, nil, diags, errors.New("strict: the workspace uses XanoScript that relaybase does not run (listed above)")
			}
		}
	}
	if cfg.bool("tasks") {
		if ledger, ok := n.store.(relaybase.TaskLedger); ok && len(prog.Tasks()) > 0 {
			n.sched = schedule.New(schedule.Options{Program: prog, Ledger: ledger, Node: n.name, Logger: log, Metrics: n.metrics.Tasks})
			n.sched.Start(context.WithoutCancel(ctx))
		}
	}

	var console http.Handler
	var api *httpapi.Server
	if cfg.bool("admin") {
		// Endpoint runs from the console go through the very handler clients use, which is
		// built just below, with the console mounted in it.
		self := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { api.ServeHTTP(w, r) })
		if n.console, err = admin.New(admin.Config{Store: n.store, Workspace: ws, Program: prog, Diagnostics: diags,
			Settings: maskedSettings(cfg), API: self, Realtime: n.realtime, Servers: n.servers, Engine: n.engine,
			Logger: log}); err != nil {
			return nil, nil, diags, err
		}
		console = n.console
	}
	api = httpapi.New(httpapi.Config{
		Admin:          console,
		Program:        prog,
		Tokens:         n.tokens,
		Realtime:       n.realtime,
		Servers:        n.servers,
		Ready:          n.ready,
		StaticDir:      ws.StaticDir,
		ClientJS:       web.ClientJS,
		Metrics:        n.metrics.Handler(),
		MetricsToken:   cfg.str("metrics_token"),
		HTTPMetrics:    n.metrics.HTTP,
		AccessLog:      access.log,
		AccessLevel:    access.level,
		MaxHeaderBytes: int(cfg.bytes("max_header_bytes")),
		MaxBody:        cfg.bytes("max_body"),
		BodyTimeout:    cfg.duration("body_timeout"),
		CORS:           corsConfig(cfg.yaml),
		RateLimit:      rateLimitConfig(cfg.yaml),
		Files:          n.files,
		TrustedProxies: n.proxies,
		Logger:         log,
	})
	// No TCP keep-alive probes: realtime pings its clients itself, and net/http closes idle
	// connections (IdleTimeout); turning them on cost four setsockopt calls per connect.
	n.listener, err = (&net.ListenConfig{KeepAlive: -1}).Listen(ctx, "tcp", cfg.str("addr"))
	if err != nil {
		return nil, nil, diags, fmt.Errorf("listen: %w", err)
	}
	if addr := cfg.str("debug_addr"); addr != "" {
		if n.debug, err = serveDebug(addr, log); err != nil {
			return nil, nil, diags, err
		}
	}
	if addr := cfg.str("metrics_addr"); addr != "" {
		if n.metricsHS, n.metricsLn, err = serveMetrics(addr, n.metrics.Handler(), log); err != nil {
			return nil, nil, diags, err
		}
	}
	if cfg.str("tls_cert") != "" || cfg.str("tls_key") != "" {
		if n.cert, err = loadCertificate(cfg.str("tls_cert"), cfg.str("tls_key")); err != nil {
			return nil, nil, diags, err
		}
	}
	n.api = api
	n.http = &http.Server{
		Handler:           api,
		ReadHeaderTimeout: 10 * time.Second,
		MaxHeaderBytes:    httpapi.NetHTTPMaxHeaderBytes(int(cfg.bytes("max_header_bytes"))),
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	if n.console != nil {
		// The console's event streams end when shutdown begins, not at its timeout.
		n.http.RegisterOnShutdown(n.console.Close)
	}
	if n.cert != nil {
		n.http.TLSConfig = n.cert.tlsConfig()
	}
	return n, prog, diags, nil
}

// open opens the data (database, keys, realtime engine and server) and compiles the
// workspace: everything a node needs before it serves, and all that relaybase task run,
// test and run need. On error it closes what it opened.
func open(ctx context.Context, ws *workspace.Workspace, diags []xs.Diagnostic, cfg *config, getenv func(string) string, log *slog.Logger, access accessLog) (n *node, prog *stack.Program, _ []xs.Diagnostic, err error) {
	if workspace.HasErrors(diags) {
		return nil, nil, diags, errors.New("the workspace has errors; run `relaybase check` for the list")
	}
	n = &node{log: log, name: schedule.NodeName(), metrics: metrics.New()}
	opened := n // the results are nil on error; close what was opened
	defer func() {
		if err != nil {
			_ = opened.close(context.Background())
		}
	}()

	dataDir := cfg.str("data")
	if dataDir == "" {
		dataDir = filepath.Join(ws.Dir, ".relaybase")
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, nil, diags, fmt.Errorf("data directory: %w", err)
	}
	n.store, err = openStore(ctx, cfg.str("db"), dataDir, n.metrics.Store)
	if err != nil {
		return nil, nil, diags, err
	}
	notes, err := n.store.Migrate(ctx, ws.Tables, ws.TableIDs)
	if err != nil {
		return nil, nil, diags, fmt.Errorf("migrate: %w", err)
	}
	for _, note := range notes {
		log.Info(note)
	}

	key, err := authKey(ctx, cfg, getenv, dataDir, n.store, isPostgres(cfg.str("db")))
	if err != nil {
		return nil, nil, diags, err
	}
	filesDir := cfg.str("files_dir")
	if filesDir == "" {
		filesDir = filepath.Join(dataDir, "files")
	}
	// Signed URLs of private files use a key of their own, derived from the auth key, so
	// that every node sharing the auth key accepts every node's signatures.
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("relaybase file signatures"))
	if n.files, err = filestore.Open(filesDir, mac.Sum(nil)); err != nil {
		return nil, nil, diags, err
	}
	tokens, err := auth.NewTokens(key)
	if err != nil {
		return nil, nil, diags, err
	}
	passwords := auth.NewPasswords()
	n.tokens = tokens

	canonical := ws.Canonical
	if canonical == "" {
		canonical, err = n.store.InitMeta(ctx, "realtime_canonical", randomCanonical())
		if err != nil {
			return nil, nil, diags, fmt.Errorf("realtime canonical: %w", err)
		}
	}
	n.canonical = canonical
	switch e := cfg.str("engine"); {
	case e == "memory" || e == "":
		n.engine = memory.New()
	case strings.HasPrefix(e, "redis://") || strings.HasPrefix(e, "rediss://"):
		// A node that dies is noticed by the others' sweeps: its members leave presence (and
		// their leaves are announced) within the expiry, a heartbeat being a third of it.
		expiry := cfg.duration("rt_presence_expiry")
		n.engine, err = redis.New(ctx, e, redis.WithLogger(log), redis.WithExpiry(expiry), redis.WithHeartbeat(expiry/3), redis.WithMetrics(n.metrics.Engine))
		if err != nil {
			return nil, nil, diags, fmt.Errorf("realtime engine %s: %w", redactURL(e), err)
		}
	default:
		return nil, nil, diags, fmt.Errorf("engine %q: want memory or a redis:// URL", redactURL(e))
	}

	// The parts are built in the order they need each other, so that none ever runs
	// half-wired: the channels (rules, history, engine) first; then the program, which
	// stages and publishes events through them; then the realtime server, which runs the
	// program's realtime triggers from its first connection on.
	channels, err := realtime.NewChannels(realtime.ChannelsConfig{
		Rules:  ws.Channels,
		Store:  n.store,
		Engine: n.engine,
		Logger: log,
	})
	if err != nil {
		return nil, nil, diags, fmt.Errorf("realtime: %w", err)
	}
	policy, err := outbound.NewPolicy(cfg.list("outbound_allow"), cfg.list("outbound_deny"))
	if err != nil {
		return nil, nil, diags, err
	}
	n.outbound = outbound.New(policy)
	authTables := map[string]int64{}
	for _, t := range ws.Tables {
		if t.Auth {
			authTables[t.Name] = t.ID
		}
	}
	n.servers, err = servers.New(servers.Config{
		Servers:    ws.RealtimeServers,
		Tenant:     ws.Name,
		AuthTables: authTables,
		Store:      n.store,
		Engine:     n.engine,
		Logger:     log,
	})
	if err != nil {
		return nil, nil, diags, fmt.Errorf("realtime servers: %w", err)
	}
	prog, more := stack.Compile(ws, stack.Options{
		Store:       n.store,
		Events:      channels,
		Publisher:   n.servers,
		Tokens:      tokens,
		Passwords:   passwords,
		Outbound:    n.outbound,
		Env:         mergeEnv(ws.Env, getenv),
		Logger:      log,
		Timeout:     cfg.duration("stack_timeout"),
		TaskTimeout: cfg.duration("task_timeout"),
		Cache:       cacheOf(n.engine),
		Files:       n.files,
		MaxFile:     cfg.bytes("max_file"),
	})
	diags = append(diags, more...)
	if workspace.HasErrors(more) {
		return nil, nil, diags, errors.New("the workspace has errors; run `relaybase check` for the list")
	}
	if n.proxies, err = clientip.Parse(cfg.list("trusted_proxies")); err != nil {
		return nil, nil, diags, err
	}
	n.realtime, err = realtime.New(realtime.Config{
		TrustedProxies: n.proxies,
		Canonical:      canonical,
		Channels:       channels,
		Tokens:         tokens,
		Triggers:       prog,
		Logger:         log,
		Metrics:        n.metrics.Realtime,
		AccessLog:      access.log,
		AccessLevel:    access.level,
		Deflate:        cfg.bool("rt_deflate"),
		Limits: realtime.Limits{
			SoftFrame:   int(cfg.bytes("rt_soft_frame")),
			HardFrame:   int(cfg.bytes("rt_hard_frame")),
			MaxChannels: cfg.int("rt_max_channels"),
			OutQueue:    int(cfg.bytes("rt_out_queue")),
			Rate:        cfg.int("rt_rate"),
			Burst:       cfg.int("rt_burst"),
			Ping:        cfg.duration("rt_ping"),
			IdleTimeout: cfg.duration("rt_idle_timeout"),
			FlushDelay:  flushDelay(cfg.duration("rt_flush_delay")),
			GapCheck:    cfg.duration("rt_gap_check"),
		},
	})
	if err != nil {
		return nil, nil, diags, fmt.Errorf("realtime: %w", err)
	}
	n.servers.Serve(ctx, n.realtime, tokens, prog)
	n.registerGauges(n.metrics)

	return n, prog, diags, nil
}

func (n *node) ready(ctx context.Context) error {
	if err := n.store.Ping(ctx); err != nil {
		return fmt.Errorf("database: %w", err)
	}
	if err := n.engine.Ping(ctx); err != nil {
		return fmt.Errorf("realtime engine: %w", err)
	}
	return nil
}

// shutdown stops accepting, lets in-flight requests finish (bounded), closes realtime
// members with 1012 so they come back, then closes the engine and the database.
func (n *node) shutdown(timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var errs []error
	if n.http != nil {
		if err := n.http.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("http: %w", err))
		}
	}
	if err := n.close(ctx); err != nil {
		errs = append(errs, err)
	}
	n.log.Info("stopped")
	return errors.Join(errs...)
}

// close stops, in order, what start opened: realtime members (closed with 1012), the debug
// listener, the engine, the database. It also cleans up after a start that failed half-way.
func (n *node) close(ctx context.Context) error {
	var errs []error
	if n.listener != nil && n.http == nil {
		_ = n.listener.Close()
	}
	if n.console != nil {
		n.console.Close()
	}
	if n.sched != nil {
		// A task still running is stopped and rolled back before the data closes.
		n.sched.Stop()
	}
	if n.realtime != nil {
		if err := n.realtime.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("realtime: %w", err))
		}
	}
	if n.servers != nil {
		n.servers.Close() // the last acknowledged cursors, before the store closes
	}
	if n.debug != nil {
		_ = n.debug.Close()
	}
	if n.metricsHS != nil {
		_ = n.metricsHS.Close()
	}
	if n.outbound != nil {
		n.outbound.Close()
	}
	if n.engine != nil {
		errs = append(errs, n.engine.Close())
	}
	if n.store != nil {
		errs = append(errs, n.store.Close())
	}
	return errors.Join(errs...)
}

// authKey finds the token key: RELAYBASE_AUTH_KEY, else --auth-key-file, else the key kept
// in the data directory (a 0600 file), generated at first start.
func authKey(ctx context.Context, cfg *config, getenv func(string) string, dataDir string, store relaybase.Store, shared bool) ([]byte, error) {
	if k := getenv("RELAYBASE_AUTH_KEY"); k != "" {
		key, err := auth.ParseKey(strings.TrimSpace(k))
		if err != nil {
			return nil, fmt.Errorf("RELAYBASE_AUTH_KEY: %w", err)
		}
		return key, nil
	}
	path := cfg.str("auth_key_file")
	if path == "" && shared {
		// Several nodes share one PostgreSQL database: the key lives in its metadata so
		// every node verifies every token; the first node to start generates it.
		k, err := auth.GenerateKey()
		if err != nil {
			return nil, err
		}
		stored, err := store.InitMeta(ctx, "auth_key", k)
		if err != nil {
			return nil, fmt.Errorf("auth key: %w", err)
		}
		return auth.ParseKey(stored)
	}
	generate := false
	if path == "" {
		path = filepath.Join(dataDir, "auth.key")
		generate = true
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && generate {
		k, err := auth.GenerateKey()
		if err != nil {
			return nil, err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, fmt.Errorf("auth key: %w", err)
		}
		if _, err := f.WriteString(k + "\n"); err != nil {
			f.Close()
			return nil, fmt.Errorf("auth key: %w", err)
		}
		if err := f.Close(); err != nil {
			return nil, fmt.Errorf("auth key: %w", err)
		}
		data = []byte(k)
	} else if err != nil {
		return nil, fmt.Errorf("auth key: %w", err)
	}
	key, err := auth.ParseKey(strings.TrimSpace(string(data)))
	if err != nil {
		return nil, fmt.Errorf("auth key %s: %w", path, err)
	}
	return key, nil
}

// openStore opens the database a setting names: SQLite in the data directory by default,
// PostgreSQL for a postgres:// URL.
func openStore(ctx context.Context, db, dataDir string, met *metrics.Store) (relaybase.Store, error) {
	var (
		store relaybase.Store
		err   error
	)
	switch {
	case db == "" || db == "sqlite":
		store, err = sqlite.Open(ctx, filepath.Join(dataDir, "relaybase.db"), sqlite.WithMetrics(met))
	case isPostgres(db):
		store, err = postgres.Open(ctx, db, postgres.WithMetrics(met))
	default:
		return nil, fmt.Errorf("db %q: want empty (SQLite in the data directory) or a postgres:// URL", redactURL(db))
	}
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	return store, nil
}

func isPostgres(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

// mergeEnv applies RELAYBASE_ENV_NAME overrides to the workspace's env block. Only names the
// workspace declares can be overridden, so nothing else of the process environment leaks in.
func mergeEnv(env map[string]any, getenv func(string) string) map[string]any {
	out := make(map[string]any, len(env))
	for k, v := range env {
		out[k] = v
		if o := getenv("RELAYBASE_ENV_" + k); o != "" {
			out[k] = o
		}
	}
	return out
}

func corsConfig(y map[string]any) httpapi.CORS {
	var c httpapi.CORS
	m, _ := y["cors"].(map[string]any)
	c.Origins = stringList(m["origins"])
	if groups, ok := m["groups"].(map[string]any); ok {
		c.Groups = map[string][]string{}
		for g, v := range groups {
			c.Groups[g] = stringList(v)
		}
	}
	return c
}

func rateLimitConfig(y map[string]any) httpapi.RateLimit {
	m, _ := y["rate_limit"].(map[string]any)
	ip, _ := m["ip"].(int)
	token, _ := m["token"].(int)
	return httpapi.RateLimit{PerIP: ip, PerToken: token}
}

func stringList(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, e := range list {
		out = append(out, fmt.Sprint(e))
	}
	return out
}

func randomCanonical() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// redactURL drops the password from a database or engine URL before it is printed.
func redactURL(s string) string {
	if i := strings.Index(s, "@"); i >= 0 {
		if j := strings.Index(s, "://"); j >= 0 && j < i {
			return s[:j+3] + "…" + s[i:]
		}
	}
	return s
}

func newLogger(w io.Writer, cfg *config) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.str("log_level")))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.str("log_format") == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// accessLog is where the access log's lines go (nil: nowhere) and at which level.
type accessLog struct {
	log   *slog.Logger
	level slog.Level
}

// newAccessLog is the access log of access_log and access_log_format: the server log's
// writer and level threshold, in access_log_format (default log_format); none when
// access_log is off.
func newAccessLog(w io.Writer, cfg *config) accessLog {
	lv := cfg.str("access_log")
	if lv == "off" {
		return accessLog{}
	}
	var level, threshold slog.Level
	_ = level.UnmarshalText([]byte(lv))
	_ = threshold.UnmarshalText([]byte(cfg.str("log_level")))
	opts := &slog.HandlerOptions{Level: threshold}
	format := cfg.str("access_log_format")
	if format == "" {
		format = cfg.str("log_format")
	}
	if format == "json" {
		return accessLog{slog.New(slog.NewJSONHandler(w, opts)), level}
	}
	return accessLog{slog.New(slog.NewTextHandler(w, opts)), level}
}

func printURLs(w io.Writer, n *node, ws *workspace.Workspace, prog *stack.Program, tls bool) {
	scheme, wsScheme := "http", "ws"
	if tls {
		scheme, wsScheme = "https", "wss"
	}
	addr := n.listener.Addr().String()
	if host, port, err := net.SplitHostPort(addr); err == nil && (host == "127.0.0.1" || host == "::" || host == "0.0.0.0" || host == "") {
		addr = net.JoinHostPort("localhost", port)
	}
	fmt.Fprintf(w, "relaybase is serving %s\n", ws.Dir)
	if ws.StaticDir != "" {
		fmt.Fprintf(w, "  app:      %s://%s/\n", scheme, addr)
	}
	seen := map[string]bool{}
	for _, ep := range prog.Endpoints() {
		if !seen[ep.Canonical] {
			seen[ep.Canonical] = true
			fmt.Fprintf(w, "  api:      %s://%s/api:%s\n", scheme, addr, ep.Canonical)
		}
	}
	fmt.Fprintf(w, "  realtime: %s://%s/rt/%s  (canonical %s)\n", wsScheme, addr, n.canonical, n.canonical)
	for _, sv := range n.servers.Servers() {
		if sv.Active {
			fmt.Fprintf(w, "  realtime: %s://%s/ws/%s  (realtime_server %s)\n", wsScheme, addr, sv.Canonical, sv.Name)
		}
	}
}

// cacheOf is the engine's cache for redis.* statements: Redis's when the engine is Redis,
// an in-process one for the memory engine.
func cacheOf(e relaybase.Engine) relaybase.Cache {
	c, _ := e.(relaybase.Cache)
	return c
}

// flushDelay maps rt_flush_delay to realtime.Limits.FlushDelay, whose zero means the default:
// a setting of 0 turns coalescing off.
func flushDelay(d time.Duration) time.Duration {
	if d <= 0 {
		return -1
	}
	return d
}
