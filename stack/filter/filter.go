package filter

import (
	"fmt"
	"sort"
	"strconv"

	"relaybase/value"
)

// Lambda is an argument that is an expression over the current element ($$), evaluated per element.
type Lambda func(elem any) (any, error)

// Reducer is reduce's expression: over the current element ($$) and the result so far
// ($result).
type Reducer func(elem, acc any) (any, error)

// Def is one filter.
type Def struct {
	Name             string
	MinArgs, MaxArgs int // MaxArgs -1 = variadic
	// Lambda reports that the first argument is an expression over $$ (map, filter, find,
	// some, every, ...): the caller passes a Lambda there instead of a value.
	Lambda bool
	// Reduce reports that the first argument is a Reducer (reduce).
	Reduce bool
	// Fn applies the filter to x. It never changes x or the arguments, and the result shares
	// no array or object with them. It checks the argument count itself, so a caller that
	// skips the MinArgs/MaxArgs check still gets an error rather than a panic.
	Fn func(x any, args []any) (any, error)
}

// registry is filled once by init functions and only read afterwards, so lookups need no lock.
var (
	registry = map[string]*Def{}
	aliasOf  = map[string]string{} // alias → canonical name
)

// Lookup returns the filter called name (an alias gives the same function under its own
// name). The Def is shared: callers must not modify it.
func Lookup(name string) (*Def, bool) {
	d, ok := registry[name]
	return d, ok
}

// Names returns every filter name, aliases included, sorted.
func Names() []string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

type impl func(x any, args []any) (any, error)

// def registers a filter and its aliases.
func def(name string, minArgs, maxArgs int, fn impl, aliases ...string) {
	add(name, minArgs, maxArgs, false, fn, aliases)
}

// defLambda registers a filter whose first argument is an expression over $$.
func defLambda(name string, minArgs, maxArgs int, fn impl, aliases ...string) {
	add(name, minArgs, maxArgs, true, fn, aliases)
}

func add(name string, minArgs, maxArgs int, lambda bool, fn impl, aliases []string) {
	for _, n := range append([]string{name}, aliases...) {
		if _, dup := registry[n]; dup {
			panic("filter: registered twice: " + n)
		}
		registry[n] = &Def{Name: n, MinArgs: minArgs, MaxArgs: maxArgs, Lambda: lambda, Fn: arity(n, minArgs, maxArgs, fn)}
		if n != name {
			aliasOf[n] = name
		}
	}
}

func arity(name string, minArgs, maxArgs int, fn impl) func(any, []any) (any, error) {
	return func(x any, args []any) (any, error) {
		if len(args) < minArgs || (maxArgs >= 0 && len(args) > maxArgs) {
			return nil, fmt.Errorf("%s: takes %s, got %d", name, argCount(minArgs, maxArgs), len(args))
		}
		return fn(x, args)
	}
}

func argCount(minArgs, maxArgs int) string {
	plural := func(n int) string {
		if n == 1 {
			return "1 argument"
		}
		return strconv.Itoa(n) + " arguments"
	}
	switch {
	case maxArgs < 0:
		return "at least " + plural(minArgs)
	case minArgs == maxArgs && minArgs == 0:
		return "no arguments"
	case minArgs == maxArgs:
		return plural(minArgs)
	}
	return fmt.Sprintf("%d to %d arguments", minArgs, maxArgs)
}

// typeError reports an input of the wrong type.
func typeError(name, want string, got any) error {
	return fmt.Errorf("%s: expected %s, got %s", name, want, value.TypeName(got))
}

// arg returns the i-th argument, or nil when there are fewer.
func arg(args []any, i int) any {
	if i < len(args) {
		return args[i]
	}
	return nil
}

// intArg reads an int argument. A decimal with no fraction counts as an int; an absent or
// null argument gives def.
func intArg(name, what string, args []any, i int, def int64) (int64, error) {
	switch t := arg(args, i).(type) {
	case nil:
		return def, nil
	case int64:
		return t, nil
	case float64:
		if n, ok := floatToInt(t); ok {
			return n, nil
		}
		return 0, fmt.Errorf("%s: %s must be an int, got %s", name, what, value.FormatFloat(t))
	default:
		return 0, fmt.Errorf("%s: %s must be an int, got %s", name, what, value.TypeName(t))
	}
}

// numberArg reads a number argument (int or decimal); null is an error.
func numberArg(name, what string, args []any, i int) (any, error) {
	v := arg(args, i)
	if !value.IsNumber(v) {
		return nil, fmt.Errorf("%s: %s must be a number, got %s", name, what, value.TypeName(v))
	}
	return v, nil
}

// textArg reads a text argument. Numbers and bools are taken as their text (an argument
// written 3 where "3" was meant is unambiguous); an absent or null argument gives def.
func textArg(name, what string, args []any, i int, def string) (string, error) {
	switch t := arg(args, i).(type) {
	case nil:
		return def, nil
	case string:
		return t, nil
	case int64, float64, bool:
		return value.ToText(t), nil
	default:
		return "", fmt.Errorf("%s: %s must be text, got %s", name, what, value.TypeName(t))
	}
}

// boolArg reads a bool argument; an absent or null argument gives def. The words "true" and
// "false" count too, since bare words in filter arguments (sort:name:text:false) may arrive as text.
func boolArg(name, what string, args []any, i int, def bool) (bool, error) {
	switch t := arg(args, i).(type) {
	case nil:
		return def, nil
	case bool:
		return t, nil
	case string:
		switch t {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
	case int64:
		return t != 0, nil
	}
	return false, fmt.Errorf("%s: %s must be a bool, got %s", name, what, value.TypeName(arg(args, i)))
}

// lambdaArg reads the expression argument of a higher-order filter.
func lambdaArg(name string, args []any) (Lambda, error) {
	switch f := arg(args, 0).(type) {
	case Lambda:
		return f, nil
	case func(any) (any, error):
		return f, nil
	}
	return nil, fmt.Errorf("%s: the argument must be an expression over $$, got %s", name, value.TypeName(arg(args, 0)))
}

// floatToInt converts a decimal with no fraction that fits in an int.
func floatToInt(f float64) (int64, bool) {
	if f != f || f < -(1<<63) || f >= 1<<63 || f != float64(int64(f)) {
		return 0, false
	}
	return int64(f), true
}

// textIn reads a text input; null reads as "" (text filters are null-tolerant: a missing
// member behaves like empty text).
func textIn(name string, x any) (string, error) {
	switch t := x.(type) {
	case nil:
		return "", nil
	case string:
		return t, nil
	case []any:
		return "", fmt.Errorf("%s: expected text, got array (text filters work on text only)", name)
	}
	return "", typeError(name, "text", x)
}

// scalarTextIn reads the input of an encoding or hashing filter: text, or a number or bool
// taken as its text ($id|md5 hashes "42"). Arrays and objects are errors: encode them first.
func scalarTextIn(name string, x any) (string, error) {
	switch t := x.(type) {
	case nil:
		return "", nil
	case string:
		return t, nil
	case int64, float64, bool:
		return value.ToText(t), nil
	}
	return "", fmt.Errorf("%s: expected text, got %s (json_encode it first)", name, value.TypeName(x))
}

// arrayIn reads an array input; null reads as an empty array (a missing list iterates as empty).
func arrayIn(name string, x any) ([]any, error) {
	switch t := x.(type) {
	case nil:
		return nil, nil
	case []any:
		return t, nil
	case string:
		return nil, fmt.Errorf("%s: expected array, got text (array filters work on arrays only)", name)
	}
	return nil, typeError(name, "array", x)
}

// cloneAll deep-copies the elements of a, so results never alias the input.
func cloneAll(a []any) []any {
	out := make([]any, len(a))
	for i, e := range a {
		out[i] = value.Clone(e)
	}
	return out
}
