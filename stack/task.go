package stack

import (
	"context"
	"fmt"
	"time"

	"relaybase"
	"relaybase/value"
	"relaybase/workspace"
	"relaybase/xs"
)

// Task is a compiled task: its stack, and when it runs (workspace.Schedule).
type Task struct {
	Name     string
	File     string
	Active   bool
	Schedule workspace.Schedule

	p *Program
	u *unit
}

func (c *compiler) compileTask(t *workspace.Task) {
	u := newUnit("task "+t.Name, t.File)
	c.compileUnit(u, t.Node)
	u.inputs = nil // a task takes no inputs
	c.p.tasks = append(c.p.tasks, &Task{Name: t.Name, File: t.File, Active: t.Active, Schedule: t.Schedule, p: c.p, u: u})
}

// Tasks lists the compiled tasks in workspace order.
func (p *Program) Tasks() []*Task { return p.tasks }

// Task returns the task of that name.
func (p *Program) Task(name string) (*Task, bool) {
	for _, t := range p.tasks {
		if t.Name == name {
			return t, true
		}
	}
	return nil, false
}

// Run runs the task once, now, in one transaction like an endpoint's request: a failure
// rolls everything back and publishes nothing. The result is the task's response when it
// declares one (Xano's tasks have none: usually null), already stripped of secrets. A run
// is bounded by Options.TaskTimeout. Run does not take the task's lease: package schedule
// (and relaybase task run) decide who runs a task.
func (t *Task) Run(ctx context.Context) (any, error) {
	p := t.p
	if t.u.unsupported != nil {
		return nil, t.u.unsupported
	}
	ctx, cancel := p.limitTask(ctx)
	defer cancel()
	r := p.newRun(ctx, nil, relaybase.Identity{})
	out, err := r.transact(t.u.writes, func() (any, error) {
		return r.exec(t.u, value.NewObject(0), relaybase.Identity{})
	})
	if err != nil {
		return nil, p.finalError(ctx, r.redactError(p.taskTimedOut(ctx, err)), t.File, "task "+t.Name)
	}
	return r.strip(out, false), nil
}

// limitTask bounds a task's run (or a job's) by Options.TaskTimeout.
func (p *Program) limitTask(ctx context.Context) (context.Context, context.CancelFunc) {
	if p.opts.TaskTimeout <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeoutCause(ctx, p.opts.TaskTimeout, errTimeout)
}

// taskTimedOut replaces the error of a run that Options.TaskTimeout stopped.
func (p *Program) taskTimedOut(ctx context.Context, err error) error {
	if err == nil || context.Cause(ctx) != errTimeout {
		return err
	}
	return &relaybase.Error{Code: relaybase.CodeFatal,
		Message: fmt.Sprintf("The run took longer than its limit of %s and was stopped; nothing was changed.", p.opts.TaskTimeout),
		Err:     fmt.Errorf("%w: %w", errTimeout, err)}
}

// Lease is how long a node may hold a task while it runs: the task's time limit and a
// minute to record the run, or a day for a task without a limit.
func (p *Program) Lease() time.Duration {
	if p.opts.TaskTimeout > 0 {
		return p.opts.TaskTimeout + time.Minute
	}
	return 24 * time.Hour
}

// RunFunction calls a workspace function by name with raw inputs (checked and coerced as
// function.run does) in one transaction of its own, bounded by Options.TaskTimeout, as
// relaybase run does for a run.job. The result is stripped of secrets.
func (p *Program) RunFunction(ctx context.Context, name string, input *value.Object) (any, error) {
	u, ok := p.funcs[name]
	if !ok {
		return nil, relaybase.Errorf(relaybase.CodeNotFound, "No function %q in the workspace.", name)
	}
	if input == nil {
		input = value.NewObject(0)
	}
	ctx, cancel := p.limitTask(ctx)
	defer cancel()
	r := p.newRun(ctx, nil, relaybase.Identity{})
	out, err := r.transact(u.writes, func() (any, error) {
		return r.call(u, input, relaybase.Identity{})
	})
	if err != nil {
		return nil, p.finalError(ctx, r.redactError(p.taskTimedOut(ctx, err)), u.file, "function "+name)
	}
	return r.strip(out, false), nil
}

// Seed inserts a table's seed rows (a run bundle's items = [...]) in one transaction,
// checked and with passwords hashed as db.add does, without firing table triggers.
func (p *Program) Seed(ctx context.Context, table string, rows []*value.Object) error {
	t, ok := p.ws.Table(table)
	if !ok {
		return fmt.Errorf("seed: no table %q", table)
	}
	r := p.newRun(ctx, nil, relaybase.Identity{})
	_, err := r.transact(true, func() (any, error) {
		for i, row := range rows {
			data, err := r.rowData(t, row, xs.Pos{File: t.File, Line: 1, Col: 1}, true)
			if err != nil {
				return nil, fmt.Errorf("seed %s row %d: %w", table, i+1, err)
			}
			if id, ok := row.Get("id"); ok && id != nil {
				data.Set("id", id)
			}
			if _, err := r.tx.Insert(r.ctx, t.Name, data); err != nil {
				return nil, fmt.Errorf("seed %s row %d: %w", table, i+1, err)
			}
		}
		return nil, nil
	})
	return err
}
