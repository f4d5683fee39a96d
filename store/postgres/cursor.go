package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"relaybase"
)

// RealtimeCursor reads an at-least-once client's cursor in a stream.
func (db *DB) RealtimeCursor(ctx context.Context, stream, client string) (int64, bool, error) {
	if err := db.usable(); err != nil {
		return 0, false, db.fail("read cursor", err)
	}
	if !relaybase.StorableText(stream) || !relaybase.StorableText(client) {
		return 0, false, nil // no such cursor can exist
	}
	// One row always: null when the client has no cursor.
	var cursor pgtype.Int8
	if err := db.pool.QueryRow(ctx, db.sql(`SELECT (SELECT cursor FROM {s}._relaybase_cursors WHERE stream = $1::text AND client = $2::text)`),
		stream, client).Scan(&cursor); err != nil {
		return 0, false, db.fail("read cursor", err)
	}
	return cursor.Int64, cursor.Valid, nil
}

// SetRealtimeCursor moves a client's cursor forward to id in one statement: the upsert
// happens only when the stream has issued id, and GREATEST keeps the cursor from moving
// back whatever order concurrent acks commit in.
func (db *DB) SetRealtimeCursor(ctx context.Context, stream, client string, id int64) (int64, error) {
	if err := db.usable(); err != nil {
		return 0, db.fail("write cursor", err)
	}
	if !relaybase.StorableText(stream) || !relaybase.StorableText(client) {
		return 0, fmt.Errorf("postgres: write cursor: stream and client must be UTF-8 text without NUL")
	}
	var cursor int64
	err := db.pool.QueryRow(ctx, db.sql(`INSERT INTO {s}._relaybase_cursors AS c (stream, client, cursor)
		SELECT $1::text, $2::text, $3::bigint
		WHERE $3::bigint >= 0 AND $3::bigint <= coalesce((SELECT next_offset - 1 FROM {s}._relaybase_channels WHERE channel = $1::text), 0)
		ON CONFLICT (stream, client) DO UPDATE SET cursor = GREATEST(c.cursor, excluded.cursor)
		RETURNING c.cursor`), stream, client, id).Scan(&cursor)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("write cursor: id %d: %w", id, relaybase.ErrNotFound)
	}
	if err != nil {
		return 0, db.fail("write cursor", err)
	}
	return cursor, nil
}

// SetRealtimeCursors moves several clients' cursors in one stream forward in one
// statement over arrays of clients and ids.
func (db *DB) SetRealtimeCursors(ctx context.Context, stream string, cursors map[string]int64) error {
	if len(cursors) == 0 {
		return nil
	}
	if err := db.usable(); err != nil {
		return db.fail("write cursors", err)
	}
	clients := make([]string, 0, len(cursors))
	ids := make([]int64, 0, len(cursors))
	for c, id := range cursors {
		if !relaybase.StorableText(c) {
			continue
		}
		clients, ids = append(clients, c), append(ids, id)
	}
	if !relaybase.StorableText(stream) || len(clients) == 0 {
		return nil
	}
	_, err := db.pool.Exec(ctx, db.sql(`INSERT INTO {s}._relaybase_cursors AS c (stream, client, cursor)
		SELECT $1::text, u.client, u.id FROM unnest($2::text[], $3::bigint[]) AS u(client, id)
		WHERE u.id >= 0 AND u.id <= coalesce((SELECT next_offset - 1 FROM {s}._relaybase_channels WHERE channel = $1::text), 0)
		ON CONFLICT (stream, client) DO UPDATE SET cursor = GREATEST(c.cursor, excluded.cursor)`), stream, clients, ids)
	if err != nil {
		return db.fail("write cursors", err)
	}
	return nil
}
