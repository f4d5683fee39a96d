package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
)

// The Go runtime figures relaybase exposes on /metrics (Prometheus's Go collector) that the
// idle scenario reads.
const (
	metricHeapAlloc  = "go_memstats_heap_alloc_bytes"  // live heap after a GC (plus garbage since)
	metricHeapInuse  = "go_memstats_heap_inuse_bytes"  // heap spans in use, fragmentation included
	metricStackInuse = "go_memstats_stack_inuse_bytes" // goroutine stacks
	metricGoroutines = "go_goroutines"
	metricLastGC     = "go_memstats_last_gc_time_seconds"
)

// parseMetrics reads the named unlabelled samples from Prometheus text exposition format.
// Names not present are absent from the map.
func parseMetrics(r io.Reader, names ...string) (map[string]float64, error) {
	want := make(map[string]bool, len(names))
	for _, n := range names {
		want[n] = true
	}
	out := make(map[string]float64, len(names))
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		f := bytes.Fields(line)
		if len(f) < 2 || !want[string(f[0])] {
			continue
		}
		v, err := strconv.ParseFloat(string(f[1]), 64)
		if err != nil {
			return out, fmt.Errorf("metric %s: %w", f[0], err)
		}
		out[string(f[0])] = v
	}
	return out, sc.Err()
}

// fetchMetrics GETs baseURL/metrics and parses the named samples.
func fetchMetrics(ctx context.Context, hc *http.Client, baseURL string, names ...string) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(baseURL, "/")+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET /metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	return parseMetrics(resp.Body, names...)
}

// forceGC asks the server to collect garbage now: net/http/pprof's heap profile runs
// runtime.GC first when given gc=1. relaybase serves pprof on its debug_addr only. The
// profile itself is kept in saveTo when that is not empty.
func forceGC(ctx context.Context, hc *http.Client, debugURL, saveTo string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(debugURL, "/")+"/debug/pprof/heap?gc=1", nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("force GC: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("force GC: GET /debug/pprof/heap: %s", resp.Status)
	}
	if saveTo == "" {
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
	f, err := os.Create(saveTo)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, resp.Body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
