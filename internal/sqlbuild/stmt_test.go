package sqlbuild_test

import (
	"reflect"
	"testing"
	"time"

	"relaybase"
	"relaybase/internal/sqlbuild"
	"relaybase/value"
)

const cols = `"id","n","d","b","s","j","tags"`

func TestQuerySQL(t *testing.T) {
	q := &relaybase.Query{Table: "t", Where: cmp("n", relaybase.OpGt, 1),
		Sort: []relaybase.SortKey{{Field: "s"}, {Field: "d", Desc: true}}, Limit: 10, Offset: 20}
	for _, c := range []struct {
		d            sqlbuild.Dialect
		rows, count  string
		rowArgs      []any
		countArgsLen int
	}{
		{lite, `SELECT ` + cols + ` FROM "t" WHERE "n" > ? ORDER BY "s","d" DESC,"id" LIMIT ? OFFSET ?`,
			`SELECT count(*) FROM "t" WHERE "n" > ?`, []any{int64(1), int64(10), int64(20)}, 1},
		{pg, `SELECT ` + cols + ` FROM "t" WHERE "n" > $1::bigint ORDER BY "s" ASC NULLS FIRST,"d" DESC NULLS LAST,"id" LIMIT $2::bigint OFFSET $3::bigint`,
			`SELECT count(*) FROM "t" WHERE "n" > $1::bigint`, []any{int64(1), int64(10), int64(20)}, 1},
	} {
		rows, count, err := sqlbuild.Query(c.d, testTable(), q)
		if err != nil {
			t.Fatal(err)
		}
		if rows.SQL != c.rows || !reflect.DeepEqual(rows.Args, c.rowArgs) {
			t.Errorf("%s rows:\n got  %s %v\n want %s %v", c.d.Limits().Database, rows.SQL, rows.Args, c.rows, c.rowArgs)
		}
		if count.SQL != c.count || len(count.Args) != c.countArgsLen {
			t.Errorf("%s count: %s %v, want %s", c.d.Limits().Database, count.SQL, count.Args, c.count)
		}
	}
}

func TestQueryPaging(t *testing.T) {
	for name, c := range map[string]struct {
		q          relaybase.Query
		sqlite, pg string
		args       map[string][]any
	}{
		"all, by id": {relaybase.Query{}, `WHERE 1 ORDER BY "id"`, `WHERE TRUE ORDER BY "id"`, nil},
		// A sort by id ends the order: id is unique.
		"by id, desc": {relaybase.Query{Sort: []relaybase.SortKey{{Field: "id", Desc: true}, {Field: "n"}}},
			`WHERE 1 ORDER BY "id" DESC`, `WHERE TRUE ORDER BY "id" DESC NULLS LAST`, nil},
		"offset without limit": {relaybase.Query{Offset: 5},
			`WHERE 1 ORDER BY "id" LIMIT ? OFFSET ?`, `WHERE TRUE ORDER BY "id" LIMIT $1::bigint OFFSET $2::bigint`,
			map[string][]any{"SQLite": {int64(-1), int64(5)}, "PostgreSQL": {nil, int64(5)}}},
		"negative offset": {relaybase.Query{Limit: 3, Offset: -2},
			`WHERE 1 ORDER BY "id" LIMIT ? OFFSET ?`, `WHERE TRUE ORDER BY "id" LIMIT $1::bigint OFFSET $2::bigint`,
			map[string][]any{"SQLite": {int64(3), int64(0)}, "PostgreSQL": {int64(3), int64(0)}}},
	} {
		for d, want := range map[sqlbuild.Dialect]string{lite: c.sqlite, pg: c.pg} {
			q := c.q
			q.Table = "t"
			rows, _, err := sqlbuild.Query(d, testTable(), &q)
			if err != nil {
				t.Fatal(err)
			}
			db := d.Limits().Database
			got := rows.SQL[len(`SELECT `+cols+` FROM "t" `):]
			if got != want || !reflect.DeepEqual(rows.Args, c.args[db]) {
				t.Errorf("%s, %s: %s %#v, want %s %#v", name, db, got, rows.Args, want, c.args[db])
			}
		}
	}
	if _, _, err := sqlbuild.Query(pg, testTable(), &relaybase.Query{Sort: []relaybase.SortKey{{Field: "x"}}}); !isInputError(err) {
		t.Errorf("sort by an unknown field: %v, want an input error", err)
	}
}

func TestGetDeleteSQL(t *testing.T) {
	g, err := sqlbuild.Get(pg, testTable(), "s", "a")
	if err != nil {
		t.Fatal(err)
	}
	if want := `SELECT ` + cols + ` FROM "t" WHERE "s" = $1::text ORDER BY "id" LIMIT 1`; g.SQL != want || !reflect.DeepEqual(g.Args, []any{"a"}) {
		t.Errorf("Get: %s %v, want %s", g.SQL, g.Args, want)
	}
	d, err := sqlbuild.Delete(lite, testTable(), "n", nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := `DELETE FROM "t" WHERE "n" IS NULL`; d.SQL != want || len(d.Args) != 0 {
		t.Errorf("Delete: %s %v, want %s", d.SQL, d.Args, want)
	}
	if _, err := sqlbuild.Get(lite, testTable(), "x", 1); !isInputError(err) {
		t.Errorf("Get by an unknown field: %v", err)
	}
}

func defaultsTable() *sqlbuild.Table {
	return sqlbuild.NewTable(`"u"`, &relaybase.Table{Name: "u", Fields: []relaybase.Field{
		{Name: "name", Type: relaybase.TypeText},
		{Name: "at", Type: relaybase.TypeTimestamp, Default: "now"},
		{Name: "ok", Type: relaybase.TypeBool, Default: true},
		{Name: "note", Type: relaybase.TypeText, Optional: true},
		{Name: "tags", Type: relaybase.TypeText, Array: true, Nullable: true},
	}})
}

func TestInsertSQL(t *testing.T) {
	now := func() time.Time { return time.UnixMilli(1700000000000) }
	row := value.ObjectOf("name", "Ann", "tags", []any{"x"})
	for _, c := range []struct {
		d      sqlbuild.Dialect
		sql    string
		args   []any
		stored []any
	}{
		{lite, `INSERT INTO "u" ("name","at","ok","note","tags") VALUES (?,?,?,?,?)`,
			[]any{"Ann", int64(1700000000000), int64(1), nil, `["x"]`}, []any{nil, "Ann", int64(1700000000000), int64(1), nil, `["x"]`}},
		{pg, `INSERT INTO "u" ("name","at","ok","note","tags") VALUES ($1::text,$2::bigint,$3::boolean,$4::text,$5::text::jsonb)`,
			[]any{"Ann", int64(1700000000000), true, nil, `["x"]`}, []any{nil, "Ann", int64(1700000000000), true, nil, `["x"]`}},
	} {
		st, err := sqlbuild.Insert(c.d, defaultsTable(), row, now)
		if err != nil {
			t.Fatal(err)
		}
		if st.SQL != c.sql || !reflect.DeepEqual(st.Args, c.args) || !reflect.DeepEqual(st.Stored, c.stored) {
			t.Errorf("%s:\n got  %s %#v %#v\n want %s %#v %#v", c.d.Limits().Database, st.SQL, st.Args, st.Stored, c.sql, c.args, c.stored)
		}
	}
	// An id given is inserted; a table of defaults only needs no column list.
	st, err := sqlbuild.Insert(pg, sqlbuild.NewTable(`"e"`, &relaybase.Table{Name: "e"}), value.ObjectOf("id", 7), now)
	if err != nil || st.SQL != `INSERT INTO "e" ("id") VALUES ($1::bigint)` || st.Stored[0] != int64(7) {
		t.Errorf("explicit id: %+v %v", st, err)
	}
	st, err = sqlbuild.Insert(lite, sqlbuild.NewTable(`"e"`, &relaybase.Table{Name: "e"}), value.ObjectOf("id", nil), now)
	if err != nil || st.SQL != `INSERT INTO "e" DEFAULT VALUES` || len(st.Args) != 0 {
		t.Errorf("defaults only: %+v %v", st, err)
	}
	for name, row := range map[string]*value.Object{
		"missing required": value.ObjectOf("at", 1),
		"unknown field":    value.ObjectOf("name", "a", "age", 3),
		"wrong type":       value.ObjectOf("name", 3),
	} {
		if _, err := sqlbuild.Insert(lite, defaultsTable(), row, now); !isInputError(err) {
			t.Errorf("%s: %v, want an input error", name, err)
		}
	}
}

func TestUpdateSQL(t *testing.T) {
	up, err := sqlbuild.Update(pg, defaultsTable(), "name", "Ann", value.ObjectOf("id", 9, "ok", false, "note", nil))
	if err != nil {
		t.Fatal(err)
	}
	if up.Set != `"ok" = $1::boolean,"note" = $2::text` || up.Where != `"name" = $3::text` || !reflect.DeepEqual(up.Args, []any{false, nil, "Ann"}) {
		t.Errorf("postgres: %+v", up)
	}
	up, err = sqlbuild.Update(lite, defaultsTable(), "id", 1, value.ObjectOf("ok", true))
	if err != nil || up.Set != `"ok" = ?` || up.Where != `"id" = ?` || !reflect.DeepEqual(up.Args, []any{int64(1), int64(1)}) {
		t.Errorf("sqlite: %+v %v", up, err)
	}
	// Changing only id changes nothing.
	if up, err := sqlbuild.Update(lite, defaultsTable(), "id", 1, value.ObjectOf("id", 2)); up != nil || err != nil {
		t.Errorf("only id: %+v %v, want nothing to set", up, err)
	}
	if _, err := sqlbuild.Update(lite, defaultsTable(), "id", 1, value.ObjectOf("age", 2)); !isInputError(err) {
		t.Errorf("unknown field: %v", err)
	}
	if _, err := sqlbuild.Update(pg, defaultsTable(), "id", 1, value.ObjectOf("name", "a\x00")); !isInputError(err) {
		t.Errorf("text PostgreSQL can't hold: %v", err)
	}
}
