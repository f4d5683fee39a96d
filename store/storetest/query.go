package storetest

import (
	"testing"

	"relaybase"
	"relaybase/value"
)

func fruitTable() *relaybase.Table {
	return simple("fruit",
		field("name", relaybase.TypeText), field("qty", relaybase.TypeInt), field("price", relaybase.TypeDecimal),
		field("ripe", relaybase.TypeBool), arrayField("tags", relaybase.TypeText), field("meta", relaybase.TypeJSON),
		relaybase.Field{Name: "kind", Type: relaybase.TypeEnum, Values: []string{"a", "b", "c"}},
		arrayField("nums", relaybase.TypeInt))
}

// fruits are rows 1..5; row 3 is null everywhere but its name.
func fruits(t *testing.T, s relaybase.Store) {
	t.Helper()
	migrate(t, s, []*relaybase.Table{fruitTable()}, nil)
	write(t, s, func(tx relaybase.Tx) {
		insert(t, tx, "fruit", "name", "apple", "qty", int64(5), "price", 1.5, "ripe", true,
			"tags", []any{"red", "fruit"}, "meta", value.ObjectOf("a", int64(1)), "kind", "a", "nums", []any{int64(1), int64(2)})
		insert(t, tx, "fruit", "name", "Banana", "qty", int64(10), "price", 0.25, "ripe", false,
			"tags", []any{"yellow", "fruit"}, "meta", []any{int64(1), int64(2)}, "kind", "b", "nums", []any{int64(3)})
		insert(t, tx, "fruit", "name", "cherry 100%")
		insert(t, tx, "fruit", "name", "date_fruit", "qty", int64(0), "price", 10.0, "ripe", true,
			"tags", []any{}, "meta", "x", "kind", "c", "nums", []any{})
		insert(t, tx, "fruit", "name", "", "qty", int64(-3), "price", -1.0, "ripe", false,
			"tags", []any{"Red"}, "meta", nil, "kind", "a", "nums", []any{int64(2), int64(5)})
	})
}

func cmp(f string, op relaybase.CmpOp, v any) *relaybase.Cmp {
	return &relaybase.Cmp{Field: f, Op: op, Value: v}
}

var queryCases = map[string]func(*testing.T, Opener){
	"MatchesXanoScript": queryProperty,

	"EveryCondition": func(t *testing.T, open Opener) {
		s := open(t)
		fruits(t, s)
		all := []int64{1, 2, 3, 4, 5}
		cases := []struct {
			name  string
			where relaybase.Cond
			want  []int64
		}{
			{"no condition", nil, all},
			{"eq int", cmp("qty", relaybase.OpEq, int64(5)), []int64{1}},
			{"eq int as decimal", cmp("qty", relaybase.OpEq, 5.0), []int64{1}},
			{"eq int as text is type-strict", cmp("qty", relaybase.OpEq, "5"), []int64{}},
			{"eq null", cmp("qty", relaybase.OpEq, nil), []int64{3}},
			{"ne value counts nulls", cmp("qty", relaybase.OpNe, int64(5)), []int64{2, 3, 4, 5}},
			{"ne null", cmp("qty", relaybase.OpNe, nil), []int64{1, 2, 4, 5}},
			{"ne other type", cmp("qty", relaybase.OpNe, "5"), all},
			{"lt", cmp("qty", relaybase.OpLt, int64(5)), []int64{4, 5}},
			{"le", cmp("qty", relaybase.OpLe, int64(5)), []int64{1, 4, 5}},
			{"gt", cmp("qty", relaybase.OpGt, int64(0)), []int64{1, 2}},
			{"ge", cmp("qty", relaybase.OpGe, int64(0)), []int64{1, 2, 4}},
			{"ge decimal bound", cmp("qty", relaybase.OpGe, 4.5), []int64{1, 2}},
			{"lt null is false", cmp("qty", relaybase.OpLt, nil), []int64{}},
			{"lt other type is false", cmp("qty", relaybase.OpLt, "z"), []int64{}},
			{"not lt keeps nulls", &relaybase.Not{C: cmp("qty", relaybase.OpLt, int64(5))}, []int64{1, 2, 3}},
			{"lt decimal", cmp("price", relaybase.OpLt, 1.0), []int64{2, 5}},
			{"lt text", cmp("name", relaybase.OpLt, "b"), []int64{1, 2, 5}},
			{"ge text", cmp("name", relaybase.OpGe, "c"), []int64{3, 4}},
			{"in", cmp("qty", relaybase.OpIn, []any{int64(5), int64(10)}), []int64{1, 2}},
			{"in with null", cmp("qty", relaybase.OpIn, []any{int64(5), nil}), []int64{1, 3}},
			{"in empty", cmp("qty", relaybase.OpIn, []any{}), []int64{}},
			{"in other types", cmp("qty", relaybase.OpIn, []any{"5", true}), []int64{}},
			{"not in", cmp("qty", relaybase.OpNotIn, []any{int64(5), int64(10)}), []int64{3, 4, 5}},
			{"not in with null", cmp("qty", relaybase.OpNotIn, []any{int64(5), nil}), []int64{2, 4, 5}},
			{"not in empty", cmp("qty", relaybase.OpNotIn, []any{}), all},
			{"between", cmp("qty", relaybase.OpBetween, []any{int64(0), int64(5)}), []int64{1, 4}},
			{"between decimals", cmp("price", relaybase.OpBetween, []any{0.25, 1.5}), []int64{1, 2}},
			{"between null bound", cmp("qty", relaybase.OpBetween, []any{nil, int64(5)}), []int64{}},
			{"includes folds case", cmp("name", relaybase.OpIncludes, "AN"), []int64{2}},
			{"includes percent is literal", cmp("name", relaybase.OpIncludes, "%"), []int64{3}},
			{"includes underscore is literal", cmp("name", relaybase.OpIncludes, "_"), []int64{4}},
			{"includes backslash", cmp("name", relaybase.OpIncludes, `\`), []int64{}},
			{"includes empty", cmp("name", relaybase.OpIncludes, ""), all},
			{"includes number as text", cmp("name", relaybase.OpIncludes, int64(100)), []int64{3}},
			{"not includes", &relaybase.Not{C: cmp("name", relaybase.OpIncludes, "a")}, []int64{3, 5}},
			{"contains", cmp("tags", relaybase.OpContains, "red"), []int64{1}},
			{"contains is exact", cmp("tags", relaybase.OpContains, "Red"), []int64{5}},
			{"contains shared", cmp("tags", relaybase.OpContains, "fruit"), []int64{1, 2}},
			{"contains int", cmp("nums", relaybase.OpContains, int64(2)), []int64{1, 5}},
			{"contains int as decimal", cmp("nums", relaybase.OpContains, 2.0), []int64{1, 5}},
			{"contains int as text", cmp("nums", relaybase.OpContains, "2"), []int64{}},
			{"not contains", &relaybase.Not{C: cmp("tags", relaybase.OpContains, "fruit")}, []int64{3, 4, 5}},
			{"contains on text is a substring", cmp("name", relaybase.OpContains, "rr"), []int64{3}},
			{"overlaps", cmp("tags", relaybase.OpOverlaps, []any{"red", "yellow"}), []int64{1, 2}},
			{"overlaps none", cmp("tags", relaybase.OpOverlaps, []any{"blue"}), []int64{}},
			{"overlaps empty", cmp("tags", relaybase.OpOverlaps, []any{}), []int64{}},
			{"overlaps ints", cmp("nums", relaybase.OpOverlaps, []any{int64(5), int64(3)}), []int64{2, 5}},
			{"eq bool", cmp("ripe", relaybase.OpEq, true), []int64{1, 4}},
			{"eq false is not null", cmp("ripe", relaybase.OpEq, false), []int64{2, 5}},
			{"ne bool", cmp("ripe", relaybase.OpNe, true), []int64{2, 3, 5}},
			{"eq bool as int", cmp("ripe", relaybase.OpEq, int64(1)), []int64{}},
			{"eq enum", cmp("kind", relaybase.OpEq, "a"), []int64{1, 5}},
			{"eq json object", cmp("meta", relaybase.OpEq, value.ObjectOf("a", int64(1))), []int64{1}},
			{"eq json text", cmp("meta", relaybase.OpEq, "x"), []int64{4}},
			{"eq json null", cmp("meta", relaybase.OpEq, nil), []int64{3, 5}},
			{"eq array", cmp("tags", relaybase.OpEq, []any{"Red"}), []int64{5}},
			{"eq id", cmp("id", relaybase.OpEq, int64(4)), []int64{4}},
			{"eq empty text", cmp("name", relaybase.OpEq, ""), []int64{5}},
			{"and", relaybase.And{cmp("ripe", relaybase.OpEq, true), cmp("qty", relaybase.OpGt, int64(1))}, []int64{1}},
			{"or", relaybase.Or{cmp("qty", relaybase.OpEq, int64(10)), cmp("kind", relaybase.OpEq, "c")}, []int64{2, 4}},
			{"empty and holds", relaybase.And{}, all},
			{"empty or fails", relaybase.Or{}, []int64{}},
			{"not empty or", &relaybase.Not{C: relaybase.Or{}}, all},
			{"not not", &relaybase.Not{C: &relaybase.Not{C: cmp("qty", relaybase.OpEq, nil)}}, []int64{3}},
			{"not and with null", &relaybase.Not{C: relaybase.And{cmp("qty", relaybase.OpGt, int64(1)), cmp("price", relaybase.OpLt, 5.0)}}, []int64{3, 4, 5}},
			{"or of not", relaybase.Or{&relaybase.Not{C: cmp("qty", relaybase.OpGe, int64(0))}, cmp("kind", relaybase.OpEq, "b")}, []int64{2, 3, 5}},
			{"nested", relaybase.And{relaybase.Or{cmp("kind", relaybase.OpEq, "a"), cmp("kind", relaybase.OpEq, "b")},
				&relaybase.Not{C: cmp("name", relaybase.OpEq, "")}}, []int64{1, 2}},
		}
		read(t, s, func(tx relaybase.Tx) {
			for _, c := range cases {
				res, err := tx.Query(ctx(t), &relaybase.Query{Table: "fruit", Where: c.where, Total: true})
				if err != nil {
					t.Errorf("%s: %v", c.name, err)
					continue
				}
				if got := ids(res.Rows); !sameIDs(got, c.want) || res.Total != int64(len(c.want)) {
					t.Errorf("%s: rows %v (total %d), want %v", c.name, got, res.Total, c.want)
				}
			}
		})
	},

	"IncludesFoldsUnicode": func(t *testing.T, open Opener) {
		s := open(t)
		migrate(t, s, []*relaybase.Table{simple("dish", field("name", relaybase.TypeText))}, nil)
		write(t, s, func(tx relaybase.Tx) {
			for _, n := range []string{"Crème Brûlée", "CRÈME fraîche", "creme", "Ärger", "straße", "ΣΊΣΥΦΟΣ"} {
				insert(t, tx, "dish", "name", n)
			}
		})
		read(t, s, func(tx relaybase.Tx) {
			for needle, want := range map[string][]int64{
				"crème":   {1, 2},
				"BRÛLÉE":  {1},
				"creme":   {3},
				"äR":      {4},
				"STRASSE": {}, // folding maps letters, it doesn't expand ß
				"σίσυφ":   {6},
				"e f":     {2},
				"E FR":    {2},
				"E  FR":   {},
				"ÈME FR":  {2},
			} {
				res, err := tx.Query(ctx(t), &relaybase.Query{Table: "dish", Where: cmp("name", relaybase.OpIncludes, needle)})
				if err != nil {
					t.Fatal(err)
				}
				if got := ids(res.Rows); !sameIDs(got, want) {
					t.Errorf("includes %q: %v, want %v", needle, got, want)
				}
			}
		})
		// In a text array, includes is an element equal to the text, with the same folding.
		migrate(t, s, []*relaybase.Table{simple("dish", field("name", relaybase.TypeText)),
			simple("menu", arrayField("dishes", relaybase.TypeText))}, nil)
		write(t, s, func(tx relaybase.Tx) {
			insert(t, tx, "menu", "dishes", []any{"Crème", "Ärger"})
			insert(t, tx, "menu", "dishes", []any{"crème brûlée"})
		})
		read(t, s, func(tx relaybase.Tx) {
			for needle, want := range map[string][]int64{"CRÈME": {1}, "ärger": {1}, "CRÈME BRÛLÉE": {2}, "crème b": {}} {
				res, err := tx.Query(ctx(t), &relaybase.Query{Table: "menu", Where: cmp("dishes", relaybase.OpIncludes, needle)})
				if err != nil {
					t.Fatal(err)
				}
				if got := ids(res.Rows); !sameIDs(got, want) {
					t.Errorf("array includes %q: %v, want %v", needle, got, want)
				}
			}
		})
	},

	"BadConditions": func(t *testing.T, open Opener) {
		s := open(t)
		fruits(t, s)
		read(t, s, func(tx relaybase.Tx) {
			for name, q := range map[string]*relaybase.Query{
				"unknown field":        {Table: "fruit", Where: cmp("nope", relaybase.OpEq, int64(1))},
				"unknown sort field":   {Table: "fruit", Sort: []relaybase.SortKey{{Field: "nope"}}},
				"in without an array":  {Table: "fruit", Where: cmp("qty", relaybase.OpIn, int64(1))},
				"between one bound":    {Table: "fruit", Where: cmp("qty", relaybase.OpBetween, []any{int64(1)})},
				"unknown operator":     {Table: "fruit", Where: cmp("qty", "~~", int64(1))},
				"nested unknown field": {Table: "fruit", Where: relaybase.And{&relaybase.Not{C: cmp("nope", relaybase.OpEq, int64(1))}}},
			} {
				if _, err := tx.Query(ctx(t), q); !isInputError(err) {
					t.Errorf("%s: err %v, want an input error", name, err)
				}
			}
		})
	},

	"SortPagingTotals": func(t *testing.T, open Opener) {
		s := open(t)
		fruits(t, s)
		cases := []struct {
			name string
			q    relaybase.Query
			want []int64
			tot  int64
		}{
			{"default order is id", relaybase.Query{}, []int64{1, 2, 3, 4, 5}, 0},
			// The contract pins down: nulls sort first ascending, last descending.
			{"asc, nulls first", relaybase.Query{Sort: []relaybase.SortKey{{Field: "qty"}}}, []int64{3, 5, 4, 1, 2}, 0},
			{"desc, nulls last", relaybase.Query{Sort: []relaybase.SortKey{{Field: "qty", Desc: true}}}, []int64{2, 1, 4, 5, 3}, 0},
			{"ties broken by id", relaybase.Query{Sort: []relaybase.SortKey{{Field: "kind"}}}, []int64{3, 1, 5, 2, 4}, 0},
			{"two keys", relaybase.Query{Sort: []relaybase.SortKey{{Field: "ripe", Desc: true}, {Field: "price"}}}, []int64{1, 4, 5, 2, 3}, 0},
			{"id desc", relaybase.Query{Sort: []relaybase.SortKey{{Field: "id", Desc: true}}}, []int64{5, 4, 3, 2, 1}, 0},
			{"text sort is binary", relaybase.Query{Sort: []relaybase.SortKey{{Field: "name"}}}, []int64{5, 2, 1, 3, 4}, 0},
			{"limit", relaybase.Query{Limit: 2, Total: true}, []int64{1, 2}, 5},
			{"limit offset", relaybase.Query{Limit: 2, Offset: 2, Total: true}, []int64{3, 4}, 5},
			{"last page", relaybase.Query{Limit: 2, Offset: 4, Total: true}, []int64{5}, 5},
			{"past the end", relaybase.Query{Limit: 2, Offset: 10, Total: true}, []int64{}, 5},
			{"offset without limit", relaybase.Query{Offset: 3}, []int64{4, 5}, 0},
			{"where, sort, page, total", relaybase.Query{Where: cmp("qty", relaybase.OpNe, nil),
				Sort: []relaybase.SortKey{{Field: "price", Desc: true}}, Limit: 2, Offset: 1, Total: true}, []int64{1, 2}, 4},
		}
		read(t, s, func(tx relaybase.Tx) {
			for _, c := range cases {
				q := c.q
				q.Table = "fruit"
				res, err := tx.Query(ctx(t), &q)
				if err != nil {
					t.Errorf("%s: %v", c.name, err)
					continue
				}
				if got := ids(res.Rows); !sameIDs(got, c.want) || res.Total != c.tot {
					t.Errorf("%s: rows %v total %d, want %v total %d", c.name, got, res.Total, c.want, c.tot)
				}
			}
			res, err := tx.Query(ctx(t), &relaybase.Query{Table: "fruit", Where: cmp("id", relaybase.OpEq, int64(1))})
			if err != nil {
				t.Fatal(err)
			}
			rowIs(t, res.Rows[0], get(t, tx, "fruit", "id", int64(1)))
		})
	},
}
