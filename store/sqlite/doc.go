// Package sqlite implements relaybase.Store on a SQLite file (modernc.org/sqlite, pure Go):
// the workspace's tables, realtime history with per-channel offsets and epochs, and
// relaybase's own metadata (tables prefixed _relaybase_).
//
// The file runs in WAL mode with synchronous=FULL, so a committed write survives a crash.
// Writes go through one writer connection and start with BEGIN IMMEDIATE, so writers queue
// in Go instead of failing half-way with SQLITE_BUSY; reads use a pool of read-only
// connections and deferred transactions, so they never wait for a writer. Consequently a
// goroutine holding a write Tx must not Begin another write Tx before ending the first:
// it would wait for itself.
//
// SQL text is built only from identifiers that table definitions declared (always quoted)
// and from relaybase's own constants; every value travels as a parameter.
//
// The package knows SQLite and the relaybase contracts; it knows nothing of HTTP,
// XanoScript syntax or the realtime wire protocol (history frames are opaque bytes).
package sqlite
