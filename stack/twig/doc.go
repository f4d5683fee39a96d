// Package twig runs the templates of XanoScript's util.template_engine: a subset of Twig,
// the template language Xano's templates are written in.
//
//	Hello {{ $var.name|capitalize }}!
//	{% for item in $var.items %}
//	  - {{ loop.index }}. {{ item.name }}{% if item.price > 10 %} (premium){% endif %}
//	{% else %}
//	  nothing yet
//	{% endfor %}
//
// What it runs:
//
//   - {{ expr }} prints a value, HTML-escaped (Twig's default autoescape) unless its last
//     filter is raw; {% if %}/{% elseif %}/{% else %}/{% endif %}; {% for x in list %},
//     {% for key, value in object %}, with {% else %} for an empty list and loop.index,
//     loop.index0, loop.first, loop.last, loop.length; {% set x = expr %}; {# comments #};
//     "-" next to a delimiter trims the whitespace on that side ({{- x -}}).
//   - Expressions: 'text', "text", numbers, true, false, null, [lists], {hashes};
//     variables, with .name and [expr] access; XanoScript's roots $var, $input, $env and
//     $auth (a bare name is a loop or set variable, else a stack variable); the operators
//     or, and, not, == != < > <= >=, in, not in, ~ (concatenation), + - * / %, ??, and
//     a ? b : c.
//   - Filters: upper, lower, capitalize, title, trim, length, default, join, first, last,
//     keys, reverse, sort, slice, split, replace, round, abs, number_format, json_encode,
//     url_encode, nl2br, striptags, escape (e), raw.
//
// Printing: null and false print nothing, true prints 1 (as Twig does), numbers their
// shortest text, lists and objects their JSON (Twig has no text for them). A name that
// is not defined reads as null, as in Twig without strict variables.
//
// Anything else (macros, includes, blocks and inheritance, tests with "is", the other
// filters and functions) is a parse error that names it. The package knows nothing of
// the stack: the caller passes a function that resolves names.
package twig
