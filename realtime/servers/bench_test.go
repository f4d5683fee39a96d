package servers_test

import (
	"bytes"
	"context"
	"strings"
	"syscall"
	"testing"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"

	"relaybase/engine/memory"
)

// BenchmarkAck is one ack over a real WebSocket on loopback: the client writes
// {"action":"ack",...} and reads the server's {"action":"ack",...,"cursor"} reply. It is the
// part of a delivery that acks add on the server (read, decode, cursor noted for the
// write-behind, reply queued and written), plus the client's own write and read;
// allocations and cpu-ns/op are the whole process's (client included).
func BenchmarkAck(b *testing.B) {
	n := newNode(b, "", memory.New())
	if err := n.publish("rooms/1", map[string]any{"n": 1}, false); err != nil {
		b.Fatal(err)
	}
	conn, br, _, err := ws.Dialer{Timeout: wait}.Dial(context.Background(), "ws"+strings.TrimPrefix(n.hs.URL, "http")+"/ws/chatrt01")
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	if br != nil {
		b.Fatal("frames came with the handshake")
	}
	send := func(s string) {
		if err := wsutil.WriteClientText(conn, []byte(s)); err != nil {
			b.Fatal(err)
		}
	}
	// read reads server frames until one starts with prefix.
	read := func(prefix string) {
		for {
			data, err := wsutil.ReadServerText(conn)
			if err != nil {
				b.Fatal(err)
			}
			if bytes.HasPrefix(data, []byte(prefix)) {
				return
			}
			if bytes.HasPrefix(data, []byte(`{"action":"error"`)) {
				b.Fatalf("refused: %s", data)
			}
		}
	}
	send(`{"action":"join","channel":"rooms/1","options":{"client_id":"bench"}}`)
	send(`{"action":"ping"}`)
	read(`{"action":"pong"`)
	ack := []byte(`{"action":"ack","channel":"rooms/1","id":"1"}`)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPU(b)
	for range b.N {
		if err := wsutil.WriteClientText(conn, ack); err != nil {
			b.Fatal(err)
		}
		read(`{"action":"ack"`)
	}
	// CPU time rather than wall time: on a shared machine a round trip mostly waits.
	b.ReportMetric(float64(processCPU(b)-cpu0)/float64(b.N), "cpu-ns/op")
}

// processCPU is the CPU time (user + system) this process has used, in nanoseconds.
func processCPU(b *testing.B) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
