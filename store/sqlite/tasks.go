package sqlite

import (
	"context"
	"strings"
	"time"

	"relaybase"
)

var _ relaybase.TaskLedger = (*DB)(nil)

// taskTables holds the task ledger: one row per task (its lease and the last slot claimed)
// and its recorded runs. They are created on first use, in the write transaction that
// needs them, so that a database that never runs a task never has them.
const taskTables = `CREATE TABLE IF NOT EXISTS _relaybase_tasks (
		name        TEXT PRIMARY KEY,
		holder      TEXT NOT NULL DEFAULT '',
		lease_until INTEGER NOT NULL DEFAULT 0,
		last_slot   INTEGER NOT NULL DEFAULT 0
	) WITHOUT ROWID;
	CREATE TABLE IF NOT EXISTS _relaybase_task_runs (
		id         INTEGER PRIMARY KEY AUTOINCREMENT,
		task       TEXT NOT NULL,
		node       TEXT NOT NULL,
		trigger    TEXT NOT NULL,
		slot       INTEGER NOT NULL,
		started_at INTEGER NOT NULL,
		ended_at   INTEGER NOT NULL,
		ok         INTEGER NOT NULL,
		error      TEXT NOT NULL,
		result     TEXT NOT NULL
	);
	CREATE INDEX IF NOT EXISTS _relaybase_task_runs_task ON _relaybase_task_runs (task, id);`

// taskWrite runs fn in a write transaction (BEGIN IMMEDIATE: atomic against every other
// process on the file) with the ledger's tables in place.
func (db *DB) taskWrite(ctx context.Context, op string, fn func(tx *Tx) error) error {
	tx, err := db.begin(ctx, true)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.c.execOnce(ctx, taskTables); err != nil {
		return db.fail(op, err)
	}
	if err := fn(tx); err != nil {
		return db.fail(op, err)
	}
	return tx.Commit()
}

// ClaimTask gives holder the task's lease (relaybase.TaskLedger).
func (db *DB) ClaimTask(ctx context.Context, task, holder string, slot int64, now, until time.Time) (bool, error) {
	var ok bool
	err := db.taskWrite(ctx, "claim task "+task, func(tx *Tx) error {
		if _, err := tx.c.exec(ctx, `INSERT INTO _relaybase_tasks (name) VALUES (?) ON CONFLICT (name) DO NOTHING`, task); err != nil {
			return err
		}
		res, err := tx.c.exec(ctx,
			`UPDATE _relaybase_tasks
			 SET holder = ?, lease_until = ?, last_slot = CASE WHEN ? > 0 THEN ? ELSE last_slot END
			 WHERE name = ? AND (holder = '' OR lease_until <= ?) AND (? <= 0 OR last_slot < ?)`,
			holder, until.UnixMilli(), slot, slot, task, now.UnixMilli(), slot, slot)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		ok = n == 1
		return err
	})
	return ok, err
}

// ReleaseTask ends holder's lease on the task (relaybase.TaskLedger).
func (db *DB) ReleaseTask(ctx context.Context, task, holder string) error {
	return db.taskWrite(ctx, "release task "+task, func(tx *Tx) error {
		_, err := tx.c.exec(ctx, `UPDATE _relaybase_tasks SET holder = '', lease_until = 0 WHERE name = ? AND holder = ?`, task, holder)
		return err
	})
}

// RecordTaskRun stores a finished run and drops the task's runs older than the newest
// relaybase.KeptTaskRuns (relaybase.TaskLedger).
func (db *DB) RecordTaskRun(ctx context.Context, run relaybase.TaskRun) error {
	return db.taskWrite(ctx, "record task run "+run.Task, func(tx *Tx) error {
		if _, err := tx.c.exec(ctx,
			`INSERT INTO _relaybase_task_runs (task, node, trigger, slot, started_at, ended_at, ok, error, result)
			 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			run.Task, run.Node, run.Trigger, run.Slot, run.StartedAt, run.EndedAt, run.OK, run.Error, run.Result); err != nil {
			return err
		}
		_, err := tx.c.exec(ctx,
			`DELETE FROM _relaybase_task_runs WHERE task = ? AND id <= (
			   SELECT id FROM _relaybase_task_runs WHERE task = ? ORDER BY id DESC LIMIT 1 OFFSET ?)`,
			run.Task, run.Task, relaybase.KeptTaskRuns)
		return err
	})
}

// TaskRuns returns a task's newest runs, newest first (relaybase.TaskLedger).
func (db *DB) TaskRuns(ctx context.Context, task string, limit int) ([]relaybase.TaskRun, error) {
	c, err := db.acquire(ctx, false)
	if err != nil {
		return nil, db.fail("task runs", err)
	}
	defer db.release(c)
	if limit <= 0 {
		limit = relaybase.KeptTaskRuns
	}
	rows, err := c.query(ctx,
		`SELECT id, task, node, trigger, slot, started_at, ended_at, ok, error, result
		 FROM _relaybase_task_runs WHERE ? = '' OR task = ? ORDER BY id DESC LIMIT ?`, task, task, limit)
	if err != nil {
		if strings.Contains(err.Error(), "no such table") {
			return nil, nil // no task ever ran
		}
		return nil, db.fail("task runs", err)
	}
	defer rows.Close()
	var out []relaybase.TaskRun
	for rows.Next() {
		var r relaybase.TaskRun
		if err := rows.Scan(&r.ID, &r.Task, &r.Node, &r.Trigger, &r.Slot, &r.StartedAt, &r.EndedAt, &r.OK, &r.Error, &r.Result); err != nil {
			return nil, db.fail("task runs", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, db.fail("task runs", err)
	}
	return out, nil
}
