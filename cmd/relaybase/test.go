package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"relaybase"
	"relaybase/stack"
	"relaybase/value"
	"relaybase/workspace"
	"relaybase/xs"
)

// openScratch opens a workspace on a fresh temporary SQLite database and the in-process
// engine, whatever the workspace's settings say about data: what relaybase test and
// relaybase run work on. The returned close removes the database.
func openScratch(ctx context.Context, ws *workspace.Workspace, diags []xs.Diagnostic, getenv func(string) string, log io.Writer) (*node, *stack.Program, []xs.Diagnostic, func(), error) {
	cfg, err := resolveConfig(pflag.NewFlagSet("scratch", pflag.ContinueOnError), getenv, ws.Config)
	if err != nil {
		return nil, nil, diags, nil, err
	}
	tmp, err := os.MkdirTemp("", "relaybase-scratch-")
	if err != nil {
		return nil, nil, diags, nil, err
	}
	cfg.values["data"], cfg.values["db"], cfg.values["engine"] = tmp, "", "memory"
	cfg.values["auth_key_file"] = ""
	n, prog, diags, err := open(ctx, ws, diags, cfg, func(k string) string {
		if k == "RELAYBASE_AUTH_KEY" {
			return "" // a key of the scratch data's own
		}
		return getenv(k)
	}, newLogger(log, cfg), accessLog{})
	if err != nil {
		os.RemoveAll(tmp)
		return nil, nil, diags, nil, err
	}
	return n, prog, diags, func() {
		_ = n.close(context.Background())
		os.RemoveAll(tmp)
	}, nil
}

func testCommand(getenv func(string) string, stdout, stderr io.Writer) *cobra.Command {
	var verbose bool
	var pattern string
	cmd := &cobra.Command{
		Use:   "test [DIR]",
		Short: "Run the workspace's own tests (test blocks and workflow_test objects) on an empty database",
		Long: "test runs every test block of the workspace's functions, queries and table triggers, and\n" +
			"every workflow_test, against a fresh temporary database: each test starts from empty tables\n" +
			"and its writes are rolled back. It prints each failure with file:line:col and why, then\n" +
			"N passed, N failed, and exits 1 if any test failed.",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "."
			if len(args) > 0 {
				dir = args[0]
			}
			var filter *regexp.Regexp
			if pattern != "" {
				var err error
				if filter, err = regexp.Compile(pattern); err != nil {
					return fmt.Errorf("--run: %w", err)
				}
			}
			ws, diags, err := workspace.Load(dir)
			if err != nil {
				return err
			}
			_, prog, diags, done, err := openScratch(cmd.Context(), ws, diags, getenv, io.Discard)
			if err != nil {
				for _, d := range diags {
					if d.Severity == xs.Error {
						fmt.Fprintln(stdout, d.String())
					}
				}
				return err
			}
			defer done()
			return runTests(cmd.Context(), stdout, prog, filter, verbose)
		},
	}
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "also list the tests that pass")
	cmd.Flags().StringVar(&pattern, "run", "", "run only the tests whose name (owner and test) matches this regular expression")
	return cmd
}

// runTests runs the program's tests and prints a go-test-like report.
func runTests(ctx context.Context, w io.Writer, prog *stack.Program, filter *regexp.Regexp, verbose bool) error {
	passed, failed := 0, 0
	start := time.Now()
	for _, t := range prog.Tests() {
		name := t.Owner + " / " + t.Name
		if filter != nil && !filter.MatchString(name) {
			continue
		}
		began := time.Now()
		err := t.Run(ctx)
		took := time.Since(began).Round(time.Millisecond)
		if err == nil {
			passed++
			if verbose {
				fmt.Fprintf(w, "--- PASS: %s (%s)\n", name, took)
			}
			continue
		}
		failed++
		fmt.Fprintf(w, "--- FAIL: %s (%s)\n", name, took)
		var tf *stack.TestFailure
		switch {
		case errors.As(err, &tf):
			fmt.Fprintf(w, "    %s\n", tf.Error())
		default:
			fmt.Fprintf(w, "    %s: %s\n", t.Pos, relaybase.AsError(err).Message)
		}
	}
	status := "ok"
	if failed > 0 {
		status = "FAIL"
	}
	fmt.Fprintf(w, "%s: %d passed, %d failed (%s)\n", status, passed, failed, time.Since(start).Round(time.Millisecond))
	if failed > 0 {
		return exitError{}
	}
	return nil
}

func runCommand(getenv func(string) string, stdout, stderr io.Writer) *cobra.Command {
	var job string
	var envs []string
	cmd := &cobra.Command{
		Use:   "run FILE",
		Short: "Run a run.job bundle (a multi-document .xs file, or a folder with run.xs) and print its result as JSON",
		Long: "run reads FILE, a .xs file whose objects are separated by \"---\" lines (a run.job and the\n" +
			"functions and tables it needs, as Xano writes a run bundle), or a folder holding one,\n" +
			"migrates its tables into a fresh temporary database, calls the job's main.name function\n" +
			"with its main.input, and prints the result as JSON. The names in the job's env = [...]\n" +
			"must have values: --env NAME=VALUE, RELAYBASE_ENV_NAME, or the bundle's workspace env.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ws, diags, err := loadBundle(args[0])
			if err != nil {
				return err
			}
			j, err := pickJob(ws, job)
			if err != nil {
				printErrors(stderr, diags)
				return err
			}
			given := map[string]string{}
			for _, kv := range envs {
				k, v, ok := strings.Cut(kv, "=")
				if !ok || k == "" {
					return fmt.Errorf("--env %q: want NAME=VALUE", kv)
				}
				given[k] = v
			}
			var missing []string
			for _, name := range j.Env {
				if v, ok := given[name]; ok {
					ws.Env[name] = v
					continue
				}
				if _, ok := ws.Env[name]; !ok && getenv("RELAYBASE_ENV_"+name) == "" {
					missing = append(missing, name)
				}
				if _, ok := ws.Env[name]; !ok {
					ws.Env[name] = "" // so that RELAYBASE_ENV_NAME applies (mergeEnv)
				}
			}
			if len(missing) > 0 {
				sort.Strings(missing)
				return fmt.Errorf("job %q needs env %s: give --env NAME=VALUE or RELAYBASE_ENV_NAME", j.Name, strings.Join(missing, ", "))
			}
			_, prog, diags, done, err := openScratch(cmd.Context(), ws, diags, getenv, stderr)
			if err != nil {
				printErrors(stderr, diags)
				return err
			}
			defer done()
			tables := make([]string, 0, len(ws.Items))
			for name := range ws.Items {
				tables = append(tables, name)
			}
			sort.Strings(tables)
			for _, name := range tables {
				if err := prog.Seed(cmd.Context(), name, ws.Items[name]); err != nil {
					return fmt.Errorf("run: %w", err)
				}
			}
			res, err := prog.RunFunction(cmd.Context(), j.Function, j.Input)
			if err != nil {
				re := relaybase.AsError(err)
				fmt.Fprintf(stderr, "job %s failed: %s (%s)\n", j.Name, re.Message, re.Code)
				return exitError{}
			}
			b, err := value.EncodeJSON(res)
			if err != nil {
				return err
			}
			fmt.Fprintln(stdout, string(b))
			return nil
		},
	}
	cmd.Flags().StringVar(&job, "job", "", "the job to run when the bundle holds several")
	cmd.Flags().StringArrayVar(&envs, "env", nil, "an env value for the job: NAME=VALUE (repeatable)")
	return cmd
}

// loadBundle reads a run bundle: one multi-document file, or a folder (its run.xs and
// everything beside it, as a workspace).
func loadBundle(path string) (*workspace.Workspace, []xs.Diagnostic, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, nil, fmt.Errorf("run: %w", err)
	}
	if info.IsDir() {
		return workspace.Load(path)
	}
	if filepath.Ext(path) != ".xs" {
		return nil, nil, fmt.Errorf("run: %s is not a .xs file", path)
	}
	return workspace.LoadFile(path)
}

func pickJob(ws *workspace.Workspace, name string) (*workspace.Job, error) {
	if name != "" {
		for _, j := range ws.Jobs {
			if j.Name == name {
				return j, nil
			}
		}
		return nil, fmt.Errorf("run: no job %q in the bundle", name)
	}
	switch len(ws.Jobs) {
	case 0:
		return nil, errors.New("run: the bundle has no run.job")
	case 1:
		return ws.Jobs[0], nil
	}
	var names []string
	for _, j := range ws.Jobs {
		names = append(names, fmt.Sprintf("%q", j.Name))
	}
	return nil, fmt.Errorf("run: the bundle has several jobs (%s); pick one with --job", strings.Join(names, ", "))
}

func printErrors(w io.Writer, diags []xs.Diagnostic) {
	for _, d := range diags {
		if d.Severity != xs.Warning {
			fmt.Fprintln(w, d.String())
		}
	}
}
