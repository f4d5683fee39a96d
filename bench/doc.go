// Package bench is relaybase's own load generator: the logic behind cmd/relaybase-bench.
//
// It drives a relaybase server (or, for the floor scenario, a writer with no server logic)
// over loopback with many lean WebSocket clients in one process, publishes at a paced rate,
// and reports what product.md's performance targets are stated in: publish→deliver latency
// percentiles from an HDR histogram (3 significant digits, never averages), deliveries per
// second, the server's CPU per delivery read from /proc/<pid>/stat, and the server's memory
// per idle connection read from its /metrics. The capacity scenario turns that into one
// figure: the largest channel whose p95 stays within 250 ms at 1 publish/s, found by
// doubling and then bisecting the channel size, each step a fanout run of its own.
//
// The clients are not an SDK. A few event loops (one per GOMAXPROCS by default) each own an
// epoll instance and a set of non-blocking sockets; a client is a file descriptor and a
// small struct, with no goroutine and no buffer of its own while it has no partial frame.
// Each loop dials, upgrades (RFC 6455, the token as the subprotocol), joins, answers pings
// and parses the frames it reads in place. So 10,000 members cost the generator a few MB
// and one core, and the server is what is measured.
//
// Every timestamp the generator puts in a payload is the wall clock in nanoseconds
// ("@t=<ns>;"), read again when the frame is parsed: publisher and receivers are on one
// machine, so the two readings share a clock. Each scenario is bounded in time and in
// count, and talks to loopback addresses only.
//
// The package must not know the server's internals: it speaks the realtime protocol and the
// HTTP API (docs/http.md), and reads /proc and /metrics like any outside observer. It is Linux-only (epoll, /proc).
package bench
