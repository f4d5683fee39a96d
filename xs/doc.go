// Package xs reads XanoScript: a lexer and a parser that turn .xs source into an AST
// (Node, Block, Attr, Expr) which keeps every position, and diagnostics with
// file:line:col that say what was expected. The parser knows the general shape of
// constructs, not their meaning: valid XanoScript that relaybase does not run still parses,
// and package stack decides what runs. xs must not import any other relaybase package.
package xs
