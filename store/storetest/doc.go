// Package storetest is the conformance suite every relaybase.Store passes: store/sqlite
// today, store/postgres later. It speaks only the relaybase contracts (Store, Tx, Query,
// Cond, HistoryEntry) and package value, so a backend's test is one line:
//
//	func TestStore(t *testing.T) { storetest.Run(t, openForTest) }
//
// where openForTest follows Opener's rules (a fresh database per test, the same one again
// on a later call in that test).
//
// Besides cases written out, Query/MatchesXanoScript is a property test (rapid): random rows
// with nulls, random conditions nested in And, Or and Not with every comparison and operands
// of every type, checked against a reference of XanoScript's rules written in Go (holds), so
// that both stores' SQL is held to one meaning. Run it longer with -rapid.checks=N.
//
// The suite knows nothing of SQL dialects and asserts nothing the contract leaves to the
// backend (the text of an error message). Where the contract only implies a behaviour, the
// suite pins it down so that both backends agree; a backend must:
//
//   - return an input error (*relaybase.Error, ERROR_CODE_INPUT_ERROR) for an unknown
//     field, a value of the wrong type, or an omitted required field without a default;
//   - give Get and Update the matching row with the lowest id;
//   - compare as XanoScript does: == null matches null, != v matches null, values of
//     another type never match, !(x < 5) holds for a null x;
//   - sort nulls first ascending and last descending, and break ties by id;
//   - fold case in includes for all of Unicode (ß is not expanded), in text and in the
//     elements of a text array alike;
//   - treat contains on a text field as a case-sensitive substring test;
//   - compare json fields by their JSON text;
//   - read one snapshot in a read Tx (PostgreSQL: REPEATABLE READ);
//   - keep every frame when AppendHistory is given keep <= 0, and trim to keep only at
//     offsets that are multiples of HistoryEntry.TrimEvery when it is above 1;
//   - wrap relaybase.ErrConflict for unique violations, also when Migrate can't add a
//     unique index over rows that share a value, and relaybase.ErrNotFound for an
//     unknown table.
package storetest
