package main

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func TestConfigPrecedence(t *testing.T) {
	tests := []struct {
		name string
		flag string
		env  string
		yaml any
		want string
	}{
		{"default", "", "", nil, "text"},
		{"yaml", "", "", "json", "json"},
		{"env beats yaml", "", "json", "text", "json"},
		{"flag beats env", "text", "json", "json", "text"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
			registerFlags(fs)
			var args []string
			if tc.flag != "" {
				args = append(args, "--log-format", tc.flag)
			}
			if err := fs.Parse(args); err != nil {
				t.Fatal(err)
			}
			y := map[string]any{}
			if tc.yaml != nil {
				y["log_format"] = tc.yaml
			}
			getenv := func(k string) string {
				if k == "RELAYBASE_LOG_FORMAT" {
					return tc.env
				}
				return ""
			}
			c, err := resolveConfig(fs, getenv, y)
			if err != nil {
				t.Fatal(err)
			}
			if got := c.str("log_format"); got != tc.want {
				t.Fatalf("log_format = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestConfigRejectsBadValues(t *testing.T) {
	tests := []struct {
		name string
		yaml map[string]any
		want string
	}{
		{"unknown key", map[string]any{"log_fromat": "json"}, "unknown settings: log_fromat"},
		{"bad format", map[string]any{"log_format": "xml"}, "want text or json"},
		{"bad size", map[string]any{"max_body": "lots"}, "want a size"},
		{"bad int", map[string]any{"rt_max_channels": -1}, "positive integer"},
		{"bad duration", map[string]any{"rt_ping": "soon"}, "duration"},
		{"bad outbound rule", map[string]any{"outbound_allow": []any{"*", "10.0.0.0/33"}}, `outbound_allow (relaybase.yaml): "10.0.0.0/33" is not a CIDR range`},
		{"bad outbound host", map[string]any{"outbound_deny": "http://evil.com"}, "is a URL: give its host name alone"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
			registerFlags(fs)
			_, err := resolveConfig(fs, func(string) string { return "" }, tc.yaml)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

// TestOutboundLists: the outbound allow and deny lists follow the one naming rule, as a
// yaml list or a comma-separated text in the yaml, the environment or a flag.
func TestOutboundLists(t *testing.T) {
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	registerFlags(fs)
	if err := fs.Parse([]string{"--outbound-deny", "10.9.0.0/16, *.tracker.io"}); err != nil {
		t.Fatal(err)
	}
	env := func(k string) string {
		if k == "RELAYBASE_OUTBOUND_ALLOW" {
			return "*,10.0.0.0/8"
		}
		return ""
	}
	c, err := resolveConfig(fs, env, map[string]any{"outbound_allow": []any{"127.0.0.1"}, "outbound_deny": []any{"x.com"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.list("outbound_allow"), "|"); got != "*|10.0.0.0/8" {
		t.Errorf("allow = %s (the environment wins over the yaml)", got)
	}
	if got := strings.Join(c.list("outbound_deny"), "|"); got != "10.9.0.0/16|*.tracker.io" {
		t.Errorf("deny = %s (the flag wins)", got)
	}
	fs = pflag.NewFlagSet("serve", pflag.ContinueOnError)
	registerFlags(fs)
	c, err = resolveConfig(fs, func(string) string { return "" }, map[string]any{"outbound_allow": []any{"api.stripe.com", "127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.list("outbound_allow"), "|"); got != "api.stripe.com|127.0.0.1" {
		t.Errorf("yaml list = %s", got)
	}
	c, _ = resolveConfig(fs, func(string) string { return "" }, nil)
	if got := strings.Join(c.list("outbound_allow"), "|"); got != "*" || len(c.list("outbound_deny")) != 0 {
		t.Errorf("defaults: allow %s deny %v", got, c.list("outbound_deny"))
	}
}

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]int64{"8MiB": 8 << 20, "64KiB": 64 << 10, "512B": 512, "1000": 1000, "1 GiB": 1 << 30} {
		got, err := parseBytes(in)
		if err != nil || got != want {
			t.Errorf("parseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "0", "-5MiB", "MiB", "eight"} {
		if _, err := parseBytes(bad); err == nil {
			t.Errorf("parseBytes(%q) accepted", bad)
		}
	}
}

// TestConfigurationDocListsEverySetting keeps docs/configuration.md and the settings table
// in step: every setting is documented with its default, and the doc names no setting
// that does not exist.
func TestConfigurationDocListsEverySetting(t *testing.T) {
	doc, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{}
	for _, line := range strings.Split(string(doc), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 4 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "`") {
			continue
		}
		rows[strings.Trim(strings.TrimSpace(cells[1]), "`")] = strings.TrimSpace(cells[2])
	}
	for _, s := range settings {
		row, ok := rows[s.name]
		if !ok {
			t.Errorf("docs/configuration.md does not list %s", s.name)
			continue
		}
		if s.def != "" && s.def != "false" && !strings.Contains(row, s.def) {
			t.Errorf("docs/configuration.md gives %s the default %s, the code %s", s.name, row, s.def)
		}
	}
	known := map[string]bool{}
	for _, s := range settings {
		known[s.name] = true
	}
	for k := range yamlOnly {
		known[k] = true
	}
	for name := range rows {
		if !known[name] {
			t.Errorf("docs/configuration.md lists %s, which is not a setting", name)
		}
	}
}

func TestFlushDelaySetting(t *testing.T) {
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	registerFlags(fs)
	for v, ok := range map[string]bool{"0": true, "15ms": true, "-1ms": false, "soon": false} {
		_, err := resolveConfig(fs, func(string) string { return "" }, map[string]any{"rt_flush_delay": v})
		if (err == nil) != ok {
			t.Errorf("rt_flush_delay %q: %v", v, err)
		}
	}
	for _, tc := range []struct {
		in   time.Duration
		want time.Duration
	}{{15 * time.Millisecond, 15 * time.Millisecond}, {0, -1}, {time.Second, time.Second}} {
		if got := flushDelay(tc.in); got != tc.want {
			t.Errorf("rt_flush_delay %v: Limits.FlushDelay %v, want %v (0 turns coalescing off)", tc.in, got, tc.want)
		}
	}
}
