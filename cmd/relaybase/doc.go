// Command relaybase runs a XanoScript workspace: its tables, its API endpoints and its
// realtime channels, in one process (product.md). It is the only place that picks adapters
// (SQLite or PostgreSQL, in-process or Redis engine) and wires the parts together.
package main
