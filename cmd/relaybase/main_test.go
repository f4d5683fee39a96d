package main

import (
	"context"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"testing"

	"go.uber.org/goleak"
)

// serveEnv, set in the environment of this test binary, makes it run `relaybase` with the
// arguments it holds (separated by \x1f) instead of the tests: fault tests start nodes as
// processes of their own this way, to kill them.
const serveEnv = "RELAYBASE_TEST_RUN_ARGS"

// TestMain fails the package's tests if any goroutine outlives them: every goroutine has
// an owner that stops it.
func TestMain(m *testing.M) {
	if args := os.Getenv(serveEnv); args != "" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := run(ctx, strings.Split(args, "\x1f"), os.Getenv, os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	goleak.VerifyTestMain(m)
}
