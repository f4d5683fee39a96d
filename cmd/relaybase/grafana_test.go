package main

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"relaybase/metrics"
)

// TestGrafanaDashboard: every PromQL expression of docs/grafana/relaybase.json names only
// families a running server exports, and groups or filters only by labels those families
// have (job, added by Prometheus, and le, the histograms' buckets, aside). Grafana itself
// is not installable here; this keeps the dashboard and the metrics from drifting apart.
func TestGrafanaDashboard(t *testing.T) {
	raw, err := os.ReadFile("../../docs/grafana/relaybase.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Title  string `json:"title"`
		Panels []struct {
			Title   string `json:"title"`
			Type    string `json:"type"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("the dashboard is not JSON: %v", err)
	}
	if dash.Title == "" || len(dash.Panels) == 0 {
		t.Fatalf("the dashboard has no title or no panels")
	}

	s := startServer(t, "../../examples/chat", t.TempDir(), "--metrics-addr", "127.0.0.1:0")
	_, body := scrape(t, s.metricsURL(), "")
	families := map[string]bool{}
	labels := map[string]map[string]bool{} // family → label names seen
	for _, m := range regexp.MustCompile(`(?m)^# TYPE (\S+) (\S+)$`).FindAllStringSubmatch(body, -1) {
		families[m[1]] = true
		labels[m[1]] = map[string]bool{"job": true, "le": true}
	}
	// Families with labels show in a scrape only once they have a sample: the registry
	// lists them all, with their labels.
	for name, ls := range metrics.New().Families() {
		families[name] = true
		if labels[name] == nil {
			labels[name] = map[string]bool{"job": true, "le": true}
		}
		for _, l := range ls {
			labels[name][l] = true
		}
	}
	for _, m := range regexp.MustCompile(`(?m)^([a-z_]+)\{([^}]*)\}`).FindAllStringSubmatch(body, -1) {
		name := m[1]
		for _, suffix := range []string{"_bucket", "_count", "_sum"} {
			if base, ok := strings.CutSuffix(name, suffix); ok && families[base] {
				name = base
			}
		}
		for _, kv := range regexp.MustCompile(`([a-z_]+)="`).FindAllStringSubmatch(m[2], -1) {
			if labels[name] != nil {
				labels[name][kv[1]] = true
			}
		}
	}

	metricRe := regexp.MustCompile(`\b((?:relaybase|go|process)_[a-z_]+)`)
	byRe := regexp.MustCompile(`by \(([^)]*)\)`)
	selRe := regexp.MustCompile(`\{([^}]*)\}`)
	seen := 0
	for _, p := range dash.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			names := metricRe.FindAllString(tg.Expr, -1)
			if len(names) == 0 {
				t.Errorf("panel %q: %q names no family", p.Title, tg.Expr)
			}
			var fams []string
			for _, n := range names {
				base := n
				for _, suffix := range []string{"_bucket", "_count", "_sum"} {
					if b, ok := strings.CutSuffix(n, suffix); ok && families[b] {
						base = b
					}
				}
				if !families[base] {
					t.Errorf("panel %q: %s is not a family the server exports", p.Title, n)
					continue
				}
				fams = append(fams, base)
				seen++
			}
			var used []string
			for _, m := range byRe.FindAllStringSubmatch(tg.Expr, -1) {
				used = append(used, strings.Split(m[1], ",")...)
			}
			for _, m := range selRe.FindAllStringSubmatch(tg.Expr, -1) {
				for _, kv := range regexp.MustCompile(`([a-z_]+)\s*[=!~]`).FindAllStringSubmatch(m[1], -1) {
					used = append(used, kv[1])
				}
			}
			for _, l := range used {
				l = strings.TrimSpace(l)
				for _, f := range fams {
					if !labels[f][l] {
						t.Errorf("panel %q: %s has no label %q", p.Title, f, l)
					}
				}
			}
		}
	}
	if seen < 20 {
		t.Errorf("the dashboard names only %d families", seen)
	}
}
