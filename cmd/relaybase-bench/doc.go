// Command relaybase-bench is relaybase's own load generator: it runs one benchmark scenario
// against a relaybase server on loopback and prints what it measured next to the targets
// of product.md. scripts/bench builds it, starts a pinned server, and runs it; see
// docs/BENCHMARKS.md.
//
//	relaybase-bench SCENARIO [flags]      fanout bigroom rooms idle endpoint floor connect
package main
