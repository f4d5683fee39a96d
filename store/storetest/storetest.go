package storetest

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"

	"relaybase"
	"relaybase/value"
)

// Opener opens the Store under test for t. The first call for a given t returns a Store on
// a new, empty database; later calls with the same t open that same database again (the
// suite closes the previous Store first, to test what survives a restart). The opener
// closes what it opened when t ends (t.Cleanup); closing twice must be harmless.
type Opener func(t *testing.T) relaybase.Store

// Run runs the whole suite, each case as a subtest with a database of its own.
func Run(t *testing.T, open Opener) {
	groups := []struct {
		name  string
		cases map[string]func(*testing.T, Opener)
	}{
		{"Migrate", migrateCases},
		{"CRUD", crudCases},
		{"Types", typeCases},
		{"Query", queryCases},
		{"Tx", txCases},
		{"Injection", injectionCases},
		{"History", historyCases},
		{"Cursors", cursorCases},
		{"Meta", metaCases},
		{"Concurrency", concurrencyCases},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) { runCases(t, open, g.cases) })
	}
}

// runCases runs each case as a subtest, in the order of their names (a map alone would
// run them in a different order each time, and a list beside it can miss one).
func runCases(t *testing.T, open Opener, cases map[string]func(*testing.T, Opener)) {
	names := make([]string, 0, len(cases))
	for name := range cases {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) { cases[name](t, open) })
	}
}

// --- helpers shared by the cases ---

func ctx(t *testing.T) context.Context { return t.Context() }

// migrate runs Migrate and fails the test on an error.
func migrate(t *testing.T, s relaybase.Store, tables []*relaybase.Table, fixed map[string]int64) []string {
	t.Helper()
	notes, err := s.Migrate(ctx(t), tables, fixed)
	if err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return notes
}

// write runs fn in a write transaction and commits it.
func write(t *testing.T, s relaybase.Store, fn func(tx relaybase.Tx)) {
	t.Helper()
	tx, err := s.Begin(ctx(t), true)
	if err != nil {
		t.Fatalf("Begin(write): %v", err)
	}
	defer tx.Rollback()
	fn(tx)
	if err := tx.Commit(); err != nil {
		t.Fatalf("Commit: %v", err)
	}
}

// read runs fn in a read transaction.
func read(t *testing.T, s relaybase.Store, fn func(tx relaybase.Tx)) {
	t.Helper()
	tx, err := s.Begin(ctx(t), false)
	if err != nil {
		t.Fatalf("Begin(read): %v", err)
	}
	defer tx.Rollback()
	fn(tx)
	if err := tx.Commit(); err != nil {
		t.Fatalf("Commit (read): %v", err)
	}
}

func insert(t *testing.T, tx relaybase.Tx, table string, kv ...any) *value.Object {
	t.Helper()
	row, err := tx.Insert(ctx(t), table, value.ObjectOf(kv...))
	if err != nil {
		t.Fatalf("Insert(%s, %v): %v", table, kv, err)
	}
	return row
}

func get(t *testing.T, tx relaybase.Tx, table, field string, v any) *value.Object {
	t.Helper()
	row, err := tx.Get(ctx(t), table, field, v)
	if err != nil {
		t.Fatalf("Get(%s, %s=%v): %v", table, field, v, err)
	}
	return row
}

func count(t *testing.T, s relaybase.Store, table string) int64 {
	t.Helper()
	var n int64
	read(t, s, func(tx relaybase.Tx) {
		res, err := tx.Query(ctx(t), &relaybase.Query{Table: table, Total: true, Limit: 1})
		if err != nil {
			t.Fatalf("Query(%s): %v", table, err)
		}
		n = res.Total
	})
	return n
}

// reopen closes s and opens the same database again.
func reopen(t *testing.T, s relaybase.Store, open Opener) relaybase.Store {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return open(t)
}

// rowIs checks that got has exactly the members of want, in want's order.
func rowIs(t *testing.T, got *value.Object, want *value.Object) {
	t.Helper()
	if got == nil {
		t.Fatalf("row is nil, want %s", show(want))
	}
	if strings.Join(got.Keys(), ",") != strings.Join(want.Keys(), ",") {
		t.Fatalf("row keys %v, want %v (row %s)", got.Keys(), want.Keys(), show(got))
	}
	for _, k := range want.Keys() {
		g, _ := got.Get(k)
		w, _ := want.Get(k)
		if !sameValue(g, w) {
			t.Fatalf("row field %q = %s (%T), want %s (%T); row %s", k, show(g), g, show(w), w, show(got))
		}
	}
}

// sameValue is value.Equal plus same Go type for numbers (an int field gives int64, a
// decimal field float64), recursively.
func sameValue(a, b any) bool {
	switch x := a.(type) {
	case int64:
		_, ok := b.(int64)
		return ok && value.Equal(a, b)
	case float64:
		_, ok := b.(float64)
		return ok && value.Equal(a, b)
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameValue(x[i], y[i]) {
				return false
			}
		}
		return true
	case *value.Object:
		y, ok := b.(*value.Object)
		if !ok || x.Len() != y.Len() {
			return false
		}
		for _, k := range x.Keys() {
			xv, _ := x.Get(k)
			yv, ok := y.Get(k)
			if !ok || !sameValue(xv, yv) {
				return false
			}
		}
		return true
	}
	return value.Equal(a, b)
}

func show(v any) string {
	b, err := value.EncodeJSON(v)
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	return string(b)
}

// isInputError reports whether err is an input error for the client (the runtime passes it on).
func isInputError(err error) bool {
	var e *relaybase.Error
	return errors.As(err, &e) && e.Code == relaybase.CodeInputError
}

func hasNote(notes []string, words ...string) bool {
	for _, n := range notes {
		all := true
		for _, w := range words {
			if !strings.Contains(n, w) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

func ids(rows []*value.Object) []int64 {
	out := []int64{}
	for _, r := range rows {
		id, _ := r.Get("id")
		n, _ := id.(int64)
		out = append(out, n)
	}
	return out
}

func sameIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
