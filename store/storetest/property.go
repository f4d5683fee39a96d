package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"relaybase"
	"relaybase/value"
)

// queryProperty checks Query against a reference: random rows (nulls included) of a table
// with a field of each scalar kind and a text array, random conditions (And, Or, Not and
// every comparison, with operands of every type and null), and the rows Query returns must
// be exactly those holds says XanoScript selects. Everything runs in one write Tx per case,
// rolled back.
func queryProperty(t *testing.T, open Opener) {
	s := open(t)
	migrate(t, s, []*relaybase.Table{simple("p",
		relaybase.Field{Name: "n", Type: relaybase.TypeInt, Nullable: true},
		relaybase.Field{Name: "d", Type: relaybase.TypeDecimal, Nullable: true},
		relaybase.Field{Name: "b", Type: relaybase.TypeBool, Nullable: true},
		relaybase.Field{Name: "s", Type: relaybase.TypeText, Nullable: true},
		relaybase.Field{Name: "tags", Type: relaybase.TypeText, Array: true, Nullable: true},
	)}, nil)
	rapid.Check(t, func(rt *rapid.T) {
		tx, err := s.Begin(ctx(t), true)
		if err != nil {
			rt.Fatalf("Begin: %v", err)
		}
		defer tx.Rollback()
		// A rolled back Tx leaves the id counter where it was on some stores: ids are
		// whatever Insert returns.
		var rows []*value.Object
		for range rapid.IntRange(0, 10).Draw(rt, "rows") {
			row := value.NewObject(5)
			for _, f := range []string{"n", "d", "b", "s", "tags"} {
				row.Set(f, fieldValue(f).Draw(rt, f))
			}
			got, err := tx.Insert(ctx(t), "p", row)
			if err != nil {
				rt.Fatalf("Insert %s: %v", show(row), err)
			}
			rows = append(rows, got)
		}
		for i := range 8 {
			c := condGen(3).Draw(rt, fmt.Sprint("cond", i))
			res, err := tx.Query(ctx(t), &relaybase.Query{Table: "p", Where: c})
			if err != nil {
				rt.Fatalf("Query %s: %v", showCond(c), err)
			}
			var want []int64
			for _, r := range rows {
				if holds(r, c) {
					id, _ := r.Get("id")
					want = append(want, id.(int64))
				}
			}
			if got := ids(res.Rows); !sameIDs(got, want) && !(len(got) == 0 && len(want) == 0) {
				var shown []string
				for _, r := range rows {
					shown = append(shown, show(r))
				}
				rt.Fatalf("where %s\n rows %s\n got ids %v, want %v", showCond(c), strings.Join(shown, " "), got, want)
			}
		}
	})
}

// propText is the alphabet of generated text: both cases of an ASCII and a non-ASCII
// letter, LIKE's wildcards and a space.
var propText = []string{"a", "A", "é", "É", "%", "_", " "}

func textGen() *rapid.Generator[string] {
	return rapid.Custom(func(t *rapid.T) string {
		return strings.Join(rapid.SliceOfN(rapid.SampledFrom(propText), 0, 3).Draw(t, "chars"), "")
	})
}

// fieldValue is a stored value for field f: null a quarter of the time.
func fieldValue(f string) *rapid.Generator[any] {
	return rapid.Custom(func(t *rapid.T) any {
		if rapid.IntRange(0, 3).Draw(t, "null") == 0 {
			return nil
		}
		switch f {
		case "n":
			return int64(rapid.IntRange(-3, 3).Draw(t, "n"))
		case "d":
			return rapid.SampledFrom([]float64{-1.5, 0, 0.5, 2, 2.5}).Draw(t, "d")
		case "b":
			return rapid.Bool().Draw(t, "b")
		case "s":
			return textGen().Draw(t, "s")
		}
		tags := rapid.SliceOfN(textGen(), 0, 3).Draw(t, "tags")
		out := make([]any, len(tags))
		for i, s := range tags {
			out[i] = s
		}
		return out
	})
}

// operand is a comparison value of any type, null included.
func operand() *rapid.Generator[any] {
	return rapid.Custom(func(t *rapid.T) any {
		switch rapid.IntRange(0, 4).Draw(t, "type") {
		case 0:
			return nil
		case 1:
			return int64(rapid.IntRange(-3, 3).Draw(t, "int"))
		case 2:
			return rapid.SampledFrom([]float64{-1.5, 0, 0.5, 2, 2.5}).Draw(t, "decimal")
		case 3:
			return rapid.Bool().Draw(t, "bool")
		}
		return textGen().Draw(t, "text")
	})
}

// valueFor is mostly a value of the field's own type (an array of text for tags), so that
// comparisons often hold, and sometimes any operand.
func valueFor(field string) *rapid.Generator[any] {
	return rapid.Custom(func(t *rapid.T) any {
		if rapid.IntRange(0, 3).Draw(t, "other type") == 3 {
			return operand().Draw(t, "operand")
		}
		if field == "id" {
			field = "n"
		}
		for {
			if v := fieldValue(field).Draw(t, "own"); v != nil || rapid.Bool().Draw(t, "null") {
				return v
			}
		}
	})
}

// condGen is a condition of at most depth levels. includes is drawn for text fields only:
// what text a number or a bool shows differs between the databases.
func condGen(depth int) *rapid.Generator[relaybase.Cond] {
	return rapid.Custom(func(t *rapid.T) relaybase.Cond {
		kind := 0
		if depth > 0 {
			kind = rapid.IntRange(0, 5).Draw(t, "kind")
		}
		switch kind {
		case 1:
			return relaybase.And(rapid.SliceOfN(condGen(depth-1), 0, 3).Draw(t, "and"))
		case 2:
			return relaybase.Or(rapid.SliceOfN(condGen(depth-1), 0, 3).Draw(t, "or"))
		case 3:
			return &relaybase.Not{C: condGen(depth-1).Draw(t, "not")}
		}
		field := rapid.SampledFrom([]string{"n", "d", "b", "s", "tags", "id"}).Draw(t, "field")
		ops := []relaybase.CmpOp{relaybase.OpEq, relaybase.OpNe, relaybase.OpLt, relaybase.OpLe, relaybase.OpGt,
			relaybase.OpGe, relaybase.OpIn, relaybase.OpNotIn, relaybase.OpBetween, relaybase.OpContains, relaybase.OpOverlaps}
		if field == "s" || field == "tags" {
			ops = append(ops, relaybase.OpIncludes)
		}
		c := &relaybase.Cmp{Field: field, Op: rapid.SampledFrom(ops).Draw(t, "op")}
		switch c.Op {
		case relaybase.OpIn, relaybase.OpNotIn, relaybase.OpOverlaps:
			elem := field
			if field == "tags" {
				elem = "s" // an array's elements are text
			}
			c.Value = rapid.SliceOfN(valueFor(elem), 0, 3).Draw(t, "list")
		case relaybase.OpBetween:
			c.Value = []any{valueFor(field).Draw(t, "lo"), valueFor(field).Draw(t, "hi")}
		case relaybase.OpIncludes, relaybase.OpContains:
			c.Value = valueFor("s").Draw(t, "text")
		default:
			c.Value = valueFor(field).Draw(t, "value")
		}
		return c
	})
}

// holds says whether XanoScript selects row for c: == null matches null, != v matches
// null, a value of another type never equals or orders against a field's values (numbers
// compare by value), !c holds wherever c does not, includes folds case (text), contains is
// a case-sensitive substring of text and element equality in an array.
func holds(row *value.Object, c relaybase.Cond) bool {
	switch c := c.(type) {
	case relaybase.And:
		for _, x := range c {
			if !holds(row, x) {
				return false
			}
		}
		return true
	case relaybase.Or:
		return slices.ContainsFunc(c, func(x relaybase.Cond) bool { return holds(row, x) })
	case *relaybase.Not:
		return !holds(row, c.C)
	case *relaybase.Cmp:
		x, _ := row.Get(c.Field)
		return cmpHolds(c.Field, x, c.Op, c.Value)
	}
	panic(fmt.Sprintf("condition %T", c))
}

// kindOf is the type a field's values have: "number", "bool", "text" or "array".
func kindOf(field string) string {
	switch field {
	case "n", "d", "id":
		return "number"
	case "b":
		return "bool"
	case "s":
		return "text"
	}
	return "array"
}

// fits reports whether v (not null) can equal or order against the field's values.
func fits(field string, v any) bool {
	switch kindOf(field) {
	case "number":
		return value.IsNumber(v)
	case "bool":
		_, ok := v.(bool)
		return ok
	case "text":
		_, ok := v.(string)
		return ok
	}
	return true // an array field compares with anything by its JSON
}

func cmpHolds(field string, x any, op relaybase.CmpOp, v any) bool {
	switch op {
	case relaybase.OpEq:
		if v == nil {
			return x == nil
		}
		return fits(field, v) && x != nil && value.Equal(x, v)
	case relaybase.OpNe:
		return !cmpHolds(field, x, relaybase.OpEq, v) || (v != nil && !fits(field, v))
	case relaybase.OpLt, relaybase.OpLe, relaybase.OpGt, relaybase.OpGe:
		if v == nil || x == nil || !fits(field, v) || kindOf(field) == "array" {
			return false
		}
		d := order(x, v)
		switch op {
		case relaybase.OpLt:
			return d < 0
		case relaybase.OpLe:
			return d <= 0
		case relaybase.OpGt:
			return d > 0
		}
		return d >= 0
	case relaybase.OpBetween:
		b := v.([]any)
		return cmpHolds(field, x, relaybase.OpGe, b[0]) && cmpHolds(field, x, relaybase.OpLe, b[1])
	case relaybase.OpIn:
		for _, e := range v.([]any) {
			if (e == nil && x == nil) || (e != nil && fits(field, e) && x != nil && value.Equal(x, e)) {
				return true
			}
		}
		return false
	case relaybase.OpNotIn:
		return !cmpHolds(field, x, relaybase.OpIn, v)
	case relaybase.OpIncludes:
		s := value.ToText(v)
		switch v.(type) {
		case string, int64, float64, bool:
		default:
			return false
		}
		if kindOf(field) == "array" {
			arr, _ := x.([]any)
			return slices.ContainsFunc(arr, func(e any) bool { return strings.EqualFold(e.(string), s) })
		}
		t, ok := x.(string)
		return ok && strings.Contains(strings.ToLower(t), strings.ToLower(s))
	case relaybase.OpContains:
		switch kindOf(field) {
		case "text":
			t, ok := x.(string)
			s, isText := v.(string)
			return ok && isText && strings.Contains(t, s)
		case "array":
			arr, _ := x.([]any)
			return v != nil && slices.ContainsFunc(arr, func(e any) bool { return value.Equal(e, v) })
		}
		return false
	case relaybase.OpOverlaps:
		arr, _ := x.([]any)
		return kindOf(field) == "array" && slices.ContainsFunc(v.([]any), func(w any) bool {
			return w != nil && slices.ContainsFunc(arr, func(e any) bool { return value.Equal(e, w) })
		})
	}
	panic("op " + string(op))
}

// order compares two values of one kind: numbers by value, text by bytes, false < true.
func order(x, v any) int {
	if a, ok := value.AsFloat(x); ok {
		b, _ := value.AsFloat(v)
		switch {
		case a < b:
			return -1
		case a > b:
			return 1
		}
		return 0
	}
	if a, ok := x.(bool); ok {
		b := v.(bool)
		switch {
		case a == b:
			return 0
		case !a:
			return -1
		}
		return 1
	}
	return strings.Compare(x.(string), v.(string))
}

func showCond(c relaybase.Cond) string {
	switch c := c.(type) {
	case relaybase.And:
		return "and" + showConds(c)
	case relaybase.Or:
		return "or" + showConds(c)
	case *relaybase.Not:
		return "!(" + showCond(c.C) + ")"
	case *relaybase.Cmp:
		return fmt.Sprintf("%s %s %s", c.Field, c.Op, show(c.Value))
	}
	return fmt.Sprint(c)
}

func showConds(cs []relaybase.Cond) string {
	var parts []string
	for _, c := range cs {
		parts = append(parts, showCond(c))
	}
	return "(" + strings.Join(parts, ", ") + ")"
}
