package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"

	"relaybase"
)

// RealtimeCursor reads an at-least-once client's cursor in a stream.
func (db *DB) RealtimeCursor(ctx context.Context, stream, client string) (int64, bool, error) {
	tx, err := db.begin(ctx, false)
	if err != nil {
		return 0, false, err
	}
	defer tx.Rollback()
	var cursor int64
	err = tx.c.queryRow(ctx, "SELECT cursor FROM _relaybase_cursors WHERE stream = ? AND client = ?", stream, client).Scan(&cursor)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, db.fail("read cursor", err)
	}
	return cursor, true, nil
}

// SetRealtimeCursor moves a client's cursor forward to id, in a transaction of its own.
func (db *DB) SetRealtimeCursor(ctx context.Context, stream, client string, id int64) (int64, error) {
	tx, err := db.begin(ctx, true)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	var next int64
	err = tx.c.queryRow(ctx, "SELECT next_offset FROM _relaybase_channels WHERE channel = ?", stream).Scan(&next)
	if errors.Is(err, sql.ErrNoRows) {
		next = 1
	} else if err != nil {
		return 0, db.fail("write cursor", err)
	}
	if id < 0 || id > next-1 {
		return 0, fmt.Errorf("write cursor: id %d: %w", id, relaybase.ErrNotFound)
	}
	var cursor int64
	err = tx.c.queryRow(ctx,
		`INSERT INTO _relaybase_cursors (stream, client, cursor) VALUES (?, ?, ?)
		 ON CONFLICT (stream, client) DO UPDATE SET cursor = MAX(cursor, excluded.cursor)
		 RETURNING cursor`, stream, client, id).Scan(&cursor)
	if err != nil {
		return 0, db.fail("write cursor", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	return cursor, nil
}

// SetRealtimeCursors moves several clients' cursors in one stream forward, in one
// transaction.
func (db *DB) SetRealtimeCursors(ctx context.Context, stream string, cursors map[string]int64) error {
	if len(cursors) == 0 {
		return nil
	}
	tx, err := db.begin(ctx, true)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var next int64 = 1
	err = tx.c.queryRow(ctx, "SELECT next_offset FROM _relaybase_channels WHERE channel = ?", stream).Scan(&next)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return db.fail("write cursors", err)
	}
	// One statement for the whole batch (a flush carries every client that acked in the
	// last interval): the cursors go in as one JSON object, read back row by row by json_each.
	// Keys that are not storable text are left out, as PostgreSQL must (json.Marshal would
	// change them).
	for client := range cursors {
		if !relaybase.StorableText(client) {
			cursors = maps.Clone(cursors)
			maps.DeleteFunc(cursors, func(c string, _ int64) bool { return !relaybase.StorableText(c) })
			break
		}
	}
	batch, err := json.Marshal(cursors)
	if err != nil {
		return fmt.Errorf("sqlite: write cursors: %w", err)
	}
	if _, err := tx.c.exec(ctx,
		`INSERT INTO _relaybase_cursors (stream, client, cursor)
		 SELECT ?, key, value FROM json_each(?) WHERE value >= 0 AND value <= ?
		 ON CONFLICT (stream, client) DO UPDATE SET cursor = MAX(cursor, excluded.cursor)`, stream, string(batch), next-1); err != nil {
		return db.fail("write cursors", err)
	}
	return tx.Commit()
}
