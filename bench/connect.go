package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"relaybase"
	"relaybase/auth"
	"relaybase/value"
)

// runConnect cycles a pool of o.Members connections for o.Duration: each dials, upgrades
// with a token (authenticated), joins, and on the join reply closes and dials again. The
// tokens are minted here with the server's key, so the server's work per connect is
// verifying a token, not hashing a password.
func runConnect(ctx context.Context, o Options, r *Result) error {
	key, from, err := loadKey(o)
	if err != nil {
		return err
	}
	tokens, err := auth.NewTokens(key)
	if err != nil {
		return err
	}
	hc := newHTTPClient(1)
	table := o.TableID
	if table == 0 {
		if table, err = learnTableID(ctx, hc, strings.TrimRight(o.URL, "/")+o.API+"/auth/guest", tokens); err != nil {
			return fmt.Errorf("learning the auth table's id (or give --table-id): %w", err)
		}
	}
	logf(o, "minting %d tokens for table %d with the key from %s", o.Members, table, from)
	toks := make([]string, o.Members)
	for i := range toks {
		toks[i], err = tokens.Issue(relaybase.Identity{
			TableID: table,
			RowID:   int64(i + 1),
			Extras:  value.ObjectOf("name", "bench-"+strconv.Itoa(i+1)),
		}, time.Hour)
		if err != nil {
			return fmt.Errorf("mint token: %w", err)
		}
	}

	addr, host, path, err := parseTarget(o.URL, o.Canonical)
	if err != nil {
		return err
	}
	sw, err := newSwarm(swarmConfig{
		addr: addr, host: host, path: path, loops: o.Loops,
		cycle: true, cycleRate: o.Rate, maxDialing: o.Members,
	})
	if err != nil {
		return err
	}
	defer sw.close()
	logf(o, "cycling %d connections for %s", o.Members, o.Duration)
	prof := startProfile(ctx, o, r)
	before := probeCPU(o.Pid)
	sw.open(memberSpecs(host, path, o.Members, channelOf(o), toks))
	timer := time.NewTimer(o.Duration)
	select {
	case <-timer.C:
	case <-ctx.Done():
		timer.Stop()
		return ctx.Err()
	}
	n := sw.cycles()
	after := probeCPU(o.Pid)
	st := sw.close()
	prof.wait(r)
	wall := after.at.Sub(before.at).Seconds()

	c := &ConnectResult{Connects: n, PerSecond: float64(n) / wall, Failed: st.Failed}
	lat := st.Join.Summary()
	c.Latency = &lat
	r.Connect = c
	r.Members = int64(o.Members)
	fillCPU(r, before, after, wall)
	if r.ServerCPUSeconds > 0 && n > 0 {
		c.ServerCPUPerConn = r.ServerCPUSeconds * 1e6 / float64(n)
		c.PerServerCPUSec = float64(n) / r.ServerCPUSeconds
	}
	if len(st.Errors) > 0 {
		r.Errors = st.Errors
	}
	if len(st.Closes) > 0 {
		r.Closes = map[string]int64{}
		for k, v := range st.Closes {
			r.Closes[strconv.Itoa(k)] = v
		}
	}
	if st.Failed > 0 {
		r.Notes = append(r.Notes, "first failure: "+st.FirstErr)
	}
	if n == 0 {
		return fmt.Errorf("no connection completed: %s", st.FirstErr)
	}
	return nil
}

// loadKey finds the server's token key: --auth-key, RELAYBASE_AUTH_KEY, or the data
// directory's auth.key (what relaybase generates at first start).
func loadKey(o Options) ([]byte, string, error) {
	if o.AuthKey != "" {
		k, err := auth.ParseKey(o.AuthKey)
		return k, "--auth-key", err
	}
	if s := o.Getenv("RELAYBASE_AUTH_KEY"); s != "" {
		k, err := auth.ParseKey(s)
		return k, "RELAYBASE_AUTH_KEY", err
	}
	if o.DataDir == "" {
		return nil, "", errors.New("connect needs the server's token key: --auth-key, RELAYBASE_AUTH_KEY, or --data (the server's data directory)")
	}
	p := filepath.Join(o.DataDir, "auth.key")
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, "", fmt.Errorf("read the server's token key: %w", err)
	}
	k, err := auth.ParseKey(string(b))
	return k, p, err
}

// learnTableID logs a guest in once and reads the table id from the token it gets, which
// the same key verifies.
func learnTableID(ctx context.Context, hc *http.Client, url string, tokens *auth.Tokens) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader([]byte(`{"name":"bench"}`)))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("POST %s: %s %s", url, resp.Status, bytes.TrimSpace(body))
	}
	var v struct {
		AuthToken string `json:"authToken"`
	}
	if err := json.Unmarshal(body, &v); err != nil || v.AuthToken == "" {
		return 0, fmt.Errorf("POST %s: no authToken in %s", url, body)
	}
	id, err := tokens.Verify(v.AuthToken)
	if err != nil {
		return 0, fmt.Errorf("the server's token does not verify with this key (another data dir?): %w", err)
	}
	return id.TableID, nil
}
