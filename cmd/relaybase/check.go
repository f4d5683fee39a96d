package main

import (
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/spf13/cobra"

	"relaybase/stack"
	"relaybase/workspace"
	"relaybase/xs"
)

// loadWorkspace loads and compiles a workspace without opening any data, returning every
// diagnostic of both steps.
func loadWorkspace(dir string) (*workspace.Workspace, *stack.Program, []xs.Diagnostic, error) {
	ws, diags, err := workspace.Load(dir)
	if err != nil {
		return nil, nil, nil, err
	}
	prog, more := stack.Compile(ws, stack.Options{})
	diags = append(diags, more...)
	// One list in file order, whichever step found each problem.
	sort.SliceStable(diags, func(i, j int) bool {
		a, b := diags[i].Pos, diags[j].Pos
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	return ws, prog, diags, nil
}

func printDiagnostics(w io.Writer, diags []xs.Diagnostic) (errs, unsupported, warnings int) {
	for _, d := range diags {
		fmt.Fprintln(w, d.String())
		switch d.Severity {
		case xs.Error:
			errs++
		case xs.Unsupported:
			unsupported++
		default:
			warnings++
		}
	}
	return errs, unsupported, warnings
}

func checkCommand(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "check DIR",
		Short: "Load and validate a workspace; print every problem with file:line:col",
		Long: "check loads a workspace like serve does, without opening its data, and prints every\n" +
			"problem: syntax errors, unknown tables, colliding routes, and XanoScript that relaybase\n" +
			"does not run. It exits 1 if there is any error or unsupported construct.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, _, diags, err := loadWorkspace(args[0])
			if err != nil {
				return err
			}
			errs, unsupported, warnings := printDiagnostics(stdout, diags)
			fmt.Fprintf(stdout, "%d errors, %d unsupported, %d warnings\n", errs, unsupported, warnings)
			if errs+unsupported > 0 {
				return exitError{}
			}
			return nil
		},
	}
}

//go:embed all:starter
var starter embed.FS

func initCommand(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "init DIR",
		Short: "Write a starter workspace: a user table with sign-up and log-in, notes, a channel, a task and tests",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := args[0]
			if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
				return fmt.Errorf("init: %s exists and is not empty", dir)
			} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("init: %w", err)
			}
			sub, err := fs.Sub(starter, "starter")
			if err != nil {
				return err
			}
			err = fs.WalkDir(sub, ".", func(path string, d fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				target := filepath.Join(dir, filepath.FromSlash(path))
				if d.IsDir() {
					return os.MkdirAll(target, 0o755)
				}
				data, err := fs.ReadFile(sub, path)
				if err != nil {
					return err
				}
				return os.WriteFile(target, data, 0o644)
			})
			if err != nil {
				return fmt.Errorf("init: %w", err)
			}
			fmt.Fprintf(stdout, "Wrote a starter workspace to %s. Run it with:\n\n  relaybase serve %s\n", dir, dir)
			return nil
		},
	}
}
