package schedule

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"relaybase"
	"relaybase/metrics"
	"relaybase/stack"
	"relaybase/value"
)

// Clock is the scheduler's time: Now, and a channel that receives once d has passed.
// Tests give a clock they move by hand, or run under testing/synctest with SystemClock.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time                         { return time.Now() }
func (systemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// SystemClock is the real clock.
var SystemClock Clock = systemClock{}

// Options configure a Scheduler. Program and Ledger are required.
type Options struct {
	Program *stack.Program
	Ledger  relaybase.TaskLedger
	Node    string // this node's name in leases and run records; "" for NodeName()
	Clock   Clock  // nil: SystemClock
	Logger  *slog.Logger
	Metrics *metrics.Tasks // counts the scheduled runs; nil: not counted
}

// Scheduler runs the program's active tasks on their schedules until Stop.
type Scheduler struct {
	opts   Options
	log    *slog.Logger
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// NodeName is a name for this process in leases and run records: the host, the process
// id and a random suffix, unique among nodes.
func NodeName() string {
	host, _ := os.Hostname()
	if host == "" {
		host = "node"
	}
	var b [3]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// New makes a Scheduler; Start starts it.
func New(opts Options) *Scheduler {
	if opts.Clock == nil {
		opts.Clock = SystemClock
	}
	if opts.Node == "" {
		opts.Node = NodeName()
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Scheduler{opts: opts, log: log}
}

// Start starts one goroutine per active task that has a schedule. It returns at once.
func (s *Scheduler) Start(ctx context.Context) {
	ctx, s.cancel = context.WithCancel(ctx)
	for _, t := range s.opts.Program.Tasks() {
		if !t.Active {
			s.log.Info("task is not active; it runs only with relaybase task run", "task", t.Name)
			continue
		}
		if len(t.Schedule) == 0 {
			s.log.Info("task has no schedule; it runs only with relaybase task run", "task", t.Name)
			continue
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.loop(ctx, t)
		}()
	}
}

// Stop stops the scheduler and waits for its goroutines: a task still running is
// stopped (its transaction rolled back) and recorded as failed.
func (s *Scheduler) Stop() {
	if s.cancel != nil {
		s.cancel()
	}
	s.wg.Wait()
}

// loop waits for each of the task's slots in turn and runs the ones it claims.
func (s *Scheduler) loop(ctx context.Context, t *stack.Task) {
	clock := s.opts.Clock
	after := clock.Now()
	for {
		next, ok := t.Schedule.Next(after)
		if !ok {
			s.log.Info("task has no more scheduled runs", "task", t.Name)
			return
		}
		for {
			d := next.Sub(clock.Now())
			if d <= 0 {
				break
			}
			select {
			case <-ctx.Done():
				return
			case <-clock.After(d):
			}
		}
		s.runSlot(ctx, t, next)
		if ctx.Err() != nil {
			return
		}
		// Slots that passed while the task ran are skipped, not run late one after another.
		after = next
		if now := clock.Now(); now.After(after) {
			after = now
		}
	}
}

func (s *Scheduler) runSlot(ctx context.Context, t *stack.Task, slot time.Time) {
	now := s.opts.Clock.Now()
	ok, err := s.opts.Ledger.ClaimTask(ctx, t.Name, s.opts.Node, slot.UnixMilli(), now, now.Add(s.opts.Program.Lease()))
	if err != nil {
		s.log.Error("task: could not claim its run", "task", t.Name, "slot", slot.UTC().Format(time.RFC3339), "error", err)
		return
	}
	if !ok {
		s.log.Debug("task: another node has this run", "task", t.Name, "slot", slot.UTC().Format(time.RFC3339))
		return
	}
	rec := run(ctx, s.opts.Program, s.opts.Ledger, t, s.opts.Node, "schedule", slot.UnixMilli(), s.opts.Clock, s.log)
	s.opts.Metrics.Run(t.Name, rec.OK, time.Duration(rec.EndedAt-rec.StartedAt)*time.Millisecond)
}

// ErrBusy is Run's error when another node holds the task's lease.
var ErrBusy = errors.New("the task is running elsewhere")

// Run runs a task now, under its lease, and records the run (trigger "manual"). It
// returns the run as recorded; the run's own failure is in TaskRun.OK and TaskRun.Error,
// and err is for a run that could not happen (no such task, ErrBusy, the ledger failing).
func Run(ctx context.Context, p *stack.Program, ledger relaybase.TaskLedger, name, node string, clock Clock, log *slog.Logger) (relaybase.TaskRun, error) {
	if clock == nil {
		clock = SystemClock
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	t, ok := p.Task(name)
	if !ok {
		return relaybase.TaskRun{}, fmt.Errorf("no task %q in the workspace", name)
	}
	now := clock.Now()
	ok, err := ledger.ClaimTask(ctx, name, node, 0, now, now.Add(p.Lease()))
	if err != nil {
		return relaybase.TaskRun{}, fmt.Errorf("task %s: claim: %w", name, err)
	}
	if !ok {
		return relaybase.TaskRun{}, fmt.Errorf("task %s: %w (another node holds its lease)", name, ErrBusy)
	}
	return run(ctx, p, ledger, t, node, "manual", 0, clock, log), nil
}

// run runs a claimed task, logs and records the run, and releases the lease.
func run(ctx context.Context, p *stack.Program, ledger relaybase.TaskLedger, t *stack.Task, node, trigger string, slot int64, clock Clock, log *slog.Logger) relaybase.TaskRun {
	rec := relaybase.TaskRun{Task: t.Name, Node: node, Trigger: trigger, Slot: slot, StartedAt: clock.Now().UnixMilli(), Result: "null"}
	log.Info("task started", "task", t.Name, "trigger", trigger, "node", node)
	res, err := t.Run(ctx)
	rec.EndedAt = clock.Now().UnixMilli()
	rec.OK = err == nil
	attrs := []any{"task", t.Name, "trigger", trigger, "duration_ms", rec.EndedAt - rec.StartedAt}
	if err != nil {
		rec.Error = relaybase.AsError(err).Message
		if errors.Is(err, context.Canceled) || ctx.Err() != nil {
			rec.Error = "stopped: relaybase was shutting down; nothing was changed"
		}
		log.Error("task failed", append(attrs, "error", rec.Error)...)
	} else {
		if b, jerr := value.EncodeJSON(res); jerr == nil {
			rec.Result = string(b)
		}
		log.Info("task finished", attrs...)
	}
	// The record and the release must happen even when ctx was cancelled by a shutdown.
	bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := ledger.RecordTaskRun(bg, rec); err != nil {
		log.Error("task: could not record its run", "task", t.Name, "error", err)
	}
	if err := ledger.ReleaseTask(bg, t.Name, node); err != nil {
		log.Error("task: could not release its lease", "task", t.Name, "error", err)
	}
	return rec
}
