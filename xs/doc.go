// Package xs reads XanoScript: a lexer and a parser that turn .xs source into an AST
// (Node, Block, Attr, Expr) which keeps every position, and diagnostics with
// file:line:col that say what was expected. The parser knows the general shape of
// constructs, not their meaning: valid XanoScript that relaybase does not run still parses,
// and package stack decides what runs. xs must not import any other relaybase package.
//
// Conventions the consumers of the AST rely on:
//
//   - Positions: Line and Col start at 1 and Col counts characters, not bytes. An
//     expression's Pos is where its text begins (a Binary's is its left operand's); a
//     FilterCall's Pos is its name.
//   - Var.Name keeps the "$" of the roots ($input, $var, $auth, $env, $db, $$, $0..$9) and
//     drops it for every other variable: $user is Name "user". Inside catch, Xano exposes
//     the error as the variable $error ($error.message, $error.name), which is
//     an ordinary Var "error"; the parser gives catch no special shape.
//   - Filters bind tighter than every operator: $x|get:"k":"" == "paid" compares the
//     filter's result. A filter argument is a primary with its member accesses
//     ($input.key, "k", 1, -1, {a: 1}, [..], (expr), a bare word); an argument that starts
//     with $$ is a lambda and extends over operators up to the next ":" or "|":
//     $arr|find:$$.id == 5 is find with one argument, the Binary $$.id == 5;
//     $arr|reduce:$$+$acc:0 has two. Write map:($$|to_upper) to filter inside a lambda.
//   - switch: "case (...) { ... } break" gives the break as the next sibling Node of the
//     case in the switch body, the same as a break written inside the case body.
//   - Field declarations (inside input { } and schema { }) set Node.Field. Their filters=
//     are read as written: arguments are literals (numbers, true/false/null, quoted text,
//     else the bare text as a string), and pattern's (or regex's) argument runs to the end
//     of the filters, since regular expressions hold "|" and ":". An unquoted default
//     (country?=US, created_at?=now) is an *Ident.
//   - Bare words used as values (now, GET in verb=GET, unquoted timestamps such as
//     2025-01-01 00:00:00+0000 in a schedule) are *Ident; a dotted bare word (a.b) is one
//     Ident. name(args) is a *Call.
//   - Keywords are names wherever a name is expected (Xano exports `api_group as { }`):
//     "as" after a keyword starts the result clause only when a variable follows it
//     (`function.run as as $r` is the function named "as"); after a body it can only be
//     the clause. Filters after the clause's variable (`as $i|add:1`) are Node.AsFilters.
//   - A line holding only "---" (at its start) separates the objects of a multi-document
//     file, as Xano writes a run bundle (a run.job followed by its functions and tables).
//   - Triple-quoted strings keep their content verbatim (no escapes); `expr` and
//     ```expr``` are parsed as the expression they hold (no wrapper node).
package xs
