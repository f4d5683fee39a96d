package bench

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"testing"
	"time"

	"relaybase"
	"relaybase/auth"
	"relaybase/engine/memory"
	"relaybase/httpapi"
	"relaybase/metrics"
	"relaybase/realtime"
	"relaybase/stack"
	"relaybase/store/sqlite"
	"relaybase/workspace"
)

// testServer is a real relaybase wired in this process the way `relaybase serve` wires it
// (cmd/relaybase/serve.go), on 127.0.0.1:0, with a fresh data directory, /metrics and
// pprof, so the smoke tests exercise the same code paths as a benchmark does.
type testServer struct {
	url      string // http://127.0.0.1:PORT
	debugURL string // pprof
	metrics  string // the base URL of /metrics (not the API address, as with relaybase serve)
	dataDir  string // holds auth.key
}

func startRelaybase(t *testing.T, dir string) *testServer {
	t.Helper()
	engine := memory.New()
	t.Cleanup(func() { engine.Close() })
	return startRelaybaseOn(t, dir, engine)
}

// startRelaybaseOn is startRelaybase on the given engine (nodes of one cluster share one
// engine network).
func startRelaybaseOn(t *testing.T, dir string, engine relaybase.Engine) *testServer {
	t.Helper()
	ctx := context.Background()
	ws, diags, err := workspace.Load(dir)
	if err != nil {
		t.Fatalf("load %s: %v", dir, err)
	}
	if workspace.HasErrors(diags) {
		t.Fatalf("workspace %s has errors: %v", dir, diags)
	}
	data := t.TempDir()
	store, err := sqlite.Open(ctx, filepath.Join(data, "relaybase.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if _, err := store.Migrate(ctx, ws.Tables, ws.TableIDs); err != nil {
		t.Fatal(err)
	}
	keyText, err := auth.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(data, "auth.key"), []byte(keyText+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	key, err := auth.ParseKey(keyText)
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := auth.NewTokens(key)
	if err != nil {
		t.Fatal(err)
	}
	channels, err := realtime.NewChannels(realtime.ChannelsConfig{Rules: ws.Channels, Store: store, Engine: engine})
	if err != nil {
		t.Fatal(err)
	}
	prog, more := stack.Compile(ws, stack.Options{
		Store:     store,
		Events:    channels,
		Tokens:    tokens,
		Passwords: auth.NewPasswords(),
		Env:       ws.Env,
	})
	if workspace.HasErrors(more) {
		t.Fatalf("compile %s: %v", dir, more)
	}
	rt, err := realtime.New(realtime.Config{
		Canonical: ws.Canonical,
		Channels:  channels,
		Tokens:    tokens,
		Triggers:  prog,
	})
	if err != nil {
		t.Fatal(err)
	}
	met := metrics.New()
	api := httpapi.New(httpapi.Config{
		Program:     prog,
		Tokens:      tokens,
		Realtime:    rt,
		Ready:       func(context.Context) error { return nil },
		HTTPMetrics: met.HTTP,
	})
	srv := &http.Server{Handler: api, ReadHeaderTimeout: 10 * time.Second}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("serve: %v", err)
		}
	}()

	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.Handle("/metrics", met.Handler()) // relaybase serves it on --metrics-addr: a listener of its own
	dln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dsrv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = dsrv.Serve(dln) }()

	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		_ = rt.Shutdown(ctx)
		_ = dsrv.Close()
	})
	return &testServer{
		url:      "http://" + ln.Addr().String(),
		debugURL: "http://" + dln.Addr().String(),
		metrics:  "http://" + dln.Addr().String(),
		dataDir:  data,
	}
}
