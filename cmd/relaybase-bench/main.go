package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"relaybase/bench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `relaybase-bench runs one benchmark scenario against a relaybase server on loopback.

Usage:
  relaybase-bench SCENARIO [flags]

Scenarios (defaults in brackets):
  fanout    members on one channel, publishes/s to an event-only endpoint   [1000, 100/s]
  bigroom   the same with a big room                                        [10000, 10/s]
  rooms     members spread over --channels channels                         [1000, 1000/s, 100 channels]
  endpoint  members on the chat example's room, posts to POST messages      [1000, 50/s]
  idle      idle members joined to one channel: server memory per member    [10000]
  floor     one write(2) per frame per socket from a process with no server [1000, 100 rounds/s]
  connect   connect + authenticate + join, cycling a pool of --members      [1000, flat out]
  capacity  the largest channel with p95 publish→deliver ≤ 250 ms: fanout    [from 1000, 1/s]
            steps from --members, doubling, then bisecting (each --duration)

  relaybase-bench show < result.json   prints a --json result as the table

fanout, bigroom, rooms, idle, connect and capacity expect the bench workspace
(relaybase serve bench/testdata/workspace); endpoint expects examples/chat.

Flags:
`

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "floor-serve" {
		return floorServe(ctx, args[1:], stdin, stdout, stderr)
	}
	if len(args) > 0 && args[0] == "show" {
		return show(stdin, stdout, stderr)
	}
	fs := flag.NewFlagSet("relaybase-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		o       bench.Options
		asJSON  bool
		quiet   bool
		rate    float64
		members int
		selfCPU string
	)
	fs.StringVar(&o.URL, "url", "", "server base URL (loopback only) (default http://127.0.0.1:8080)")
	fs.Func("nodes", "comma-separated base URLs of more nodes of the same cluster: members and publishes are spread over --url and these in turn (--pid stays --url's)", func(v string) error {
		for _, u := range strings.Split(v, ",") {
			if u = strings.TrimSpace(u); u != "" {
				o.Nodes = append(o.Nodes, u)
			}
		}
		return nil
	})
	fs.IntVar(&o.Pid, "pid", 0, "server pid: CPU from /proc/<pid>/stat, memory from /proc/<pid>/status")
	fs.IntVar(&members, "members", 0, "members (connect: pool size; floor: sockets) (default: per scenario)")
	fs.Float64Var(&rate, "rate", 0, "publishes per second (floor: rounds/s; connect: dials/s, 0 = flat out) (default: per scenario)")
	fs.DurationVar(&o.Duration, "duration", 0, "how long to publish (idle: hold; connect: cycle) (default 10s)")
	fs.IntVar(&o.Size, "size", 0, "bytes of marker text per publish, padding included (default 48: ~120-byte event frames)")
	fs.IntVar(&o.Channels, "channels", 0, "rooms: channels to spread members over (default 100)")
	fs.StringVar(&o.Canonical, "canonical", "", "realtime canonical, /rt/{canonical} (default: bench; endpoint: marvel-chat)")
	fs.StringVar(&o.Protocol, "protocol", "", "realtime protocol of the members: legacy (/rt/) or current (/ws/; fanout and endpoint) (default legacy)")
	fs.BoolVar(&o.Acks, "acks", false, "current protocol: members ack the highest message id of each read")
	fs.StringVar(&o.API, "api", "", "API group path (default: /api:bench; endpoint: /api:chat)")
	fs.StringVar(&o.Channel, "channel", "", "channel to join (rooms: name prefix) (default: per scenario)")
	fs.StringVar(&o.DebugURL, "debug-url", "", "the server's pprof base URL (relaybase --debug-addr): forced GC for idle, --profile")
	fs.StringVar(&o.MetricsURL, "metrics-url", "", "base URL of the server's /metrics listener (relaybase --metrics-addr), read by idle (default: --url)")
	fs.StringVar(&o.Profile, "profile", "", "save a CPU profile of the server over the measurement to this file (idle: a heap profile after GC) (needs --debug-url)")
	fs.IntVar(&o.Publishers, "publishers", 0, "concurrent HTTP publishers (default 4)")
	fs.IntVar(&o.Loops, "loops", 0, "client event loops (default GOMAXPROCS)")
	fs.DurationVar(&o.Ramp, "ramp", 0, "at most this long to connect and join the members (default 30s + 1ms per member)")
	fs.DurationVar(&o.Drain, "drain", 0, "at most this long after the last publish for deliveries (default 10s)")
	fs.IntVar(&o.MaxMembers, "max-members", 0, "capacity: the largest channel to try (default: the open-file limit allows)")
	fs.Float64Var(&o.FloorMicros, "floor-us", 0, "fanout: this machine's floor, CPU µs per write (default: product.md's 6.45)")
	fs.StringVar(&o.WriterCPU, "writer-cpu", "", "floor: pin the writer process to these CPUs, e.g. 0 (where the server would run)")
	fs.StringVar(&o.AuthKey, "auth-key", "", "connect: the server's token key (default: RELAYBASE_AUTH_KEY, else --data/auth.key)")
	fs.StringVar(&o.DataDir, "data", "", "connect: the server's data directory, holding auth.key")
	fs.Int64Var(&o.TableID, "table-id", 0, "connect: auth table id for the tokens (default: learnt from {api}/auth/guest)")
	fs.StringVar(&selfCPU, "self-profile", "", "write a CPU profile of the generator itself to this file")
	fs.BoolVar(&asJSON, "json", false, "print the result as JSON")
	fs.BoolVar(&quiet, "quiet", false, "no progress lines on stderr")
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			fs.Usage()
			return 0
		}
		fmt.Fprintln(stderr, "relaybase-bench: name a scenario first: "+strings.Join(bench.Scenarios, " "))
		fs.Usage()
		return 2
	}
	o.Scenario = args[0]
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "relaybase-bench: unexpected arguments %q\n", fs.Args())
		return 2
	}
	o.Members, o.Rate = members, rate
	o.Getenv = getenv
	if !quiet {
		o.Log = stderr
	}
	if o.Scenario == "floor" {
		exe, err := os.Executable()
		if err != nil {
			fmt.Fprintf(stderr, "relaybase-bench: %v\n", err)
			return 1
		}
		o.FloorCmd = []string{exe, "floor-serve"}
	}
	if selfCPU != "" {
		f, err := os.Create(selfCPU)
		if err != nil {
			fmt.Fprintf(stderr, "relaybase-bench: %v\n", err)
			return 1
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintf(stderr, "relaybase-bench: %v\n", err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}
	res, err := bench.Run(ctx, o)
	if err != nil {
		fmt.Fprintf(stderr, "relaybase-bench: %v\n", err)
		return 1
	}
	if asJSON {
		err = res.WriteJSON(stdout)
	} else {
		err = res.WriteTable(stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "relaybase-bench: %v\n", err)
		return 1
	}
	return 0
}

// floorServe is the floor scenario's writer process (started by `relaybase-bench floor`).
func floorServe(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("relaybase-bench floor-serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg bench.FloorWriterConfig
	fs.IntVar(&cfg.Members, "members", 1000, "connections to accept")
	fs.Float64Var(&cfg.Rate, "rate", 100, "rounds per second")
	fs.DurationVar(&cfg.Duration, "duration", 10*time.Second, "how long to write")
	fs.IntVar(&cfg.Size, "size", 48, "marker bytes per frame")
	fs.StringVar(&cfg.Channel, "channel", "bench/floor", "channel named in the frame")
	fs.StringVar(&cfg.CPU, "cpu", "", "pin to these CPUs")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if err := bench.RunFloorWriter(ctx, cfg, stdin, stdout); err != nil {
		fmt.Fprintf(stderr, "relaybase-bench floor-serve: %v\n", err)
		return 1
	}
	return 0
}

// show prints a result saved with --json as the table.
func show(stdin io.Reader, stdout, stderr io.Writer) int {
	var r bench.Result
	if err := json.NewDecoder(stdin).Decode(&r); err != nil {
		fmt.Fprintf(stderr, "relaybase-bench show: %v\n", err)
		return 1
	}
	if err := r.WriteTable(stdout); err != nil {
		fmt.Fprintf(stderr, "relaybase-bench show: %v\n", err)
		return 1
	}
	return 0
}
