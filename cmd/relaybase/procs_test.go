package main

import "testing"

func TestProcsFor(t *testing.T) {
	tests := []struct {
		current int
		env     string
		want    int
	}{
		{1, "", 2},  // one CPU: a second P for the poller
		{2, "", 0},  // already enough
		{8, "", 0},  // many CPUs: the runtime's choice stands
		{1, "1", 0}, // the operator asked for one: theirs
		{4, "4", 0},
	}
	for _, tc := range tests {
		if got := procsFor(tc.current, tc.env); got != tc.want {
			t.Errorf("procsFor(%d, %q) = %d, want %d", tc.current, tc.env, got, tc.want)
		}
	}
}
