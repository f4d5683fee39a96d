package main

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"relaybase/internal/clientip"
	"relaybase/outbound"
)

// A setting is one configuration value, named by one rule (product.md): flag --log-format,
// environment RELAYBASE_LOG_FORMAT, relaybase.yaml key log_format. A flag wins over the
// environment, which wins over relaybase.yaml, which wins over the default.
type setting struct {
	name string // yaml key: log_format
	def  string
	help string
	kind settingKind
}

type settingKind int

const (
	kindString settingKind = iota
	kindBool
	kindBytes    // 8MiB, 64KiB, 1048576
	kindInt      // 128
	kindDuration // 25s
	kindDelay    // 15ms, or 0 for none
	kindList     // comma-separated: "*,10.0.0.0/8"; in relaybase.yaml a list or such a text
)

// settings lists every setting serve understands; docs/configuration.md is checked against it.
var settings = []setting{
	{"addr", "127.0.0.1:8080", "address to listen on (host:port)", kindString},
	{"data", "", "data directory (default DIR/.relaybase)", kindString},
	{"db", "", "database: empty for SQLite in the data directory, or postgres://...", kindString},
	{"engine", "memory", "realtime engine: memory, or redis://...", kindString},
	{"auth_key_file", "", "file holding the auth token key (32 bytes, base64url); default: generated and kept with the data", kindString},
	{"tls_cert", "", "TLS certificate file (PEM); with tls_key, serve HTTPS and WSS", kindString},
	{"tls_key", "", "TLS private key file (PEM)", kindString},
	{"log_format", "text", "log format: text or json", kindString},
	{"log_level", "info", "log level: debug, info, warn or error", kindString},
	{"access_log", "info", "level of the access log's lines (one per HTTP request and per realtime connection closed): debug, info, warn, or off; shown when at or above log_level", kindString},
	{"access_log_format", "", "access log format: text or json (default: log_format)", kindString},
	{"strict", "false", "refuse to start when the workspace uses XanoScript that relaybase does not run", kindBool},
	{"max_body", "8MiB", "largest request body accepted", kindBytes},
	{"max_header_bytes", "64KiB", "largest request line and headers together (431 past it), realtime upgrades included; at least 4KiB", kindBytes},
	{"files_dir", "", "where stored files (storage.create_attachment ...) are kept (default DATA/files); nodes share files only through a shared directory", kindString},
	{"max_file", "64MiB", "largest file storage.create_attachment and its siblings store", kindBytes},
	{"body_timeout", "60s", "longest a client may take to send an endpoint request's body (400 past it)", kindDuration},
	{"stack_timeout", "30s", "longest one run of a stack (an endpoint request, a realtime trigger) may take; past it, it is stopped and rolled back (500)", kindDuration},
	{"rt_soft_frame", "64KiB", "realtime: largest client frame answered normally (bigger gets too_large)", kindBytes},
	{"rt_hard_frame", "1MiB", "realtime: client frame size that closes the connection (1009)", kindBytes},
	{"rt_max_channels", "128", "realtime: channels one connection may join", kindInt},
	{"rt_out_queue", "1MiB", "realtime: bytes queued for one slow client before it is closed (1013)", kindBytes},
	{"rt_rate", "100", "realtime: frames per second a client may send", kindInt},
	{"rt_burst", "200", "realtime: burst of frames above the rate", kindInt},
	{"rt_ping", "25s", "realtime: interval of keep-alive pings", kindDuration},
	{"rt_idle_timeout", "60s", "realtime: close a connection silent for this long", kindDuration},
	{"rt_gap_check", "10s", "realtime: how often each node compares its history channels with the database, to deliver frames whose publish was lost", kindDuration},
	{"rt_presence_expiry", "30s", "realtime with a redis engine: how long after a node's last heartbeat (every third of this) its members leave presence, announced by the other nodes; give every node the same value", kindDuration},
	{"rt_deflate", "true", "realtime: compress frames (permessage-deflate) for clients that offer it", kindBool},
	{"rt_flush_delay", "15ms", "realtime: longest a busy server holds a frame back to write it with the next ones for the same client; 0: never", kindDelay},
	{"task_timeout", "15m", "longest one run of a task may take; past it, it is stopped and rolled back", kindDuration},
	{"tasks", "true", "run the workspace's tasks on their schedules on this node (several nodes share each run)", kindBool},
	{"admin", "true", "serve the admin console at /_/ (false: every /_/ path is a 404)", kindBool},
	{"debug_addr", "", "serve Go's pprof profiles on this address (e.g. 127.0.0.1:6060); off when empty", kindString},
	{"metrics_addr", "", "serve Prometheus metrics at /metrics on this address (e.g. 127.0.0.1:9090), a listener of its own; off when empty", kindString},
	{"metrics_token", "", "also serve /metrics on the API address, to requests with Authorization: Bearer <this token>; off when empty", kindString},
	{"shutdown_timeout", "10s", "how long in-flight requests may run after a stop signal", kindDuration},
	{"trusted_proxies", "", "proxies (CIDR ranges or addresses, comma-separated) whose X-Forwarded-For or Forwarded header names the client for rate limits, logs, $env.$remote_ip and realtime; none when empty", kindList},
	{"outbound_allow", "*", "targets api.request may reach: * (any public address), host names, *.domain, IP addresses or CIDR ranges (private ones only by address or range), comma-separated", kindList},
	{"outbound_deny", "", "targets api.request may never reach (same forms as outbound_allow), comma-separated; deny wins", kindList},
}

// yamlOnly lists relaybase.yaml keys that have no flag (structured values).
var yamlOnly = map[string]string{
	"table_ids":  "map of table name to Xano's numeric table id",
	"cors":       "allowed origins: {origins: [...], groups: {canonical: [...]}}",
	"rate_limit": "endpoint requests per minute: {ip: N, token: N}; 429 past it",
	"env":        "not a setting: use the workspace's env block; RELAYBASE_ENV_NAME overrides $env.NAME",
}

func flagName(name string) string { return strings.ReplaceAll(name, "_", "-") }
func envName(name string) string  { return "RELAYBASE_" + strings.ToUpper(name) }

// config is the resolved configuration of one serve.
type config struct {
	values map[string]string
	source map[string]string // where each value came from, for --help and logs
	yaml   map[string]any
}

func registerFlags(fs *pflag.FlagSet) {
	for _, s := range settings {
		help := fmt.Sprintf("%s (env %s)", s.help, envName(s.name))
		if s.kind == kindBool {
			fs.Bool(flagName(s.name), s.def == "true", help)
		} else {
			fs.String(flagName(s.name), s.def, help)
		}
	}
}

// resolveConfig applies flags > environment > relaybase.yaml > defaults.
func resolveConfig(fs *pflag.FlagSet, getenv func(string) string, yamlCfg map[string]any) (*config, error) {
	c := &config{values: map[string]string{}, source: map[string]string{}, yaml: yamlCfg}
	known := map[string]bool{}
	for _, s := range settings {
		known[s.name] = true
		v, src := s.def, "default"
		if y, ok := yamlCfg[s.name]; ok {
			v, src = yamlText(s, y), "relaybase.yaml"
		}
		if e := getenv(envName(s.name)); e != "" {
			v, src = e, "environment"
		}
		if f := fs.Lookup(flagName(s.name)); f != nil && f.Changed {
			v, src = f.Value.String(), "flag"
		}
		if err := validate(s, v); err != nil {
			return nil, fmt.Errorf("%s (%s): %w", s.name, src, err)
		}
		c.values[s.name], c.source[s.name] = v, src
	}
	var unknown []string
	for k := range yamlCfg {
		if !known[k] && yamlOnly[k] == "" {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, fmt.Errorf("relaybase.yaml: unknown settings: %s", strings.Join(unknown, ", "))
	}
	return c, nil
}

// yamlText turns a relaybase.yaml value into the setting's text: a list joins with commas.
func yamlText(s setting, y any) string {
	if l, ok := y.([]any); ok && s.kind == kindList {
		parts := make([]string, len(l))
		for i, e := range l {
			parts[i] = fmt.Sprint(e)
		}
		return strings.Join(parts, ",")
	}
	return fmt.Sprint(y)
}

// list splits a list setting into its entries.
func (c *config) list(name string) []string {
	var out []string
	for _, e := range strings.Split(c.values[name], ",") {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	return out
}

func validate(s setting, v string) error {
	switch s.kind {
	case kindList:
		if s.name == "trusted_proxies" {
			_, err := clientip.Parse(strings.Split(v, ","))
			return err
		}
		for _, e := range strings.Split(v, ",") {
			if e = strings.TrimSpace(e); e == "" {
				continue
			}
			if _, err := outbound.ParseRule(e); err != nil {
				return err
			}
		}
	case kindBool:
		if _, err := strconv.ParseBool(v); err != nil {
			return fmt.Errorf("want true or false, got %q", v)
		}
	case kindBytes:
		if _, err := parseBytes(v); err != nil {
			return err
		}
	case kindInt:
		if n, err := strconv.Atoi(v); err != nil || n <= 0 {
			return fmt.Errorf("want a positive integer, got %q", v)
		}
	case kindDuration:
		if d, err := time.ParseDuration(v); err != nil || d <= 0 {
			return fmt.Errorf("want a duration such as 10s, got %q", v)
		}
	case kindDelay:
		if d, err := time.ParseDuration(v); err != nil || d < 0 {
			return fmt.Errorf("want a duration such as 15ms, or 0 for none, got %q", v)
		}
	}
	switch s.name {
	case "rt_presence_expiry":
		if d, _ := time.ParseDuration(v); d < time.Second {
			return fmt.Errorf("want at least 1s, got %q", v)
		}
	case "max_header_bytes":
		if n, _ := parseBytes(v); n < 4<<10 || n > 1<<30 {
			return fmt.Errorf("want a size from 4KiB to 1GiB, got %q", v)
		}
	case "log_format":
		if v != "text" && v != "json" {
			return fmt.Errorf("want text or json, got %q", v)
		}
	case "log_level":
		switch v {
		case "debug", "info", "warn", "error":
		default:
			return fmt.Errorf("want debug, info, warn or error, got %q", v)
		}
	case "access_log":
		switch v {
		case "debug", "info", "warn", "off":
		default:
			return fmt.Errorf("want debug, info, warn or off, got %q", v)
		}
	case "access_log_format":
		if v != "" && v != "text" && v != "json" {
			return fmt.Errorf("want text or json, got %q", v)
		}
	}
	return nil
}

func (c *config) str(name string) string { return c.values[name] }

func (c *config) bool(name string) bool {
	b, _ := strconv.ParseBool(c.values[name])
	return b
}

func (c *config) int(name string) int {
	n, _ := strconv.Atoi(c.values[name])
	return n
}

func (c *config) bytes(name string) int64 {
	n, _ := parseBytes(c.values[name])
	return n
}

func (c *config) duration(name string) time.Duration {
	d, _ := time.ParseDuration(c.values[name])
	return d
}

// parseBytes reads sizes such as 8MiB, 64KiB, 512B or a plain number of bytes.
func parseBytes(s string) (int64, error) {
	t := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"B", 1}} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("want a size such as 8MiB, got %q", s)
	}
	return n * mult, nil
}
