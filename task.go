package relaybase

import (
	"context"
	"time"
)

// TaskLedger is where the nodes that share a database agree on who runs a scheduled task
// and keep a record of its runs (store/sqlite and store/postgres implement it on their
// own tables). A task runs on one node at a time: a node runs it only while it holds the
// task's lease, and a scheduled time (a slot) is run at most once, by the first node that
// claims it.
type TaskLedger interface {
	// ClaimTask gives holder the task's lease until until, if no other lease on the task
	// is current at now. With slot > 0 (the scheduled time, in ms since the epoch) it also
	// requires that no claim of this task was made for slot or a later one, and records
	// slot. It reports whether holder got the lease. Claims are atomic across processes.
	ClaimTask(ctx context.Context, task, holder string, slot int64, now, until time.Time) (bool, error)
	// ReleaseTask ends holder's lease on the task (nothing when holder does not hold it).
	ReleaseTask(ctx context.Context, task, holder string) error
	// RecordTaskRun stores a finished run. Only the newest runs of each task are kept
	// (at least KeptTaskRuns).
	RecordTaskRun(ctx context.Context, run TaskRun) error
	// TaskRuns returns the newest runs of a task ("" for every task), newest first, at
	// most limit of them.
	TaskRuns(ctx context.Context, task string, limit int) ([]TaskRun, error)
}

// KeptTaskRuns is how many runs of each task a TaskLedger keeps at least.
const KeptTaskRuns = 100

// TaskRun is one run of a task, as recorded for a person (or an admin console) to read.
type TaskRun struct {
	ID        int64 // assigned by RecordTaskRun
	Task      string
	Node      string // the holder that ran it
	Trigger   string // "schedule" or "manual"
	Slot      int64  // the scheduled time it ran for (ms since the epoch); 0 for a manual run
	StartedAt int64  // ms since the epoch
	EndedAt   int64  // ms since the epoch
	OK        bool
	Error     string // why it failed, for a person; "" when OK
	Result    string // the task's result as JSON ("null" when it has none)
}
