package sqlbuild_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"relaybase"
	"relaybase/internal/sqlbuild"
)

var (
	lite = sqlbuild.SQLite
	pg   = sqlbuild.Postgres(`"C.utf8"`)
)

// testTable has a field of every kind.
func testTable() *sqlbuild.Table {
	return sqlbuild.NewTable(`"t"`, &relaybase.Table{Name: "t", Fields: []relaybase.Field{
		{Name: "n", Type: relaybase.TypeInt},
		{Name: "d", Type: relaybase.TypeDecimal},
		{Name: "b", Type: relaybase.TypeBool},
		{Name: "s", Type: relaybase.TypeText},
		{Name: "j", Type: relaybase.TypeJSON},
		{Name: "tags", Type: relaybase.TypeText, Array: true},
	}})
}

// sql is what one dialect should write for a condition.
type sql struct {
	text string
	args []any
}

func cmp(field string, op relaybase.CmpOp, v any) *relaybase.Cmp {
	return &relaybase.Cmp{Field: field, Op: op, Value: v}
}

const (
	liteElements = `EXISTS (SELECT 1 FROM json_each(%s) AS a, json_each(?) AS v WHERE (a.type = v.type OR ` +
		`(a.type IN ('integer','real') AND v.type IN ('integer','real'))) AND (a.type IN ('null','true','false') OR %s))`
	pgElements  = `EXISTS (SELECT 1 FROM jsonb_array_elements(%s) AS e(v) WHERE e.v IN (SELECT jsonb_array_elements($1::text::jsonb)))`
	pgJSONArray = `CASE jsonb_typeof("j") WHEN 'array' THEN "j" WHEN 'object' THEN jsonb_path_query_array("j", '$.*') ` +
		`ELSE jsonb_build_array("j") END`
)

func fill(format string, args ...string) string {
	for _, a := range args {
		format = strings.Replace(format, "%s", a, 1)
	}
	return format
}

// Each operator, in both dialects: the SQL text and the parameters.
func TestCondSQL(t *testing.T) {
	for name, c := range map[string]struct {
		cond         relaybase.Cond
		sqlite, post sql
	}{
		"no condition": {nil, sql{"1", nil}, sql{"TRUE", nil}},
		"empty and":    {relaybase.And{}, sql{"1", nil}, sql{"TRUE", nil}},
		"empty or":     {&relaybase.Or{}, sql{"0", nil}, sql{"FALSE", nil}},
		"and": {relaybase.And{cmp("n", relaybase.OpEq, 1), cmp("s", relaybase.OpEq, "x")},
			sql{`("n" = ? AND "s" = ?)`, []any{int64(1), "x"}},
			sql{`("n" = $1::bigint AND "s" = $2::text)`, []any{int64(1), "x"}}},
		"or of and": {relaybase.Or{relaybase.And{cmp("b", relaybase.OpEq, true)}, cmp("d", relaybase.OpGt, 1.5)},
			sql{`(("b" = ?) OR "d" > ?)`, []any{int64(1), 1.5}},
			sql{`(("b" = $1::boolean) OR "d" > $2::double precision)`, []any{true, 1.5}}},
		// Not must count rows where the inner condition is null (x < 5 with x null).
		"not": {&relaybase.Not{C: cmp("n", relaybase.OpLt, 5)},
			sql{`(("n" < ?) IS NOT 1)`, []any{int64(5)}},
			sql{`(("n" < $1::bigint) IS NOT TRUE)`, []any{int64(5)}}},
		"== null": {cmp("s", relaybase.OpEq, nil), sql{`"s" IS NULL`, nil}, sql{`"s" IS NULL`, nil}},
		"!= null": {cmp("s", relaybase.OpNe, nil), sql{`"s" IS NOT NULL`, nil}, sql{`"s" IS NOT NULL`, nil}},
		// != v holds for a null field too.
		"!= value": {cmp("s", relaybase.OpNe, "x"),
			sql{`"s" IS NOT ?`, []any{"x"}}, sql{`"s" IS DISTINCT FROM $1::text`, []any{"x"}}},
		// Types compare strictly: "1" == 1 never holds, "1" != 1 always does.
		"== other type": {cmp("n", relaybase.OpEq, "1"), sql{"0", nil}, sql{"FALSE", nil}},
		"!= other type": {cmp("n", relaybase.OpNe, "1"), sql{"1", nil}, sql{"TRUE", nil}},
		"int == 2.0": {cmp("n", relaybase.OpEq, 2.0),
			sql{`"n" = ?`, []any{2.0}}, sql{`"n" = $1::bigint`, []any{int64(2)}}},
		"int == 2.5": {cmp("n", relaybase.OpEq, 2.5),
			sql{`"n" = ?`, []any{2.5}}, sql{`"n" = $1::double precision`, []any{2.5}}},
		"decimal == int": {cmp("d", relaybase.OpEq, int64(2)),
			sql{`"d" = ?`, []any{int64(2)}}, sql{`"d" = $1::double precision`, []any{2.0}}},
		"bool": {cmp("b", relaybase.OpNe, false),
			sql{`"b" IS NOT ?`, []any{int64(0)}}, sql{`"b" IS DISTINCT FROM $1::boolean`, []any{false}}},
		"json ==": {cmp("j", relaybase.OpEq, map[string]any{"a": 1}),
			sql{`"j" = ?`, []any{`{"a":1}`}}, sql{`"j" = $1::text::jsonb`, []any{`{"a":1}`}}},
		"<=":                {cmp("n", relaybase.OpLe, 3), sql{`"n" <= ?`, []any{int64(3)}}, sql{`"n" <= $1::bigint`, []any{int64(3)}}},
		"< null is false":   {cmp("n", relaybase.OpLt, nil), sql{"0", nil}, sql{"FALSE", nil}},
		"< other type":      {cmp("s", relaybase.OpGe, 1), sql{"0", nil}, sql{"FALSE", nil}},
		"json doesn't sort": {cmp("j", relaybase.OpGt, 1), sql{"0", nil}, sql{"FALSE", nil}},
		"between": {cmp("n", relaybase.OpBetween, []any{1, 9}),
			sql{`"n" BETWEEN ? AND ?`, []any{int64(1), int64(9)}},
			sql{`"n" BETWEEN $1::bigint AND $2::bigint`, []any{int64(1), int64(9)}}},
		"between null": {cmp("n", relaybase.OpBetween, []any{nil, 9}), sql{"0", nil}, sql{"FALSE", nil}},
		"in": {cmp("s", relaybase.OpIn, []any{"a", "b"}),
			sql{`"s" IN (?,?)`, []any{"a", "b"}}, sql{`"s" = ANY ($1::text[])`, []any{[]string{"a", "b"}}}},
		// null in the list matches null; values of another type match nothing.
		"in with null": {cmp("n", relaybase.OpIn, []any{1, nil, "x"}),
			sql{`("n" IN (?) OR "n" IS NULL)`, []any{int64(1)}},
			sql{`("n" = ANY ($1::bigint[]) OR "n" IS NULL)`, []any{[]int64{1}}}},
		"in only null":   {cmp("n", relaybase.OpIn, []any{nil}), sql{`"n" IS NULL`, nil}, sql{`"n" IS NULL`, nil}},
		"in empty":       {cmp("n", relaybase.OpIn, []any{}), sql{"0", nil}, sql{"FALSE", nil}},
		"in other types": {cmp("n", relaybase.OpIn, []any{"1", true}), sql{"0", nil}, sql{"FALSE", nil}},
		// A fraction equals no int: PostgreSQL drops it, SQLite compares and finds none.
		"in fraction": {cmp("n", relaybase.OpIn, []any{1.5}), sql{`"n" IN (?)`, []any{1.5}}, sql{"FALSE", nil}},
		"in json": {cmp("j", relaybase.OpIn, []any{[]any{1}}),
			sql{`"j" IN (?)`, []any{"[1]"}}, sql{`"j" = ANY ($1::text[]::jsonb[])`, []any{[]string{"[1]"}}}},
		"not in": {cmp("b", relaybase.OpNotIn, []any{true, nil}),
			sql{`((("b" IN (?) OR "b" IS NULL)) IS NOT 1)`, []any{int64(1)}},
			sql{`((("b" = ANY ($1::boolean[]) OR "b" IS NULL)) IS NOT TRUE)`, []any{[]bool{true}}}},
		"not in empty": {cmp("d", relaybase.OpNotIn, []any{}), sql{`((0) IS NOT 1)`, nil}, sql{`((FALSE) IS NOT TRUE)`, nil}},
		"includes": {cmp("s", relaybase.OpIncludes, "50%_off"),
			sql{`"s" LIKE ? ESCAPE '\'`, []any{`%50\%\_off%`}},
			sql{`("s" COLLATE "C.utf8") ILIKE $1::text`, []any{`%50\%\_off%`}}},
		"includes non-ASCII": {cmp("s", relaybase.OpIncludes, "Émile"),
			sql{`instr(relaybase_lower("s"), ?) > 0`, []any{"émile"}},
			sql{`("s" COLLATE "C.utf8") ILIKE $1::text`, []any{"%Émile%"}}},
		"includes a number": {cmp("n", relaybase.OpIncludes, 12),
			sql{`"n" LIKE ? ESCAPE '\'`, []any{"%12%"}},
			sql{`(("n")::text COLLATE "C.utf8") ILIKE $1::text`, []any{"%12%"}}},
		"includes in a text array": {cmp("tags", relaybase.OpIncludes, "Go"),
			sql{fill(liteElements, `"tags"`, "relaybase_lower(a.value) = relaybase_lower(v.value)"), []any{`["Go"]`}},
			sql{`EXISTS (SELECT 1 FROM jsonb_array_elements("tags") AS e(v) WHERE jsonb_typeof(e.v) = 'string' AND ` +
				`lower((e.v #>> '{}') COLLATE "C.utf8") = lower($1::text COLLATE "C.utf8"))`, []any{"Go"}}},
		"includes an object": {cmp("s", relaybase.OpIncludes, map[string]any{}), sql{"0", nil}, sql{"FALSE", nil}},
		// PostgreSQL's text holds no NUL: nothing includes it.
		"includes NUL": {cmp("s", relaybase.OpIncludes, "a\x00"),
			sql{`"s" LIKE ? ESCAPE '\'`, []any{"%a\x00%"}}, sql{"FALSE", nil}},
		"contains text": {cmp("s", relaybase.OpContains, "ab"),
			sql{`instr("s", ?) > 0`, []any{"ab"}}, sql{`strpos("s", $1::text) > 0`, []any{"ab"}}},
		"contains text, not text": {cmp("s", relaybase.OpContains, 1), sql{"0", nil}, sql{"FALSE", nil}},
		"contains on an int":      {cmp("n", relaybase.OpContains, 1), sql{"0", nil}, sql{"FALSE", nil}},
		"contains in an array": {cmp("tags", relaybase.OpContains, "go"),
			sql{fill(liteElements, `"tags"`, "a.value = v.value"), []any{`["go"]`}},
			sql{`"tags" @> $1::text::jsonb`, []any{`["go"]`}}},
		"contains in json": {cmp("j", relaybase.OpContains, map[string]any{"a": 1}),
			sql{fill(liteElements, `"j"`, "a.value = v.value"), []any{`[{"a":1}]`}},
			sql{fill(pgElements, pgJSONArray), []any{`[{"a":1}]`}}},
		"overlaps": {cmp("tags", relaybase.OpOverlaps, []any{"a", 1}),
			sql{fill(liteElements, `"tags"`, "a.value = v.value"), []any{`["a",1]`}},
			sql{fill(pgElements, `"tags"`), []any{`["a",1]`}}},
		"overlaps nothing":  {cmp("tags", relaybase.OpOverlaps, []any{}), sql{"0", nil}, sql{"FALSE", nil}},
		"overlaps on text":  {cmp("s", relaybase.OpOverlaps, []any{"a"}), sql{"0", nil}, sql{"FALSE", nil}},
		"overlaps with NUL": {cmp("tags", relaybase.OpOverlaps, []any{"\x00"}), sql{fill(liteElements, `"tags"`, "a.value = v.value"), []any{`["\u0000"]`}}, sql{"FALSE", nil}},
	} {
		t.Run(name, func(t *testing.T) {
			for _, d := range []struct {
				name string
				d    sqlbuild.Dialect
				want sql
			}{{"sqlite", lite, c.sqlite}, {"postgres", pg, c.post}} {
				b := sqlbuild.NewBuilder(d.d)
				if err := b.Cond(testTable(), c.cond); err != nil {
					t.Fatalf("%s: %v", d.name, err)
				}
				if b.String() != d.want.text || !reflect.DeepEqual(b.Args(), d.want.args) {
					t.Errorf("%s:\n got  %s %#v\n want %s %#v", d.name, b.String(), b.Args(), d.want.text, d.want.args)
				}
			}
		})
	}
}

// Mistakes in a condition are input errors that name the field, in both dialects.
func TestCondInputErrors(t *testing.T) {
	for name, c := range map[string]struct {
		cond relaybase.Cond
		want string
	}{
		"unknown field":       {cmp("nope", relaybase.OpEq, 1), `Table "t" has no field "nope"`},
		"unknown in a not":    {&relaybase.Not{C: relaybase.Or{cmp("nope", relaybase.OpEq, 1)}}, `no field "nope"`},
		"between one bound":   {cmp("n", relaybase.OpBetween, []any{1}), "between needs two bounds"},
		"between not a list":  {cmp("n", relaybase.OpBetween, 1), "between needs two bounds"},
		"in not a list":       {cmp("n", relaybase.OpIn, 1), "in needs an array"},
		"not in not a list":   {cmp("n", relaybase.OpNotIn, "x"), "not in needs an array"},
		"overlaps not a list": {cmp("tags", relaybase.OpOverlaps, "x"), "overlaps needs an array"},
		"unknown operator":    {cmp("n", "~~", 1), `Unknown comparison "~~"`},
	} {
		for _, d := range []sqlbuild.Dialect{lite, pg} {
			err := sqlbuild.NewBuilder(d).Cond(testTable(), c.cond)
			var e *relaybase.Error
			if !errors.As(err, &e) || e.Code != relaybase.CodeInputError || !strings.Contains(e.Message, c.want) {
				t.Errorf("%s (%s): %v, want an input error containing %q", name, d.Limits().Database, err, c.want)
			}
		}
	}
}

func isInputError(err error) bool {
	var e *relaybase.Error
	return errors.As(err, &e) && e.Code == relaybase.CodeInputError
}
