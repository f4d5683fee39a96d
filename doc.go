// Package relaybase holds the domain types and the contracts between relaybase's parts:
// the error type every layer speaks and the one classification of errors into client codes
// (ErrorCode; each face maps codes to its own wire: httpapi to HTTP statuses), the identity a token proves, table definitions with
// the rules their names and values follow (CheckTables, Table.Coerce: one set for every store),
// the Store (tables, history, offsets, metadata) and the Engine (fan-out and presence
// across nodes), the channel rules of the realtime protocol, and Outbound (the requests a
// stack sends with api.request, as plain values: the adapter owns HTTP and the policy).
//
// It imports only the standard library and relaybase/value (the shared data model). The
// adapters (store/sqlite, engine/memory, ...) implement these contracts; only cmd/relaybase
// picks which ones run. Nothing here knows about HTTP, WebSocket, SQL or XanoScript syntax.
package relaybase
