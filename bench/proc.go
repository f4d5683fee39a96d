package bench

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/<pid>/stat. It is part of
// Linux's ABI (100 on every architecture Go supports), not the kernel's HZ.
const clockTicks = 100

// ProcCPU is a process's CPU time so far, user and system, all threads.
type ProcCPU struct {
	User   time.Duration
	System time.Duration
}

// Total is user + system time.
func (c ProcCPU) Total() time.Duration { return c.User + c.System }

// Sub returns c - o.
func (c ProcCPU) Sub(o ProcCPU) ProcCPU {
	return ProcCPU{User: c.User - o.User, System: c.System - o.System}
}

// ReadProcCPU reads /proc/<pid>/stat.
func ReadProcCPU(pid int) (ProcCPU, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ProcCPU{}, err
	}
	return parseProcStat(b)
}

// parseProcStat reads utime and stime (fields 14 and 15, proc(5)) from a /proc/<pid>/stat
// line. The command name (field 2) is in parentheses and may itself hold spaces and
// parentheses, so fields are counted from the last ')'.
func parseProcStat(b []byte) (ProcCPU, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return ProcCPU{}, errors.New("/proc stat: no command name")
	}
	f := bytes.Fields(b[i+1:])
	// f[0] is field 3 (state); utime is field 14 → f[11], stime field 15 → f[12].
	if len(f) < 13 {
		return ProcCPU{}, fmt.Errorf("/proc stat: %d fields after the command name, want at least 13", len(f))
	}
	ut, err1 := strconv.ParseUint(string(f[11]), 10, 64)
	st, err2 := strconv.ParseUint(string(f[12]), 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return ProcCPU{}, fmt.Errorf("/proc stat: %w", err)
	}
	tick := time.Second / clockTicks
	return ProcCPU{User: time.Duration(ut) * tick, System: time.Duration(st) * tick}, nil
}

// ProcMem is what /proc/<pid>/status says about a process's memory.
type ProcMem struct {
	RSS     int64 // VmRSS, bytes
	HWM     int64 // VmHWM (peak RSS), bytes
	Threads int
}

// ReadProcMem reads /proc/<pid>/status.
func ReadProcMem(pid int) (ProcMem, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return ProcMem{}, err
	}
	return parseProcStatus(b)
}

// parseProcStatus reads VmRSS, VmHWM and Threads from /proc/<pid>/status text.
func parseProcStatus(b []byte) (ProcMem, error) {
	var m ProcMem
	seen := 0
	for len(b) > 0 {
		var line []byte
		line, b, _ = bytes.Cut(b, []byte{'\n'})
		key, val, ok := bytes.Cut(line, []byte{':'})
		if !ok {
			continue
		}
		switch string(key) {
		case "VmRSS", "VmHWM":
			n, err := parseKB(val)
			if err != nil {
				return m, fmt.Errorf("/proc status %s: %w", key, err)
			}
			if key[2] == 'R' {
				m.RSS = n
			} else {
				m.HWM = n
			}
			seen++
		case "Threads":
			n, err := strconv.Atoi(string(bytes.TrimSpace(val)))
			if err != nil {
				return m, fmt.Errorf("/proc status Threads: %w", err)
			}
			m.Threads = n
		}
	}
	if seen == 0 {
		return m, errors.New("/proc status: no VmRSS (a kernel thread, or a zombie?)")
	}
	return m, nil
}

// parseKB reads "   1234 kB" as bytes.
func parseKB(v []byte) (int64, error) {
	f := bytes.Fields(v)
	if len(f) != 2 || string(f[1]) != "kB" {
		return 0, fmt.Errorf("want \"N kB\", got %q", bytes.TrimSpace(v))
	}
	n, err := strconv.ParseInt(string(f[0]), 10, 64)
	return n * 1024, err
}

// threadCPU is the CPU time of the calling OS thread (getrusage RUSAGE_THREAD, µs
// resolution). The caller must have locked its goroutine to the thread.
func threadCPU() (time.Duration, error) {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_THREAD, &ru); err != nil {
		return 0, fmt.Errorf("getrusage: %w", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}
