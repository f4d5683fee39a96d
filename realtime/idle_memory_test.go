//go:build !race

// The race detector multiplies memory, so this measurement runs in normal builds only.

package realtime

import (
	"context"
	"net"
	"runtime"
	"testing"

	"github.com/gobwas/ws"
)

// TestIdleMemory measures what an idle connection joined to one channel costs (heap and
// stacks after GC, product.md: ≤ 12 KB). The clients are in the same process but keep no
// goroutine, so the figure includes their sockets too: it errs on the high side.
func TestIdleMemory(t *testing.T) {
	const n = 2000
	e := newEnv(t, withStore(nil))
	measure := func() uint64 {
		var ms runtime.MemStats
		for range 3 {
			runtime.GC()
		}
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc + ms.StackInuse
	}
	conns := make([]net.Conn, 0, n)
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	// Warm up the pools and the runtime before the baseline.
	for range 50 {
		conns = append(conns, idleJoin(t, e.url))
	}
	before := measure()
	for range n {
		conns = append(conns, idleJoin(t, e.url))
	}
	after := measure()
	per := float64(after-before) / n
	t.Logf("%.0f bytes per idle connection joined to one channel (%d connections)", per, n)
	if per > 12*1024 {
		t.Fatalf("an idle connection costs %.0f bytes, want at most 12 KB", per)
	}
	runtime.KeepAlive(conns)
}

// idleJoin connects, joins "public" and reads the reply, keeping no goroutine.
func idleJoin(t *testing.T, url string) net.Conn {
	t.Helper()
	nc, br, _, err := ws.Dialer{}.Dial(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	if br != nil {
		ws.PutReader(br)
	}
	join := ws.MaskFrameInPlace(ws.NewTextFrame([]byte(`{"action":"join","options":{"channel":"public"},"payload":null}`)))
	if err := ws.WriteFrame(nc, join); err != nil {
		t.Fatal(err)
	}
	if _, _, err := readFrame(nc); err != nil {
		t.Fatal(err)
	}
	return nc
}
