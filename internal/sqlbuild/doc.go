// Package sqlbuild writes the SQL that store/sqlite and store/postgres share: one builder of
// where clauses from relaybase.Cond with XanoScript's rules (== null matches null, != v
// matches null, values of another type never match, !(x < 5) holds for a null x), the
// statements of Tx (get, query with sort and paging, insert with defaults, update, delete),
// the storage kind of every field type, and the planning of migrations (table ids, which
// type changes keep every value, which fields and indexes to add, what to report).
//
// What differs between the databases is behind Dialect: placeholders and their casts, the
// boolean literals and values, "is distinct from", null ordering, "no limit", how a value
// becomes a comparison operand, and the text and JSON element tests (in, includes,
// contains, overlaps). Each store implements Dialect next to the SQL only it writes
// (connections, transactions, history, DDL).
//
// SQL text is built only from identifiers that table definitions declared (always quoted)
// and from constants of this package and the dialects; every value travels as a parameter.
//
// The package knows the relaybase contracts and package value; it knows nothing of a
// driver, a connection or a database's catalog, so everything here is tested without one.
package sqlbuild
