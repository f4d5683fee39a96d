package realtime

import (
	"testing"

	"github.com/gobwas/ws"
)

// A text message that is not UTF-8 closes the connection with 1007 (RFC 6455 §8.1), whether
// it came whole, in fragments or compressed; a character split across fragments is fine.
func TestTextMustBeUTF8(t *testing.T) {
	e := newEnv(t, withStore(nil), withDeflate(true))
	bad := []byte(`{"action":"message","options":{"channel":"public"},"payload":"caf` + "\xe9" + `"}`)

	t.Run("one frame", func(t *testing.T) {
		c := e.dial("")
		c.join("public", nil)
		c.writeFrame(ws.NewTextFrame(append([]byte(nil), bad...)))
		if code, _ := c.waitClose(); code != 1007 {
			t.Fatalf("closed with %d, want 1007", code)
		}
	})
	t.Run("character split across fragments", func(t *testing.T) {
		c := e.dial("")
		c.join("public", nil)
		msg := []byte(`{"action":"message","options":{"channel":"public"},"payload":"café"}`)
		cut := len(msg) - 3 // inside é's two bytes
		if msg[cut-1] != 0xc3 {
			t.Fatalf("the cut is not inside é: %q", msg[cut-1:])
		}
		c.writeFrame(ws.NewFrame(ws.OpText, false, append([]byte(nil), msg[:cut]...)))
		c.writeFrame(ws.NewFrame(ws.OpContinuation, true, append([]byte(nil), msg[cut:]...)))
		if f := c.expect(actMessage, "public"); f.payload() != "café" {
			t.Fatalf("got %s", f)
		}
	})
	t.Run("fragments", func(t *testing.T) {
		c := e.dial("")
		c.writeFrame(ws.NewFrame(ws.OpText, false, append([]byte(nil), bad[:20]...)))
		c.writeFrame(ws.NewFrame(ws.OpContinuation, true, append([]byte(nil), bad[20:]...)))
		if code, _ := c.waitClose(); code != 1007 {
			t.Fatalf("closed with %d, want 1007", code)
		}
	})
	t.Run("compressed", func(t *testing.T) {
		z := e.dialDeflate("")
		z.join("public", nil)
		z.writeCompressed(bad)
		if code, _ := z.waitClose(); code != 1007 {
			t.Fatalf("closed with %d, want 1007", code)
		}
	})
	t.Run("close reason", func(t *testing.T) {
		// A close frame's reason is UTF-8 text too: the close is answered with 1007.
		c := e.dial("")
		c.writeFrame(ws.NewCloseFrame(append(ws.NewCloseFrameBody(1000, ""), 0xff, 0xfe)))
		if code, _ := c.waitClose(); code != 1007 {
			t.Fatalf("closed with %d, want 1007", code)
		}
	})
	t.Run("binary is not text", func(t *testing.T) {
		// Binary messages carry no promise of UTF-8: refused as not JSON, the connection stays.
		c := e.dial("")
		c.writeFrame(ws.NewBinaryFrame([]byte{0xff, 0xfe}))
		c.expectError(codeBadFrame, "")
		c.join("public", nil)
	})
}
