// Package schedule runs a workspace's tasks on their schedules (workspace.Schedule: a first
// run, an interval, an optional end, as Xano writes them), on whichever of the nodes that
// share a database claims each run first.
//
// Every node runs a Scheduler. For each active task it waits, on its Clock, for the task's
// next scheduled time (a slot), then claims the slot in the database
// (relaybase.TaskLedger.ClaimTask): the claim gives the node the task's lease and records
// the slot, atomically, so a slot runs once however many nodes reach it, and never while
// another node still runs the task (a run that outlasts its interval makes the slots it
// overlaps be skipped, not queued). The lease lasts the task's time limit plus a minute,
// so a node that dies running a task holds it no longer than that. Slots missed while no
// node ran are not run afterwards: a scheduler starting up waits for the next slot from now.
//
// Each run is logged (task started / task finished, with its duration and outcome) and
// recorded in the ledger (relaybase.TaskRun: node, trigger, slot, start, end, result or
// error), which keeps the newest runs of each task. Run runs a task now, under the same
// lease (relaybase task run NAME).
//
// The Scheduler owns one goroutine per scheduled task; Stop cancels them, and a task still
// running is stopped and rolled back. schedule knows the stack and the ledger contract, not
// HTTP or SQL.
package schedule
