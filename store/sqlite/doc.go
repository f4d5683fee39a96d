// Package sqlite implements relaybase.Store on a SQLite file (modernc.org/sqlite, pure Go):
// the workspace's tables, realtime history with per-channel offsets and epochs, and
// relaybase's own metadata (tables prefixed _relaybase_).
//
// # Connections
//
// The file runs in WAL mode with synchronous=FULL, so a committed write survives a crash.
// Writes go through one writer connection and start with BEGIN IMMEDIATE, so writers queue
// in Go instead of failing half-way with SQLITE_BUSY (another process on the same file is
// waited for up to the busy timeout). Reads use a pool of query_only connections and
// deferred transactions, so they read one snapshot and never wait for the writer.
// Consequently a goroutine holding a write Tx must not start another write (Begin(ctx,
// true), InitMeta, Migrate) before ending the first: it would wait for itself.
//
// # Tables
//
// A workspace table becomes `"id" INTEGER PRIMARY KEY AUTOINCREMENT` plus one column per
// field: int and timestamp INTEGER (timestamps in ms), bool INTEGER 0/1, decimal REAL,
// text, email, password, uuid, date and enum TEXT, json, object and every T[] TEXT holding
// JSON. Columns have no NOT NULL or REFERENCES constraints: required fields and defaults
// are applied by Insert, and a foreign key is a plain int (as in Xano, deleting a row that
// others point to is allowed). Indexes are named rb_<table>_<fields>_<hash>.
//
// Migrate adds tables, fields and indexes; it never drops anything, but reports fields,
// indexes and tables the workspace no longer defines. Each field's declared type is kept in
// _relaybase_fields: a later change that keeps every value (int → decimal, int → text,
// text → json, object → json, T[] → json, int ↔ timestamp, among the text types) converts
// the column, rebuilding it when its SQL type changes; any other change is refused with an
// error that names the table and the field.
//
// # Values
//
// Where clauses and the statements of Tx come from internal/sqlbuild, the builder both stores
// share, with its SQLite dialect. SQL text is built only from identifiers that table
// definitions declared (always quoted) and from constants; every value travels as a parameter. Rows come back
// with the declared types (see relaybase/value); comparisons follow XanoScript, not SQL:
// == null matches null, != v matches null, a value of another type never matches.
//
// The package knows SQLite and the relaybase contracts; it knows nothing of HTTP,
// XanoScript syntax or the realtime wire protocol (history frames are opaque bytes).
package sqlite
