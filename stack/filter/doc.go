// Package filter is XanoScript's filter library: the functions written after a pipe, as in
// $name|trim|to_lower or $items|map:$$.price. Each filter is a Def in a registry that the
// stack evaluator consults by name (Lookup, Names); Docs gives one checked example per
// filter for the language reference.
//
// A filter is a pure function of its input and arguments. It never changes them, and its
// result shares no array or object with them, so a stack may modify a result freely. The
// evaluator evaluates the arguments, except the first argument of a filter marked Lambda
// (map, filter, find, some, every, group_by ...), which it passes as a Lambda over $$. An
// error is a plain message for a person ("substr: start must be an int, got text"); the
// caller adds the source position.
//
// Filters are type-specific, as in Xano: text filters take text, array filters arrays,
// math filters numbers, and the wrong type is an error. Null is tolerated where a missing
// value has an obvious reading: text filters read it as "", array filters as [], object
// filters as {}, time filters pass it through as null. Math on null is an error, as it is
// for the arithmetic operators. Each filter's comment states where it departs from this.
//
// The semantics follow Xano's public XanoScript documentation (xano-inc/xano-developer-mcp,
// src/xanoscript_docs) and, where that is silent, the PHP functions Xano's filters are
// named after (substr, array_slice, date, strtotime, sprintf, number_format).
//
// The package knows nothing of XanoScript syntax, the evaluator, databases or HTTP: it
// imports only the standard library and relaybase/value. Timezones come from the system's
// zoneinfo; a binary meant for a bare container should import time/tzdata in its main package.
package filter
