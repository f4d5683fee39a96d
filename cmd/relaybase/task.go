package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"relaybase"
	"relaybase/schedule"
	"relaybase/stack"
	"relaybase/workspace"
)

func taskCommand(getenv func(string) string, stdout, stderr io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "task",
		Short: "Run a workspace's task now, or list its tasks with their schedules and last runs",
	}
	run := &cobra.Command{
		Use:   "run NAME [DIR]",
		Short: "Run the task NAME of the workspace in DIR (default .) now, and record the run",
		Long: "task run runs one task now, against the workspace's data (the same settings as serve:\n" +
			"--db, --data, --engine ...), under the task's lease: if a node is running it, it\n" +
			"refuses. It prints the task's result as JSON and exits 1 when the task fails.",
		Args: cobra.RangeArgs(1, 2),
	}
	registerFlags(run.Flags())
	run.RunE = func(cmd *cobra.Command, args []string) error {
		return withNode(cmd, args[1:], getenv, stderr, func(ctx context.Context, n *node, prog *stack.Program) error {
			ledger, ok := n.store.(relaybase.TaskLedger)
			if !ok {
				return errors.New("task run: this database keeps no task ledger")
			}
			rec, err := schedule.Run(ctx, prog, ledger, args[0], n.name, nil, n.log)
			if err != nil {
				return err
			}
			if !rec.OK {
				fmt.Fprintf(stderr, "task %s failed after %s: %s\n", rec.Task, millis(rec.EndedAt-rec.StartedAt), rec.Error)
				return exitError{}
			}
			fmt.Fprintln(stdout, rec.Result)
			return nil
		})
	}
	list := &cobra.Command{
		Use:   "list [DIR]",
		Short: "List the tasks of the workspace in DIR (default .): schedule, next run, last runs",
		Args:  cobra.MaximumNArgs(1),
	}
	registerFlags(list.Flags())
	list.RunE = func(cmd *cobra.Command, args []string) error {
		return withNode(cmd, args, getenv, stderr, func(ctx context.Context, n *node, prog *stack.Program) error {
			ledger, _ := n.store.(relaybase.TaskLedger)
			return listTasks(ctx, stdout, prog, ledger, time.Now())
		})
	}
	cmd.AddCommand(run, list)
	return cmd
}

// withNode loads the workspace in args[0] (default .), opens its data as serve does
// (without listening or scheduling), runs fn and closes everything.
func withNode(cmd *cobra.Command, args []string, getenv func(string) string, stderr io.Writer, fn func(context.Context, *node, *stack.Program) error) error {
	dir := "."
	if len(args) > 0 {
		dir = args[0]
	}
	ws, diags, err := workspace.Load(dir)
	if err != nil {
		return err
	}
	cfg, err := resolveConfig(cmd.Flags(), getenv, ws.Config)
	if err != nil {
		return err
	}
	log := newLogger(stderr, cfg)
	ctx := cmd.Context()
	n, prog, diags, err := open(ctx, ws, diags, cfg, getenv, log, accessLog{})
	if err != nil {
		for _, d := range diags {
			fmt.Fprintln(stderr, d.String())
		}
		return err
	}
	defer n.close(context.Background())
	return fn(ctx, n, prog)
}

// listTasks prints each task: whether it is active, its schedule, its next run after now,
// and its last recorded runs.
func listTasks(ctx context.Context, w io.Writer, prog *stack.Program, ledger relaybase.TaskLedger, now time.Time) error {
	tasks := prog.Tasks()
	if len(tasks) == 0 {
		fmt.Fprintln(w, "no tasks")
		return nil
	}
	for _, t := range tasks {
		state := "active"
		if !t.Active {
			state = "inactive"
		}
		fmt.Fprintf(w, "%s (%s, %s)\n", t.Name, state, t.File)
		for _, e := range t.Schedule {
			fmt.Fprintf(w, "  schedule: %s\n", describeEvent(e))
		}
		if next, ok := t.Schedule.Next(now); ok && t.Active {
			fmt.Fprintf(w, "  next run: %s\n", next.UTC().Format(time.RFC3339))
		} else {
			fmt.Fprintln(w, "  next run: none")
		}
		if ledger == nil {
			continue
		}
		runs, err := ledger.TaskRuns(ctx, t.Name, 5)
		if err != nil {
			return err
		}
		for _, r := range runs {
			outcome := "ok " + r.Result
			if !r.OK {
				outcome = "failed: " + r.Error
			}
			fmt.Fprintf(w, "  ran %s (%s, %s, %s): %s\n", time.UnixMilli(r.StartedAt).UTC().Format(time.RFC3339),
				r.Trigger, r.Node, millis(r.EndedAt-r.StartedAt), outcome)
		}
	}
	return nil
}

func describeEvent(e workspace.ScheduleEvent) string {
	var b strings.Builder
	b.WriteString("from " + e.Start.UTC().Format(time.RFC3339))
	if e.Every > 0 {
		b.WriteString(", every " + e.Every.String())
	} else {
		b.WriteString(", once")
	}
	if !e.End.IsZero() {
		b.WriteString(", until " + e.End.UTC().Format(time.RFC3339))
	}
	return b.String()
}

func millis(ms int64) string { return (time.Duration(ms) * time.Millisecond).String() }
