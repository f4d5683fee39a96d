package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// The floor is what fan-out costs with no server logic at all: one process that accepts N
// loopback connections and, R times a second, writes the same ~120-byte WebSocket frame
// to each with one write(2) apiece, as a server fanning out one publish would. Its CPU per
// write is the physical limit that the fanout scenario is judged against.

// FloorWriterConfig configures the floor's writer process (relaybase-bench floor-serve).
type FloorWriterConfig struct {
	Members  int
	Rate     float64 // rounds per second
	Duration time.Duration
	Size     int    // marker bytes, as the fanout scenario's --size
	Channel  string // the channel name written in the frame
	CPU      string // pin every thread to these CPUs (taskset -c syntax); empty: don't
}

// floorStats is the writer's account of its rounds.
type floorStats struct {
	Writes     int64  `json:"writes"`
	Rounds     int64  `json:"rounds"`
	FrameBytes int    `json:"frame_bytes"`
	ThreadCPU  int64  `json:"thread_cpu_ns"`  // the writing thread
	ProcessCPU int64  `json:"process_cpu_ns"` // the whole writer process (0 in-process)
	First      int64  `json:"first_ns"`       // wall ns of the first write
	Err        string `json:"error,omitempty"`
}

// floorWriter owns the listening socket and the accepted sockets (blocking fds).
type floorWriter struct {
	lfd  int
	port int
	fds  []int
}

func newFloorWriter() (*floorWriter, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("floor: socket: %w", err)
	}
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("floor: bind: %w", err)
	}
	if err := unix.Listen(fd, 4096); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("floor: listen: %w", err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("floor: getsockname: %w", err)
	}
	return &floorWriter{lfd: fd, port: sa.(*unix.SockaddrInet4).Port}, nil
}

func (w *floorWriter) addr() string { return "127.0.0.1:" + strconv.Itoa(w.port) }

// acceptAll accepts n connections, waiting at most until deadline.
func (w *floorWriter) acceptAll(n int, deadline time.Time) error {
	for len(w.fds) < n {
		nfd, _, err := unix.Accept4(w.lfd, unix.SOCK_CLOEXEC)
		switch {
		case err == nil:
			_ = unix.SetsockoptInt(nfd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
			w.fds = append(w.fds, nfd)
			continue
		case err == unix.EAGAIN || err == unix.EINTR:
		default:
			return fmt.Errorf("floor: accept: %w", err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("floor: %d of %d connections accepted before the deadline", len(w.fds), n)
		}
		_, _ = unix.Poll([]unix.PollFd{{Fd: int32(w.lfd), Events: unix.POLLIN}}, 50)
	}
	return nil
}

func (w *floorWriter) close() {
	for _, fd := range w.fds {
		unix.Close(fd)
	}
	w.fds = nil
	unix.Close(w.lfd)
}

// floorFrame appends the frame the floor writes: the event frame relaybase writes for a
// publish to the bench workspace's event endpoint, without an offset.
func floorFrame(dst []byte, channel string, sentNs, seq int64, size int) []byte {
	p := make([]byte, 0, 96+size)
	p = append(p, `{"action":"event","options":{"channel":`...)
	p = strconv.AppendQuote(p, channel)
	p = append(p, `},"payload":{"m":"`...)
	p = appendMarker(p, sentNs, seq, size)
	p = append(p, `"}}`...)
	return appendServerFrame(dst, opText, p)
}

// writeRounds writes the rounds on one locked OS thread and measures that thread's CPU.
func (w *floorWriter) writeRounds(ctx context.Context, cfg FloorWriterConfig) floorStats {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var st floorStats
	var ru0 unix.Rusage
	_ = unix.Getrusage(unix.RUSAGE_SELF, &ru0)
	t0, err := threadCPU()
	if err != nil {
		st.Err = err.Error()
		return st
	}
	pacer := Pacer{Start: time.Now(), Rate: cfg.Rate}
	total := pacer.Total(cfg.Duration)
	frame := make([]byte, 0, 256+cfg.Size)
	st.Rounds = schedule(ctx, pacer, total, wallClock{}, func(i int64, _ time.Time) {
		now := time.Now().UnixNano()
		if i == 0 {
			st.First = now
		}
		frame = floorFrame(frame[:0], cfg.Channel, now, i, cfg.Size)
		for _, fd := range w.fds {
			if _, err := unix.Write(fd, frame); err != nil && st.Err == "" {
				st.Err = "write: " + err.Error()
			}
			st.Writes++
		}
	})
	t1, _ := threadCPU()
	var ru1 unix.Rusage
	_ = unix.Getrusage(unix.RUSAGE_SELF, &ru1)
	st.ThreadCPU = int64(t1 - t0)
	st.ProcessCPU = (ru1.Utime.Nano() + ru1.Stime.Nano()) - (ru0.Utime.Nano() + ru0.Stime.Nano())
	st.FrameBytes = len(frame)
	return st
}

// RunFloorWriter is the floor's writer process: it listens on loopback, prints
// "listening ADDR", accepts cfg.Members connections, prints "accepted N", waits for a line
// on in, writes its rounds, and prints its floorStats as one JSON line.
func RunFloorWriter(ctx context.Context, cfg FloorWriterConfig, in io.Reader, out io.Writer) error {
	if cfg.CPU != "" {
		if err := pinProcess(cfg.CPU); err != nil {
			return err
		}
	}
	w, err := newFloorWriter()
	if err != nil {
		return err
	}
	defer w.close()
	fmt.Fprintf(out, "listening %s\n", w.addr())
	if err := w.acceptAll(cfg.Members, time.Now().Add(2*time.Minute)); err != nil {
		return err
	}
	fmt.Fprintf(out, "accepted %d\n", len(w.fds))
	rd := bufio.NewReader(in)
	if _, err := rd.ReadString('\n'); err != nil {
		return fmt.Errorf("floor: waiting for go: %w", err)
	}
	st := w.writeRounds(ctx, cfg)
	if err := json.NewEncoder(out).Encode(st); err != nil {
		return err
	}
	// Keep the sockets open until the receivers are done with them (stdin closes).
	_, _ = io.Copy(io.Discard, rd)
	return nil
}

// pinProcess sets the CPU affinity of every thread of this process; threads created later
// inherit it from their creator.
func pinProcess(list string) error {
	var set unix.CPUSet
	for _, part := range strings.Split(list, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(strings.TrimSpace(lo))
		if err != nil {
			return fmt.Errorf("cpu list %q: %w", list, err)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(strings.TrimSpace(hi)); err != nil {
				return fmt.Errorf("cpu list %q: %w", list, err)
			}
		}
		for c := a; c <= b; c++ {
			set.Set(c)
		}
	}
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return err
	}
	for _, t := range tasks {
		tid, err := strconv.Atoi(t.Name())
		if err != nil {
			continue
		}
		if err := unix.SchedSetaffinity(tid, &set); err != nil && !errors.Is(err, unix.ESRCH) {
			return fmt.Errorf("pin to CPUs %s: %w", list, err)
		}
	}
	return nil
}

// floorRunner runs a floor writer for the floor scenario: in this process, or as a child.
type floorRunner interface {
	addr() string
	pid() int // 0 when in-process
	accepted() error
	start() error
	result() (floorStats, error)
	close()
}

type inProcFloor struct {
	w      *floorWriter
	acc    chan error
	goCh   chan struct{}
	res    chan floorStats
	cancel context.CancelFunc
}

func startInProcFloor(ctx context.Context, cfg FloorWriterConfig) (*inProcFloor, error) {
	w, err := newFloorWriter()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	f := &inProcFloor{w: w, acc: make(chan error, 1), goCh: make(chan struct{}), res: make(chan floorStats, 1), cancel: cancel}
	go func() {
		err := w.acceptAll(cfg.Members, time.Now().Add(2*time.Minute))
		f.acc <- err
		if err != nil {
			return
		}
		select {
		case <-f.goCh:
			f.res <- w.writeRounds(ctx, cfg)
		case <-ctx.Done():
		}
	}()
	return f, nil
}

func (f *inProcFloor) addr() string    { return f.w.addr() }
func (f *inProcFloor) pid() int        { return 0 }
func (f *inProcFloor) accepted() error { return <-f.acc }
func (f *inProcFloor) start() error    { close(f.goCh); return nil }
func (f *inProcFloor) result() (floorStats, error) {
	st := <-f.res
	st.ProcessCPU = 0 // the receivers share this process
	return st, nil
}
func (f *inProcFloor) close() { f.cancel(); f.w.close() }

type childFloor struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	out    *bufio.Reader
	listen string
	stderr strings.Builder
}

func startChildFloor(ctx context.Context, argv []string, cfg FloorWriterConfig) (*childFloor, error) {
	args := append(argv[1:len(argv):len(argv)],
		"--members", strconv.Itoa(cfg.Members),
		"--rate", strconv.FormatFloat(cfg.Rate, 'f', -1, 64),
		"--duration", cfg.Duration.String(),
		"--size", strconv.Itoa(cfg.Size),
		"--channel", cfg.Channel)
	if cfg.CPU != "" {
		args = append(args, "--cpu", cfg.CPU)
	}
	f := &childFloor{cmd: exec.CommandContext(ctx, argv[0], args...)}
	f.cmd.Stderr = &f.stderr
	var err error
	if f.stdin, err = f.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	stdout, err := f.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	f.out = bufio.NewReader(stdout)
	if err := f.cmd.Start(); err != nil {
		return nil, fmt.Errorf("floor writer: %w", err)
	}
	line, err := f.line("listening ")
	if err != nil {
		f.close()
		return nil, err
	}
	f.listen = line
	return f, nil
}

// line reads the next line from the child and wants it to start with prefix.
func (f *childFloor) line(prefix string) (string, error) {
	s, err := f.out.ReadString('\n')
	if err != nil {
		return "", fmt.Errorf("floor writer: %v (stderr: %s)", err, strings.TrimSpace(f.stderr.String()))
	}
	rest, ok := strings.CutPrefix(strings.TrimSpace(s), prefix)
	if !ok {
		return "", fmt.Errorf("floor writer said %q, want %q…", s, prefix)
	}
	return rest, nil
}

func (f *childFloor) addr() string { return f.listen }
func (f *childFloor) pid() int     { return f.cmd.Process.Pid }
func (f *childFloor) accepted() error {
	_, err := f.line("accepted ")
	return err
}
func (f *childFloor) start() error {
	_, err := io.WriteString(f.stdin, "go\n")
	return err
}
func (f *childFloor) result() (floorStats, error) {
	var st floorStats
	s, err := f.out.ReadString('\n')
	if err != nil {
		return st, fmt.Errorf("floor writer: %v (stderr: %s)", err, strings.TrimSpace(f.stderr.String()))
	}
	if err := json.Unmarshal([]byte(s), &st); err != nil {
		return st, fmt.Errorf("floor writer result %q: %w", s, err)
	}
	return st, nil
}
func (f *childFloor) close() {
	_ = f.stdin.Close()
	done := make(chan error, 1)
	go func() { done <- f.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = f.cmd.Process.Kill()
		<-done
	}
}

// runFloor measures the floor: the writer (a child process when o.FloorCmd is set) writes
// one frame per member per round, and the members receive them like fanout's.
func runFloor(ctx context.Context, o Options, r *Result) error {
	cfg := FloorWriterConfig{Members: o.Members, Rate: o.Rate, Duration: o.Duration, Size: o.Size, Channel: o.Channel, CPU: o.WriterCPU}
	var (
		fr  floorRunner
		err error
	)
	if len(o.FloorCmd) > 0 {
		fr, err = startChildFloor(ctx, o.FloorCmd, cfg)
	} else {
		fr, err = startInProcFloor(ctx, cfg)
	}
	if err != nil {
		return err
	}
	defer fr.close()
	r.Params.URL = "tcp://" + fr.addr()
	if pid := fr.pid(); pid > 0 {
		r.Params.Pid = pid
		r.Machine.ServerCPUs = cpusAllowed(pid)
	}

	var sa unix.SockaddrInet4
	sa.Addr = [4]byte{127, 0, 0, 1}
	_, port, _ := strings.Cut(fr.addr(), ":")
	sa.Port, _ = strconv.Atoi(port)
	sw, err := newSwarm(swarmConfig{addr: sa, raw: true, loops: o.Loops})
	if err != nil {
		return err
	}
	defer sw.close()
	specs := make([]*clientSpec, o.Members)
	for i := range specs {
		specs[i] = &clientSpec{}
	}
	sw.open(specs)
	rctx, cancel := context.WithTimeout(ctx, o.Ramp)
	defer cancel()
	if _, err := sw.waitJoined(rctx, int64(o.Members)); err != nil {
		return fmt.Errorf("connecting to the floor writer: %w", err)
	}
	if err := fr.accepted(); err != nil {
		return err
	}
	r.Members = sw.joined()
	logf(o, "writing %s rounds/s to %d sockets for %s", num(o.Rate), o.Members, o.Duration)
	before := probeCPU(0)
	if err := fr.start(); err != nil {
		return err
	}
	st, err := fr.result()
	if err != nil {
		return err
	}
	if st.Err != "" {
		r.Notes = append(r.Notes, "writer: "+st.Err)
	}
	r.Expected = st.Writes
	r.Publishes = st.Rounds
	end, complete := waitDeliveries(ctx, sw, r.Expected, o.Drain)
	after := probeCPU(0)
	ss := sw.close()
	fillDeliveries(r, ss, st.First, end)
	if !complete {
		r.Notes = append(r.Notes, fmt.Sprintf("%d frames written but not received", r.Lost))
	}
	fillCPU(r, before, after, 0)
	f := &FloorResult{Writes: st.Writes, Rounds: st.Rounds, FrameBytes: st.FrameBytes}
	if st.Writes > 0 {
		f.ThreadCPUPerWrite = float64(st.ThreadCPU) / 1e3 / float64(st.Writes)
		f.ProcCPUPerWrite = float64(st.ProcessCPU) / 1e3 / float64(st.Writes)
	}
	r.Floor = f
	r.FloorMicros = f.ThreadCPUPerWrite
	if f.ProcCPUPerWrite > 0 {
		// Judged like the server: the whole process's CPU over the writes.
		r.FloorMicros = f.ProcCPUPerWrite
		r.ServerCPUSeconds = float64(st.ProcessCPU) / 1e9
		if r.WindowSeconds > 0 {
			r.ServerCPUPercent = 100 * r.ServerCPUSeconds / r.WindowSeconds
		}
	}
	return nil
}
