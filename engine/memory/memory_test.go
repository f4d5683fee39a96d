package memory_test

import (
	"testing"

	"relaybase"
	"relaybase/engine/enginetest"
	"relaybase/engine/memory"
)

// newNodes gives the suites n nodes on a network of their own.
func newNodes(t *testing.T, n int) []relaybase.Engine {
	net := memory.NewNetwork()
	nodes := make([]relaybase.Engine, n)
	for i := range nodes {
		nodes[i] = net.Node()
	}
	return nodes
}

func TestEngine(t *testing.T) {
	enginetest.Run(t, newNodes, enginetest.Options{Interrupt: func(t *testing.T, e relaybase.Engine) {
		node := e.(*memory.Engine)
		node.Disconnect()
		node.Reconnect()
	}})
}

func BenchmarkPublish(b *testing.B) {
	e := memory.New()
	n := 0
	if err := e.Start(b.Context(), func(string, []byte) { n++ }); err != nil {
		b.Fatal(err)
	}
	if err := e.Subscribe(b.Context(), "room"); err != nil {
		b.Fatal(err)
	}
	msg := []byte("hello")
	b.ReportAllocs()
	for b.Loop() {
		_ = e.Publish(b.Context(), "room", msg)
	}
	if n == 0 {
		b.Fatal("nothing delivered")
	}
}

func TestCache(t *testing.T) {
	enginetest.RunCache(t, newNodes, 0)
}
