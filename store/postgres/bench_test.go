//go:build integration

package postgres_test

import (
	"context"
	"testing"

	"relaybase"
	"relaybase/store/postgres"
	"relaybase/value"
)

// BenchmarkPostAndAppend is the endpoint path of the chat example: one write Tx that
// inserts a message and appends its frame to the channel's history.
func BenchmarkPostAndAppend(b *testing.B) {
	ctx := context.Background()
	db, err := postgres.Open(ctx, freshSchema(b))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	msg := &relaybase.Table{Name: "message", Fields: []relaybase.Field{
		{Name: "room", Type: relaybase.TypeText}, {Name: "text", Type: relaybase.TypeText},
		{Name: "created_at", Type: relaybase.TypeTimestamp, Optional: true, Default: "now"}}}
	if _, err := db.Migrate(ctx, []*relaybase.Table{msg}, nil); err != nil {
		b.Fatal(err)
	}
	frame := []byte(`{"action":"event","payload":{"data":{"text":"hello"}}}`)
	b.ReportAllocs()
	for b.Loop() {
		tx, err := db.Begin(ctx, true)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := tx.Insert(ctx, "message", value.ObjectOf("room", "r", "text", "hello")); err != nil {
			b.Fatal(err)
		}
		if _, _, err := tx.AppendHistory(ctx, &relaybase.HistoryEntry{Channel: "room", Frame: frame}, 100); err != nil {
			b.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGet reads one row by id in a read Tx.
func BenchmarkGet(b *testing.B) {
	ctx := context.Background()
	db, err := postgres.Open(ctx, freshSchema(b))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	user := &relaybase.Table{Name: "user", Fields: []relaybase.Field{{Name: "name", Type: relaybase.TypeText}}}
	if _, err := db.Migrate(ctx, []*relaybase.Table{user}, nil); err != nil {
		b.Fatal(err)
	}
	tx, err := db.Begin(ctx, true)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := tx.Insert(ctx, "user", value.ObjectOf("name", "ann")); err != nil {
		b.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		tx, err := db.Begin(ctx, false)
		if err != nil {
			b.Fatal(err)
		}
		if row, err := tx.Get(ctx, "user", "id", int64(1)); err != nil || row == nil {
			b.Fatal(row, err)
		}
		tx.Rollback()
	}
}
