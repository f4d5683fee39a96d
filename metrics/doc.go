// Package metrics names every relaybase metric family and owns the registry they live in:
// a private prometheus.Registry (never the global one), so that two servers in one process
// (tests, the load tool) count apart, and /metrics shows relaybase's families, the Go
// runtime's and the process's, nothing else. docs/metrics.md lists each family with its
// labels; the Grafana dashboard (docs/grafana/relaybase.json) is checked against what
// Gather returns.
//
// The packages that own the numbers count through the small types here (HTTP, Realtime,
// Engine, Store, Tasks), whose methods are safe on a nil receiver (counting off). Hot
// paths never look a label up: the children of each family whose label values are known in
// advance (protocols, actions, refusal reasons) are resolved once, in New, into arrays and
// read-only maps; a realtime fan-out adds its whole count to one counter once. Label
// values that are not known in advance (route patterns, error codes, close codes, task
// names) are resolved per event on paths that are not hot (one request, one close, one
// task run), and never come from a raw client string: a route is the pattern it matched.
//
// It must not know anything of relaybase but the names of things: it imports no other
// package of the module, so every layer may count through it.
package metrics
