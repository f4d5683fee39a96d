// Package value is the data model every part of relaybase shares: the values a
// XanoScript stack computes with, the rows a store reads and writes, and the
// payloads that travel in realtime frames.
//
// A value is one of these Go types and nothing else:
//
//	nil          null
//	bool         true / false
//	int64        int, timestamp (ms since the epoch, UTC)
//	float64      decimal
//	string       text, email, date ("YYYY-MM-DD"), uuid, password hash
//	[]any        array (elements are values)
//	*Object      object: keys in insertion order, so responses keep the order a stack built them in
//
// The package knows nothing of XanoScript syntax, SQL or HTTP; it only defines
// the values and the rules that compare, convert and encode them
// (docs/xanoscript.md, "Values and coercion").
package value
