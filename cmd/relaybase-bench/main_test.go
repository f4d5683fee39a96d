package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"relaybase/bench"
)

// TestMain lets this test binary stand in for relaybase-bench as the floor's writer
// process: `floor` starts os.Executable() with "floor-serve".
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "floor-serve" {
		os.Exit(floorServe(context.Background(), os.Args[2:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code := run(ctx, args, func(string) string { return "" }, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no scenario", nil, 2, "name a scenario first"},
		{"flag first", []string{"--members", "3"}, 2, "name a scenario first"},
		{"help", []string{"--help"}, 0, "Scenarios"},
		{"unknown scenario", []string{"nope"}, 1, `unknown scenario "nope"`},
		{"bad flag", []string{"fanout", "--members", "many"}, 2, "invalid value"},
		{"stray argument", []string{"fanout", "extra"}, 2, "unexpected arguments"},
		{"not loopback", []string{"fanout", "--url", "http://192.0.2.1:8080", "--quiet"}, 1, "loopback address only"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCmd(t, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, tc.code, tc.want)
			}
		})
	}
}

// The floor with its writer in a process of its own, as scripts/bench runs it, and the
// JSON it prints read back by show.
func TestFloorInChildProcessAndShow(t *testing.T) {
	code, stdout, stderr := runCmd(t, "floor", "--members", "10", "--rate", "20", "--duration", "300ms", "--json", "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var r bench.Result
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("%v in %s", err, stdout)
	}
	if r.Floor == nil || r.Floor.Writes == 0 || r.Delivered != r.Floor.Writes || r.Floor.ProcCPUPerWrite <= 0 {
		t.Fatalf("floor = %+v, delivered %d", r.Floor, r.Delivered)
	}
	if r.Params.Pid == 0 || r.Params.Pid == os.Getpid() {
		t.Errorf("the writer ran in pid %d, want a child process", r.Params.Pid)
	}

	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"show"}, nil, strings.NewReader(stdout), &out, &errOut); code != 0 {
		t.Fatalf("show: exit %d: %s", code, errOut.String())
	}
	for _, want := range []string{"relaybase-bench floor: 10 members", "floor CPU per write", "writer process CPU per write"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("show lacks %q:\n%s", want, out.String())
		}
	}
	if code := run(context.Background(), []string{"show"}, nil, strings.NewReader("{"), &out, &errOut); code != 1 {
		t.Errorf("show of broken JSON: exit %d", code)
	}
}
