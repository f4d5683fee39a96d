package sqlite_test

import (
	"fmt"
	"path/filepath"
	"testing"

	"relaybase"
	"relaybase/store/sqlite"
	"relaybase/value"
)

func benchDB(b *testing.B) *sqlite.DB {
	b.Helper()
	db, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	msg := &relaybase.Table{Name: "message", Fields: []relaybase.Field{
		{Name: "room", Type: relaybase.TypeText},
		{Name: "user_id", Type: relaybase.TypeInt},
		{Name: "email", Type: relaybase.TypeEmail},
		{Name: "text", Type: relaybase.TypeText},
		{Name: "created_at", Type: relaybase.TypeTimestamp, Optional: true, Default: "now"},
	}, Index: []relaybase.Index{{Type: "btree|unique", Unique: true, Fields: []string{"email"}}}}
	if _, err := db.Migrate(b.Context(), []*relaybase.Table{msg}, nil); err != nil {
		b.Fatal(err)
	}
	return db
}

func benchRow(i int) *value.Object {
	return value.ObjectOf("room", "marvel_chat_room", "user_id", int64(i%100), "email", fmt.Sprintf("u%d@example.com", i),
		"text", "Hello, world! This is message number "+fmt.Sprint(i))
}

// BenchmarkInsert: one row per committed transaction (each commit is an fsync with
// synchronous=FULL), and a hundred rows per transaction (the cost of the insert itself).
func BenchmarkInsert(b *testing.B) {
	for _, perTx := range []int{1, 100} {
		b.Run(fmt.Sprintf("rows-per-tx=%d", perTx), func(b *testing.B) {
			db := benchDB(b)
			ctx := b.Context()
			i := 0
			b.ReportAllocs()
			for b.Loop() {
				tx, err := db.Begin(ctx, true)
				if err != nil {
					b.Fatal(err)
				}
				for range perTx {
					if _, err := tx.Insert(ctx, "message", benchRow(i)); err != nil {
						b.Fatal(err)
					}
					i++
				}
				if err := tx.Commit(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(i), "ns/row")
		})
	}
}

// BenchmarkGet reads one row by id and by a unique field, each in its own read transaction.
func BenchmarkGet(b *testing.B) {
	db := benchDB(b)
	ctx := b.Context()
	const rows = 10000
	tx, err := db.Begin(ctx, true)
	if err != nil {
		b.Fatal(err)
	}
	for i := range rows {
		if _, err := tx.Insert(ctx, "message", benchRow(i)); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	get := func(b *testing.B, i int, field string) {
		tx, err := db.Begin(ctx, false)
		if err != nil {
			b.Fatal(err)
		}
		var v any = int64(i%rows + 1)
		if field == "email" {
			v = fmt.Sprintf("u%d@example.com", i%rows)
		}
		row, err := tx.Get(ctx, "message", field, v)
		if err != nil || row == nil {
			b.Fatalf("Get %s=%v: %v, %v", field, v, row, err)
		}
		tx.Rollback()
	}
	for _, field := range []string{"id", "email"} {
		b.Run("by="+field, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				get(b, i, field)
				i++
			}
		})
	}
	b.Run("by=id/parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				get(b, i*7919, "id")
				i++
			}
		})
	})
}

// BenchmarkSetRealtimeCursors is one write-behind flush of the current realtime's acks: 500
// clients' cursors in one stream, in one transaction (what a 500-member channel acking
// every 100 ms writes ten times a second).
func BenchmarkSetRealtimeCursors(b *testing.B) {
	db := benchDB(b)
	ctx := b.Context()
	tx, err := db.Begin(ctx, true)
	if err != nil {
		b.Fatal(err)
	}
	for range 1000 {
		if _, _, err := tx.AppendHistory(ctx, &relaybase.HistoryEntry{Channel: "stream", Frame: []byte(`{}`)}, 0); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	cursors := map[string]int64{}
	n := int64(0)
	b.ReportAllocs()
	for b.Loop() {
		n = n%1000 + 1
		for c := range 500 {
			cursors[fmt.Sprintf("c:client-%d", c)] = n
		}
		if err := db.SetRealtimeCursors(ctx, "stream", cursors); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*500), "ns/cursor")
}
