// Package storetest is the conformance suite every relaybase.Store passes: store/sqlite
// today, store/postgres later. It speaks only the relaybase contracts (Store, Tx, Query,
// Cond, HistoryEntry) and package value, so a backend's test is one line:
//
//	func TestStore(t *testing.T) { storetest.Run(t, openForTest) }
//
// The suite knows nothing of SQL dialects; where the contract leaves a choice to the
// backend (the text of an error, the order of equal rows without a sort) it asserts nothing.
// Where it pins down behaviour the contract only implies, the test says so in its comment:
// those are the decisions every backend must share (nulls sort first ascending, Get returns
// the lowest id, Insert rejects an omitted required field ...).
package storetest
