//go:build integration

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
	goredis "github.com/redis/go-redis/v9"
)

// The fault tests: two nodes, members on both, steady posts through both, and a service
// (Redis, PostgreSQL) or a node killed mid-stream. A checker then asserts that every member
// received every event whose post was acknowledged (2xx), exactly once, in offset order,
// with no offset missing, within a bounded time after the service came back.

const faultRoom = "marvel_chat_room"

// faultWorkspace copies examples/chat into a temporary directory with the room keeping
// 1,000 frames of history, so that nothing a test posts is trimmed.
func faultWorkspace(t *testing.T) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "chat")
	src := "../../examples/chat"
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if strings.HasPrefix(rel, ".relaybase") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if rel == filepath.Join("realtime", "channel", "marvel_chat_room.xs") {
			b = bytes.Replace(b, []byte("message_history: 100"), []byte("message_history: 1000"), 1)
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatalf("copy the chat example: %v", err)
	}
	return dst
}

// freeLoopbackPort returns a loopback TCP port nothing listens on now.
func freeLoopbackPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// privateRedis is a redis-server of the test's own, without persistence, on a fixed port
// so that it can be killed and started again where the nodes expect it.
type privateRedis struct {
	t    *testing.T
	port int
	dir  string
	cmd  *exec.Cmd
	out  *bytes.Buffer
}

func startPrivateRedis(t *testing.T) *privateRedis {
	t.Helper()
	r := &privateRedis{t: t, port: freeLoopbackPort(t), dir: t.TempDir()}
	r.start()
	t.Cleanup(r.kill)
	return r
}

func (r *privateRedis) url() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", r.port) }

func (r *privateRedis) start() {
	r.t.Helper()
	r.out = &bytes.Buffer{}
	r.cmd = exec.Command("/usr/bin/redis-server", "--port", strconv.Itoa(r.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", r.dir)
	r.cmd.Stdout, r.cmd.Stderr = r.out, r.out
	if err := r.cmd.Start(); err != nil {
		r.t.Fatalf("start redis-server: %v", err)
	}
	c := goredis.NewClient(&goredis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", r.port), MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(15 * time.Second)
	for c.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			r.t.Fatalf("redis-server on port %d did not answer:\n%s", r.port, r.out)
		}
		time.Sleep(5 * time.Millisecond) // polling for the server to answer
	}
}

// kill ends redis-server with SIGKILL, as a crash would.
func (r *privateRedis) kill() {
	if r.cmd == nil {
		return
	}
	_ = r.cmd.Process.Kill()
	_ = r.cmd.Wait()
	r.cmd = nil
}

// privatePostgres is a PostgreSQL of the test's own (initdb in a temporary directory),
// started and stopped with pg_ctl on a fixed port.
type privatePostgres struct {
	t    *testing.T
	bin  string
	dir  string
	port int
	asPG bool // root: the server runs as the postgres user
}

func startPrivatePostgres(t *testing.T) *privatePostgres {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 {
		t.Fatal("this test starts a PostgreSQL of its own, and there is no /usr/lib/postgresql/*/bin/initdb")
	}
	slices.Sort(bins)
	p := &privatePostgres{t: t, bin: filepath.Dir(bins[len(bins)-1]), port: freeLoopbackPort(t), asPG: os.Getuid() == 0}
	dir, err := os.MkdirTemp("", "rbpg")
	if err != nil {
		t.Fatal(err)
	}
	p.dir = dir
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if p.asPG {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("running as root, PostgreSQL needs the postgres user: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		_ = p.pgctl("-m", "immediate", "-w", "-t", "30", "stop")
		os.RemoveAll(dir)
	})
	if out, err := p.command("initdb", "-D", p.data(), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale", "--no-sync").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	p.start()
	return p
}

func (p *privatePostgres) data() string { return filepath.Join(p.dir, "data") }

func (p *privatePostgres) url() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", p.port)
}

func (p *privatePostgres) command(prog string, args ...string) *exec.Cmd {
	path := filepath.Join(p.bin, prog)
	if p.asPG {
		return exec.Command("runuser", append([]string{"-u", "postgres", "--", path}, args...)...)
	}
	return exec.Command(path, args...)
}

func (p *privatePostgres) pgctl(args ...string) error {
	out, err := p.command("pg_ctl", append([]string{"-D", p.data()}, args...)...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("pg_ctl %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

func (p *privatePostgres) start() {
	p.t.Helper()
	// synchronous_commit stays on: with it off, an immediate shutdown loses transactions
	// PostgreSQL had already acknowledged (and reuses their offsets), which is no test of
	// relaybase. fsync=off only skips the disk flush, which a process's death doesn't need.
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=off -c full_page_writes=off", p.port, p.dir)
	if err := p.pgctl("-l", filepath.Join(p.dir, "server.log"), "-w", "-t", "60", "-o", opts, "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(p.dir, "server.log"))
		p.t.Fatalf("%v\n%s", err, log)
	}
}

// stop stops the server at once (immediate shutdown: clients' connections are cut).
func (p *privatePostgres) stop() {
	p.t.Helper()
	if err := p.pgctl("-m", "immediate", "-w", "-t", "30", "stop"); err != nil {
		p.t.Fatal(err)
	}
}

// faultMember is a realtime client joined to the room that records every event it gets.
type faultMember struct {
	name string
	conn net.Conn
	done chan struct{}

	mu     sync.Mutex
	epoch  string
	joined int64 // the join reply's offset
	events []faultEvent
	gaps   int   // history_gap errors
	err    error // why reading stopped
}

type faultEvent struct {
	offset int64
	id     int64
}

// dialMember connects to url, joins the room (resuming after since in epoch when epoch is
// given) and reads in the background until the connection ends.
func dialMember(t *testing.T, name, url string, resume *faultEvent, epoch string) *faultMember {
	t.Helper()
	conn, br, _, err := ws.Dialer{Timeout: 5 * time.Second}.Dial(context.Background(), url)
	if err != nil {
		t.Fatalf("%s: dial %s: %v", name, url, err)
	}
	m := &faultMember{name: name, conn: conn, done: make(chan struct{}), joined: -1}
	var r io.Reader = conn
	if br != nil {
		r = io.MultiReader(br, conn)
	}
	payload := map[string]any{"history": false, "presence": false}
	if resume != nil {
		payload["since"], payload["epoch"] = resume.offset, epoch
	}
	data, _ := json.Marshal(map[string]any{"action": "join", "options": map[string]any{"channel": faultRoom}, "payload": payload})
	if err := wsutil.WriteClientText(conn, data); err != nil {
		t.Fatalf("%s: join: %v", name, err)
	}
	go m.read(r)
	t.Cleanup(m.close)
	eventually(t, name+" joined", func() bool {
		m.mu.Lock()
		defer m.mu.Unlock()
		return m.joined >= 0 || m.err != nil
	})
	return m
}

func (m *faultMember) read(r io.Reader) {
	defer close(m.done)
	rw := struct {
		io.Reader
		io.Writer
	}{r, m.conn}
	for {
		data, op, err := wsutil.ReadServerData(rw)
		if err != nil {
			m.mu.Lock()
			m.err = err
			m.mu.Unlock()
			return
		}
		if op != ws.OpText {
			continue
		}
		var f struct {
			Action  string          `json:"action"`
			Offset  int64           `json:"offset"`
			Payload json.RawMessage `json:"payload"`
		}
		if json.Unmarshal(data, &f) != nil {
			continue
		}
		m.mu.Lock()
		switch f.Action {
		case "join":
			var p struct {
				Epoch  string `json:"epoch"`
				Offset int64  `json:"offset"`
			}
			_ = json.Unmarshal(f.Payload, &p)
			m.epoch, m.joined = p.Epoch, p.Offset
		case "event":
			var row struct {
				ID int64 `json:"id"`
			}
			_ = json.Unmarshal(f.Payload, &row)
			m.events = append(m.events, faultEvent{offset: f.Offset, id: row.ID})
		case "error":
			if bytes.Contains(f.Payload, []byte(`"history_gap"`)) {
				m.gaps++
			}
		}
		m.mu.Unlock()
	}
}

func (m *faultMember) close() {
	m.conn.Close()
	<-m.done
}

func (m *faultMember) snapshot() (events []faultEvent, joined int64, gaps int, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.events), m.joined, m.gaps, m.err
}

// poster posts to the room through the nodes in turn until stopped, and records which
// posts were acknowledged (by row id) and the status of every other answer.
type poster struct {
	bases []string
	every time.Duration
	stop  chan struct{}
	done  chan struct{}

	mu       sync.Mutex
	acked    []int64
	failures map[int]int // status → count; 0: no answer
	nodeDown map[string]bool
}

func startPoster(bases []string, every time.Duration) *poster {
	p := &poster{bases: bases, every: every, stop: make(chan struct{}), done: make(chan struct{}),
		failures: map[int]int{}, nodeDown: map[string]bool{}}
	go p.run()
	return p
}

func (p *poster) run() {
	defer close(p.done)
	client := &http.Client{Timeout: 10 * time.Second}
	t := time.NewTicker(p.every)
	defer t.Stop()
	for i := 0; ; i++ {
		select {
		case <-p.stop:
			return
		case <-t.C:
		}
		base := p.bases[i%len(p.bases)]
		p.mu.Lock()
		down := p.nodeDown[base]
		p.mu.Unlock()
		if down {
			continue
		}
		body := fmt.Sprintf(`{"channel":%q,"text":"post %d","author":"fault"}`, faultRoom, i)
		resp, err := client.Post(base+"/api:chat/messages", "application/json", strings.NewReader(body))
		if err != nil {
			p.mu.Lock()
			p.failures[0]++
			p.mu.Unlock()
			continue
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		p.mu.Lock()
		if resp.StatusCode/100 == 2 {
			var row struct {
				ID int64 `json:"id"`
			}
			_ = json.Unmarshal(data, &row)
			p.acked = append(p.acked, row.ID)
		} else {
			p.failures[resp.StatusCode]++
		}
		p.mu.Unlock()
	}
}

// skip stops posting to a node (it is about to be killed).
func (p *poster) skip(base string) {
	p.mu.Lock()
	p.nodeDown[base] = true
	p.mu.Unlock()
}

func (p *poster) end() ([]int64, map[int]int) {
	close(p.stop)
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.acked), p.failures
}

func (p *poster) ackedCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.acked)
}

// waitAcked waits until n more posts were acknowledged than when called.
func (p *poster) waitMore(t *testing.T, n int, what string) {
	t.Helper()
	want := p.ackedCount() + n
	eventually(t, what, func() bool { return p.ackedCount() >= want })
}

// checkDelivery waits (until deadline) for every member to have every acknowledged post,
// then asserts exactly once, in offset order, with no offset missing from the first it got.
func checkDelivery(t *testing.T, members []*faultMember, acked []int64, deadline time.Time) {
	t.Helper()
	want := make(map[int64]bool, len(acked))
	for _, id := range acked {
		want[id] = true
	}
	for _, m := range members {
		for {
			events, _, _, _ := m.snapshot()
			got := 0
			for _, e := range events {
				if want[e.id] {
					got++
				}
			}
			if got >= len(want) {
				break
			}
			if time.Now().After(deadline) {
				missing := []int64{}
				have := map[int64]bool{}
				for _, e := range events {
					have[e.id] = true
				}
				for _, id := range acked {
					if !have[id] {
						missing = append(missing, id)
					}
				}
				_, joined, gaps, err := m.snapshot()
				t.Fatalf("%s: %d of %d acknowledged events by the deadline; missing ids %v (joined at %d, %d gaps, events %+v, read error %v)",
					m.name, got, len(want), missing, joined, gaps, events, err)
			}
			time.Sleep(10 * time.Millisecond) // polling for the member to catch up
		}
	}
	for _, m := range members {
		events, joined, gaps, _ := m.snapshot()
		if gaps > 0 {
			t.Errorf("%s was told of %d gaps: every frame was stored, so none should be", m.name, gaps)
		}
		seen := map[int64]int{}
		prev := joined
		for i, e := range events {
			if e.offset != prev+1 {
				t.Fatalf("%s: event %d has offset %d after %d (want %d): out of order or missing", m.name, i, e.offset, prev, prev+1)
			}
			prev = e.offset
			seen[e.id]++
		}
		for _, id := range acked {
			if seen[id] != 1 {
				t.Fatalf("%s received acknowledged post %d %d times", m.name, id, seen[id])
			}
		}
	}
}

// TestFaultRedisRestarts: Redis is SIGKILLed and started again on the same port twice
// while posts go through both nodes; every member gets every acknowledged event once, in
// order, within 15 s of Redis's return.
func TestFaultRedisRestarts(t *testing.T) {
	dir := faultWorkspace(t)
	db := freshSchema(t)
	redis := startPrivateRedis(t)
	a := startServer(t, dir, t.TempDir(), "--db", db, "--engine", redis.url())
	b := startServer(t, dir, t.TempDir(), "--db", db, "--engine", redis.url())
	var members []*faultMember
	for i, s := range []*server{a, b, a, b} {
		members = append(members, dialMember(t, fmt.Sprintf("member %d on node %c", i, 'A'+i%2), s.ws, nil, ""))
	}

	p := startPoster([]string{a.base, b.base}, 25*time.Millisecond)
	p.waitMore(t, 20, "posts before the first kill")
	var back time.Time
	for round := range 2 {
		redis.kill()
		p.waitMore(t, 30, fmt.Sprintf("posts while Redis is down (round %d)", round))
		redis.start()
		back = time.Now()
		p.waitMore(t, 30, fmt.Sprintf("posts after Redis is back (round %d)", round))
	}
	acked, failures := p.end()
	if len(failures) > 0 {
		t.Errorf("posts failed while only Redis was down (status → count): %v", failures)
	}
	checkDelivery(t, members, acked, back.Add(15*time.Second))
}

// TestFaultPostgresRestart: PostgreSQL stops (immediate shutdown) and starts again while
// posts go through both nodes: while it is down the endpoints answer 503, afterwards they
// recover by themselves, and every member gets every acknowledged event once, in order.
func TestFaultPostgresRestart(t *testing.T) {
	dir := faultWorkspace(t)
	pg := startPrivatePostgres(t)
	redis := startPrivateRedis(t)
	a := startServer(t, dir, t.TempDir(), "--db", pg.url(), "--engine", redis.url())
	b := startServer(t, dir, t.TempDir(), "--db", pg.url(), "--engine", redis.url())
	var members []*faultMember
	for i, s := range []*server{a, b, a, b} {
		members = append(members, dialMember(t, fmt.Sprintf("member %d on node %c", i, 'A'+i%2), s.ws, nil, ""))
	}

	p := startPoster([]string{a.base, b.base}, 25*time.Millisecond)
	p.waitMore(t, 20, "posts before the stop")
	pg.stop()
	// Down: posts are refused with 503 (polled: the poster records every answer).
	eventually(t, "a 503 while PostgreSQL is down", func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.failures[http.StatusServiceUnavailable] >= 4
	})
	pg.start()
	back := time.Now()
	p.waitMore(t, 30, "posts after PostgreSQL is back")
	if d := time.Since(back); d > 20*time.Second {
		t.Errorf("the endpoints took %v to recover after PostgreSQL came back", d)
	}
	acked, failures := p.end()
	for status, n := range failures {
		if status != http.StatusServiceUnavailable {
			t.Errorf("%d posts answered %d while PostgreSQL was down, want 503 only (all: %v)", n, status, failures)
		}
	}
	checkDelivery(t, members, acked, back.Add(15*time.Second))
}

// TestFaultNodeKilled: one node is killed with SIGKILL while its members are joined; they
// connect to the other node, resume with since, and have every acknowledged event once, in
// order, with nothing missing.
func TestFaultNodeKilled(t *testing.T) {
	dir := faultWorkspace(t)
	db := freshSchema(t)
	redis := startPrivateRedis(t)
	a := startNodeProcess(t, dir, t.TempDir(), "--db", db, "--engine", redis.url(), "--rt-gap-check", "1s")
	b := startServer(t, dir, t.TempDir(), "--db", db, "--engine", redis.url(), "--rt-gap-check", "1s")
	onA := []*faultMember{dialMember(t, "member 0 on node A", a.ws, nil, ""), dialMember(t, "member 1 on node A", a.ws, nil, "")}
	onB := []*faultMember{dialMember(t, "member 2 on node B", b.ws, nil, "")}

	p := startPoster([]string{a.base, b.base}, 25*time.Millisecond)
	p.waitMore(t, 30, "posts before the kill")
	p.skip(a.base)
	a.kill()
	// Node A's members see their connection end, and come back on node B where they left off.
	var members []*faultMember
	for i, m := range onA {
		eventually(t, m.name+" sees node A gone", func() bool { _, _, _, err := m.snapshot(); return err != nil })
		events, joined, _, _ := m.snapshot()
		last := faultEvent{offset: joined}
		if len(events) > 0 {
			last = events[len(events)-1]
		}
		m.mu.Lock()
		epoch := m.epoch
		m.mu.Unlock()
		back := dialMember(t, fmt.Sprintf("member %d, back on node B", i), b.ws, &last, epoch)
		// The resumed member's stream continues the one it had on node A.
		back.mu.Lock()
		back.joined = joined
		back.events = append(events, back.events...)
		back.mu.Unlock()
		members = append(members, back)
	}
	p.waitMore(t, 30, "posts after the kill")
	acked, _ := p.end()
	checkDelivery(t, append(members, onB...), acked, time.Now().Add(15*time.Second))
}

// nodeProcess is relaybase serve running as a process of its own (this test binary run
// again, see TestMain), so that it can be killed.
type nodeProcess struct {
	cmd  *exec.Cmd
	base string
	ws   string
	done chan struct{}
}

func startNodeProcess(t *testing.T, dir, data string, extra ...string) *nodeProcess {
	t.Helper()
	args := append([]string{"serve", dir, "--addr", "127.0.0.1:0", "--data", data}, extra...)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), serveEnv+"="+strings.Join(args, "\x1f"))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start a node process: %v", err)
	}
	n := &nodeProcess{cmd: cmd, done: make(chan struct{})}
	urls := make(chan string, 1)
	go func() {
		defer close(n.done)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := realtimeLine.FindStringSubmatch(sc.Text()); m != nil {
				urls <- m[1]
			}
		}
		_ = cmd.Wait()
	}()
	t.Cleanup(n.kill)
	select {
	case u := <-urls:
		n.ws = strings.Replace(u, "localhost", "127.0.0.1", 1)
		n.base = "http://" + strings.SplitN(strings.TrimPrefix(n.ws, "ws://"), "/", 2)[0]
	case <-n.done:
		t.Fatalf("the node process exited before serving:\n%s", stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("the node process did not start:\n%s", stderr.String())
	}
	return n
}

// kill ends the node with SIGKILL and waits for it.
func (n *nodeProcess) kill() {
	if n.cmd.ProcessState == nil {
		_ = n.cmd.Process.Kill()
	}
	<-n.done
}

// eventually polls cond until it holds, failing the test after 20 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 20s", what)
		}
		time.Sleep(5 * time.Millisecond) // polling
	}
}
