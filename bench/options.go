package bench

import (
	"fmt"
	"io"
	"runtime"
	"time"
)

// Scenarios lists every scenario, in the order `all` runs them.
var Scenarios = []string{"floor", "fanout", "bigroom", "rooms", "endpoint", "idle", "connect", "capacity"}

// Options configure one run of a scenario. Zero fields take the scenario's defaults
// (Defaults); every scenario honours Members, Rate, Duration and Size.
type Options struct {
	Scenario string

	URL string // server base URL, e.g. http://127.0.0.1:8080 (loopback only)
	// Nodes are the base URLs of more nodes of the same cluster (fanout, bigroom, rooms,
	// endpoint): members are spread over URL and Nodes in turn, and so are publishes, so
	// frames cross nodes through the realtime engine. Pid and DebugURL stay URL's.
	Nodes     []string
	Canonical string // realtime canonical: the server's /rt/{canonical} (current protocol: /ws/<canonical>)
	// Protocol is the realtime protocol members speak: "legacy" (/rt/, the default) or
	// "current" (Xano's current realtime at /ws/, docs/realtime.md); fanout and endpoint
	// scenarios only.
	Protocol string
	// Acks: members of the current protocol acknowledge what they receive (the highest id
	// of each read, as an at-least-once client does).
	Acks     bool
	API      string // API group path, e.g. /api:bench
	Channel  string // the channel members join (rooms: the prefix of its channels)
	Pid      int    // server pid, for /proc/<pid>/stat CPU and /proc/<pid>/status memory
	DebugURL string // the server's pprof (relaybase --debug-addr): forced GC, CPU profiles
	// MetricsURL is the base URL of the server's /metrics listener (relaybase
	// --metrics-addr), read by the idle scenario; empty: URL (a server whose API address
	// serves /metrics).
	MetricsURL string
	Profile    string // write a CPU profile of the server over the measurement to this file

	Members  int           // clients (connect: the size of the cycling pool; floor: sockets; capacity: the first step)
	Rate     float64       // publishes per second (connect: dials per second, 0 = flat out)
	Duration time.Duration // publishing time (idle: hold time; connect: cycling time)
	Size     int           // bytes of the marker text each publish carries
	Channels int           // rooms: how many channels the members are spread over

	Publishers int           // concurrent HTTP publishers
	Loops      int           // client event loops (default GOMAXPROCS)
	Ramp       time.Duration // at most this long to connect and join the members
	Drain      time.Duration // at most this long after the last publish for deliveries

	// capacity: the largest channel tried (0: as many members as the generator's open-file
	// limit allows).
	MaxMembers int

	// fanout: the floor's CPU µs per write on this machine, printed beside CPU per delivery
	// and used for the target; 0 uses product.md's reference figure.
	FloorMicros float64
	// floor: the command that runs the writer in a process of its own (relaybase-bench
	// floor-serve); empty runs it in this process (tests).
	FloorCmd []string
	// floor: pin the writer process to this CPU (as taskset -c takes it, e.g. "0"); empty
	// leaves it where it starts.
	WriterCPU string

	// connect: the server's token key, base64url. Empty: RELAYBASE_AUTH_KEY, else
	// DataDir/auth.key.
	AuthKey string
	DataDir string
	TableID int64 // connect: the auth table id to mint for; 0 learns it from {API}/auth/guest

	Getenv func(string) string
	Log    io.Writer // progress lines; nil for none
}

// referenceFloorMicros is product.md's measured cost of one write per frame, used when the
// floor was not measured in the same session.
const referenceFloorMicros = 6.45

// Defaults returns o with every zero field set to the scenario's default.
func Defaults(o Options) (Options, error) {
	type def struct {
		members  int
		rate     float64
		duration time.Duration
		canon    string
		api      string
		channel  string
	}
	defs := map[string]def{
		"fanout":   {1000, 100, 10 * time.Second, "bench", "/api:bench", "bench/fanout"},
		"bigroom":  {10000, 10, 10 * time.Second, "bench", "/api:bench", "bench/bigroom"},
		"rooms":    {1000, 1000, 10 * time.Second, "bench", "/api:bench", "bench/room-"},
		"idle":     {10000, 0, 10 * time.Second, "bench", "/api:bench", "bench/idle"},
		"endpoint": {1000, 50, 10 * time.Second, "marvel-chat", "/api:chat", "marvel_chat_room"},
		"floor":    {1000, 100, 10 * time.Second, "", "", "bench/floor"},
		"connect":  {1000, 0, 10 * time.Second, "bench", "/api:bench", "bench/connect"},
		"capacity": {1000, 1, 10 * time.Second, "bench", "/api:bench", "bench/capacity"},
	}
	d, ok := defs[o.Scenario]
	if !ok {
		return o, fmt.Errorf("unknown scenario %q (want one of %v)", o.Scenario, Scenarios)
	}
	switch o.Protocol {
	case "", "legacy":
		o.Protocol = "legacy"
		if o.Acks {
			return o, fmt.Errorf("--acks needs --protocol current")
		}
	case "current":
		switch o.Scenario {
		case "fanout":
			d.canon = "benchv2" // bench/testdata/workspace/realtime_server/bench.xs
		case "endpoint":
			d.canon, d.channel = "chatv2", "rooms/bench" // examples/chat's realtime_server chat_rt
		default:
			return o, fmt.Errorf("--protocol current runs the fanout and endpoint scenarios only")
		}
	default:
		return o, fmt.Errorf("--protocol %q: want legacy or current", o.Protocol)
	}
	if o.Members == 0 {
		o.Members = d.members
	}
	if o.Rate == 0 {
		o.Rate = d.rate
	}
	if o.Duration == 0 {
		o.Duration = d.duration
	}
	if o.Size == 0 {
		o.Size = 48 // an event frame of ~120 bytes, as product.md's floor writes
	}
	if o.Canonical == "" {
		o.Canonical = d.canon
	}
	if o.API == "" {
		o.API = d.api
	}
	if o.Channel == "" {
		o.Channel = d.channel
	}
	if o.Channels == 0 {
		o.Channels = 1
		if o.Scenario == "rooms" {
			o.Channels = 100
		}
	}
	if o.Publishers == 0 {
		o.Publishers = 4
	}
	if o.Loops == 0 {
		o.Loops = runtime.GOMAXPROCS(0)
	}
	if o.Ramp == 0 {
		o.Ramp = 30*time.Second + time.Duration(o.Members)*time.Millisecond
	}
	if o.Drain == 0 {
		o.Drain = 10 * time.Second
	}
	if o.URL == "" && o.Scenario != "floor" {
		o.URL = "http://127.0.0.1:8080"
	}
	switch {
	case o.Members < 1:
		return o, fmt.Errorf("--members must be at least 1")
	case o.MaxMembers < 0:
		return o, fmt.Errorf("--max-members must not be negative")
	case o.Rate < 0:
		return o, fmt.Errorf("--rate must not be negative")
	case o.Duration < 0:
		return o, fmt.Errorf("--duration must not be negative")
	case o.Size < 0 || o.Size > 60000:
		return o, fmt.Errorf("--size must be between 0 and 60000 bytes")
	case o.Channels < 1 || o.Channels > o.Members && o.Scenario == "rooms":
		return o, fmt.Errorf("--channels must be between 1 and --members")
	case o.Scenario != "idle" && o.Scenario != "connect" && o.Rate <= 0:
		return o, fmt.Errorf("--rate must be positive for %s", o.Scenario)
	}
	if o.Getenv == nil {
		o.Getenv = func(string) string { return "" }
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	return o, nil
}
