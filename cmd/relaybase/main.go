package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // timezones for format_timestamp even where the system has none

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the whole program, with its world passed in so tests can run it in-process.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	root := &cobra.Command{
		Use:           "relaybase",
		Short:         "A self-hosted backend in one binary: tables, endpoints, auth and realtime channels",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetArgs(args)
	root.AddCommand(serveCommand(getenv, stdout, stderr), checkCommand(stdout), initCommand(stdout), versionCommand(stdout),
		taskCommand(getenv, stdout, stderr), testCommand(getenv, stdout, stderr), runCommand(getenv, stdout, stderr),
		adminCommand(getenv, stdout, stderr))
	if err := root.ExecuteContext(ctx); err != nil {
		if _, silent := err.(exitError); !silent {
			fmt.Fprintln(stderr, "relaybase:", err)
		}
		return 1
	}
	return 0
}

// exitError makes a command fail after it has printed its own explanation.
type exitError struct{}

func (exitError) Error() string { return "failed" }

func versionCommand(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print relaybase's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fmt.Fprintln(stdout, "relaybase", version)
			return nil
		},
	}
}
