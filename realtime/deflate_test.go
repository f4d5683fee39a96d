package realtime

import (
	"bufio"
	"bytes"
	"compress/flate"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/gobwas/httphead"
	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsflate"
)

func withDeflate(on bool) option { return func(c *envConfig) { c.server.Deflate = on } }

// chatEvent is the chat example's event frame for one stored message, as the server sends it.
var chatEvent = []byte(`{"action":"event","options":{"channel":"marvel_chat_room"},"payload":{"id":1234,"created_at":1764851234567,"channel":"marvel_chat_room","text":"Has anyone seen the new trailer? The last scene changes everything.","author":"Peter"},"offset":1234}`)

// upgradeWith sends an upgrade request offering extensions (raw header text, "" for none)
// and returns the response's Sec-WebSocket-Extensions.
func upgradeWith(t *testing.T, e *env, extensions string) string {
	t.Helper()
	nc, err := net.Dial("tcp", strings.TrimPrefix(e.hs.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	req := "GET /rt/" + canonical + " HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
	if extensions != "" {
		req += "Sec-WebSocket-Extensions: " + extensions + "\r\n"
	}
	if _, err := io.WriteString(nc, req+"\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("offer %q: status %s", extensions, resp.Status)
	}
	return strings.Join(resp.Header.Values("Sec-WebSocket-Extensions"), ", ")
}

func TestDeflateNegotiation(t *testing.T) {
	const accepted = "permessage-deflate;server_no_context_takeover;client_no_context_takeover"
	on := newEnv(t, withStore(nil), withDeflate(true))
	off := newEnv(t, withStore(nil))
	for _, tc := range []struct {
		name, offer, want string
		e                 *env
	}{
		{"none offered", "", "", on},
		{"plain offer", "permessage-deflate", accepted, on},
		{"browsers' offer", "permessage-deflate; client_max_window_bits", accepted, on},
		{"node ws's offer", "permessage-deflate; client_no_context_takeover; client_max_window_bits", accepted, on},
		{"a full window asked for", "permessage-deflate; server_max_window_bits=15", accepted, on},
		{"a smaller window than flate's", "permessage-deflate; server_max_window_bits=10", "", on},
		{"the second offer served", "permessage-deflate; server_max_window_bits=9, permessage-deflate", accepted, on},
		{"only one accepted", "permessage-deflate, permessage-deflate; client_max_window_bits", accepted, on},
		{"unknown parameter", "permessage-deflate; hello=1", "", on},
		{"duplicate parameter", "permessage-deflate; server_no_context_takeover; server_no_context_takeover", "", on},
		{"another extension", "x-webkit-deflate-frame", "", on},
		{"turned off", "permessage-deflate", "", off},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := strings.ReplaceAll(upgradeWith(t, tc.e, tc.offer), " ", "")
			if got != tc.want {
				t.Fatalf("offer %q: Sec-WebSocket-Extensions %q, want %q", tc.offer, got, tc.want)
			}
		})
	}
}

// dialDeflate connects offering permessage-deflate as browsers do and checks that it was
// accepted.
func (e *env) dialDeflate(token string) *client {
	e.t.Helper()
	d := ws.Dialer{Timeout: wait, Extensions: []httphead.Option{wsflate.DefaultParameters.Option()}}
	if token != "" {
		d.Protocols = []string{token}
	}
	nc, br, hs, err := d.Dial(context.Background(), e.url)
	if err != nil {
		e.t.Fatalf("dial: %v", err)
	}
	if len(hs.Extensions) != 1 || string(hs.Extensions[0].Name) != wsflate.ExtensionName {
		e.t.Fatalf("permessage-deflate not accepted: %v", hs.Extensions)
	}
	c := &client{t: e.t, nc: nc, r: nc, frames: make(chan frame, 1<<16), closed: make(chan struct{}), proto: hs.Protocol}
	if br != nil {
		c.r = io.MultiReader(br, nc)
	}
	e.t.Cleanup(func() { c.nc.Close() })
	go c.readLoop(true)
	return c
}

func (c *client) inflatedFrames() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.inflated
}

// writeCompressed sends text as one compressed message.
func (c *client) writeCompressed(text []byte) {
	c.t.Helper()
	f, err := wsflate.CompressFrame(ws.NewTextFrame(append([]byte(nil), text...)))
	if err != nil {
		c.t.Fatal(err)
	}
	c.writeFrame(f)
}

func (c *client) writeFrame(f ws.Frame) {
	c.t.Helper()
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := ws.WriteFrame(c.nc, ws.MaskFrameInPlace(f)); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

func TestDeflateBroadcast(t *testing.T) {
	e := newEnv(t, withDeflate(true))
	z1, z2 := e.dialDeflate(""), e.dialDeflate("")
	plain := e.dial("")
	sender := e.dial("")
	for _, c := range []*client{z1, z2, plain, sender} {
		c.join("public", nil)
	}
	text := strings.Repeat("all work and no play makes jack a dull boy. ", 20)
	sender.send(actMessage, map[string]any{"channel": "public"}, map[string]any{"text": text})
	want := plain.expect(actMessage, "public")
	for i, c := range []*client{z1, z2} {
		got := c.expect(actMessage, "public")
		if !bytes.Equal(got.raw, want.raw) {
			t.Fatalf("member %d decompressed\n%s\nwant %s", i, got.raw, want.raw)
		}
		if n := c.inflatedFrames(); n != 1 {
			t.Fatalf("member %d received %d compressed frames, want 1 (the message)", i, n)
		}
	}
}

// The same compressed bytes go to every member that negotiated compression: one deflate
// per frame, not one per member.
func TestDeflateOncePerFrame(t *testing.T) {
	srv := &Server{}
	a, b, p := &conn{srv: srv, deflate: true}, &conn{srv: srv, deflate: true}, &conn{srv: srv}
	d := deflated{plain: wireCopy(chatEvent)}
	za, zb := d.forConn(a), d.forConn(b)
	if &za[0] != &zb[0] {
		t.Fatal("two members got separately compressed copies of one frame")
	}
	if pp := d.forConn(p); &pp[0] != &d.plain[0] {
		t.Fatal("a member without compression did not get the frame's own bytes")
	}
	if len(za) >= len(d.plain) {
		t.Fatalf("compressed frame is %d bytes, the plain one %d", len(za), len(d.plain))
	}
}

func TestDeflateClientMessages(t *testing.T) {
	e := newEnv(t, withDeflate(true), withLimits(Limits{SoftFrame: 4 << 10, HardFrame: 64 << 10}))
	z := e.dialDeflate("")
	other := e.dial("")
	z.join("public", nil)
	other.join("public", nil)

	msg := `{"action":"message","options":{"channel":"public"},"payload":{"text":"` + strings.Repeat("compress me ", 50) + `"}}`
	z.writeCompressed([]byte(msg))
	got := other.expect(actMessage, "public")
	if text, _ := got.payloadMap()["text"].(string); text != strings.Repeat("compress me ", 50) {
		t.Fatalf("the compressed message arrived as %s", got)
	}
	z.expect(actMessage, "public")

	// Over the soft limit once decompressed, though small on the wire: too_large, and the
	// connection goes on.
	big := `{"action":"message","options":{"channel":"public"},"payload":"` + strings.Repeat("0", 8<<10) + `"}`
	z.writeCompressed([]byte(big))
	z.expectError(codeTooLarge, "")
	z.writeCompressed([]byte(msg))
	z.expect(actMessage, "public")
	other.expect(actMessage, "public")

	// Over the hard limit once decompressed: 1009.
	huge := strings.Repeat("0", 1<<20)
	z.writeCompressed([]byte(huge))
	if code, _ := z.waitClose(); code != 1009 {
		t.Fatalf("a message decompressing past the hard limit closed with %d, want 1009", code)
	}
}

func TestDeflateBadInput(t *testing.T) {
	e := newEnv(t, withStore(nil), withDeflate(true))
	t.Run("does not decompress", func(t *testing.T) {
		z := e.dialDeflate("")
		z.writeFrame(ws.Frame{Header: ws.Header{Fin: true, Rsv: ws.Rsv(true, false, false), OpCode: ws.OpText, Length: 4}, Payload: []byte{0xff, 0xff, 0xff, 0xff}})
		if code, _ := z.waitClose(); code != 1007 {
			t.Fatalf("closed with %d, want 1007", code)
		}
	})
	t.Run("RSV1 without the extension", func(t *testing.T) {
		c := e.dial("")
		f, _ := wsflate.CompressFrame(ws.NewTextFrame([]byte(`{"action":"join","options":{"channel":"public"}}`)))
		c.writeFrame(f)
		if code, _ := c.waitClose(); code != 1002 {
			t.Fatalf("closed with %d, want 1002", code)
		}
	})
	t.Run("RSV2", func(t *testing.T) {
		z := e.dialDeflate("")
		z.writeFrame(ws.Frame{Header: ws.Header{Fin: true, Rsv: ws.Rsv(false, true, false), OpCode: ws.OpText, Length: 2}, Payload: []byte("{}")})
		if code, _ := z.waitClose(); code != 1002 {
			t.Fatalf("closed with %d, want 1002", code)
		}
	})
	t.Run("RSV1 on a ping", func(t *testing.T) {
		z := e.dialDeflate("")
		z.writeFrame(ws.Frame{Header: ws.Header{Fin: true, Rsv: ws.Rsv(true, false, false), OpCode: ws.OpPing}})
		if code, _ := z.waitClose(); code != 1002 {
			t.Fatalf("closed with %d, want 1002", code)
		}
	})
	t.Run("context carried over", func(t *testing.T) {
		// Two messages through one compressor that keeps its window: the second refers
		// back into the first, which a server without context takeover can't follow.
		z := e.dialDeflate("")
		z.join("public", nil)
		var buf bytes.Buffer
		fw, _ := flate.NewWriter(&buf, flate.BestCompression)
		msg := []byte(`{"action":"message","options":{"channel":"public"},"payload":"the same words, twice over"}`)
		var frames [][]byte
		for range 2 {
			buf.Reset()
			fw.Write(msg)
			fw.Flush()
			frames = append(frames, bytes.TrimSuffix(bytes.Clone(buf.Bytes()), []byte{0, 0, 0xff, 0xff}))
		}
		if len(frames[1]) >= len(frames[0]) {
			t.Fatal("compress/flate did not refer back to the first message: the test tests nothing")
		}
		for _, p := range frames {
			z.writeFrame(ws.Frame{Header: ws.Header{Fin: true, Rsv: ws.Rsv(true, false, false), OpCode: ws.OpText, Length: int64(len(p))}, Payload: p})
		}
		z.expect(actMessage, "public")
		if code, _ := z.waitClose(); code != 1007 {
			t.Fatalf("closed with %d, want 1007", code)
		}
	})
}

// Large replies (history here) are compressed too; short ones are not.
func TestDeflateReplies(t *testing.T) {
	e := newEnv(t, withDeflate(true))
	sender := e.dial("")
	sender.join("history", nil)
	for i := range 10 {
		sender.send(actMessage, map[string]any{"channel": "history"}, map[string]any{"n": i, "text": "a message worth keeping in the history"})
		sender.expect(actMessage, "history")
	}
	z := e.dialDeflate("")
	z.send(actJoin, map[string]any{"channel": "history"}, map[string]any{"history": true})
	if r := z.expect(actJoin, "history"); r.zipped {
		t.Fatalf("the join reply (%d bytes) came compressed", len(r.raw))
	}
	h := z.expect(actHistory, "history")
	list, _ := h.payloadMap()["history"].([]any)
	if len(list) != 10 {
		t.Fatalf("history of %d entries: %s", len(list), h)
	}
	if !h.zipped {
		t.Fatalf("the history reply (%d bytes) was not compressed", len(h.raw))
	}
}

func TestDeflateFrame(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 4096)
	for i := range random {
		random[i] = byte(rng.UintN(256))
	}
	long := bytes.Repeat([]byte(`{"k":"v"},`), 10000) // > 65535: the 8-byte length
	for _, tc := range []struct {
		name  string
		frame []byte
		want  bool // compressed
	}{
		{"bench event", wireCopy(benchFrame), true},
		{"chat event", wireCopy(chatEvent), true},
		{"16-bit length", wireCopy(bytes.Repeat(chatEvent, 20)), true},
		{"64-bit length", wireCopy(long), true},
		{"too small", wireCopy([]byte(`{"action":"leave"}`)), false},
		{"random bytes", wireCopy(random), false},
		{"ping", controlFrame(0x9, []byte(strings.Repeat("p", 100))), false},
		{"close", closeFrame(1000, strings.Repeat("bye ", 25)), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			z := deflateFrame(tc.frame)
			if (z != nil) != tc.want {
				t.Fatalf("compressed: %v, want %v", z != nil, tc.want)
			}
			if z == nil {
				return
			}
			plain, err := parseFrame(tc.frame)
			if err != nil {
				t.Fatal(err)
			}
			got, err := parseFrame(z)
			if err != nil {
				t.Fatalf("compressed frame does not parse: %v", err)
			}
			if !got.Header.Fin || got.Header.OpCode != ws.OpText || got.Header.Rsv != ws.Rsv(true, false, false) || got.Header.Masked {
				t.Fatalf("compressed frame header %+v", got.Header)
			}
			if int(got.Header.Length) != len(got.Payload) || len(z) >= len(tc.frame) {
				t.Fatalf("compressed frame is %d bytes, the plain one %d", len(z), len(tc.frame))
			}
			back, err := wsflate.DefaultHelper.Decompress(got.Payload) // gobwas/ws's reader, not ours
			if err != nil || !bytes.Equal(back, plain.Payload) {
				t.Fatalf("does not decompress to the frame: %v", err)
			}
			mine, n, err := inflate(nil, got.Payload, len(plain.Payload), len(plain.Payload))
			if err != nil || n != len(plain.Payload) || !bytes.Equal(mine, plain.Payload) {
				t.Fatalf("inflate: %d bytes, %v", n, err)
			}
		})
	}
}

func compressed(t testing.TB, p []byte) []byte {
	z, err := wsflate.DefaultHelper.Compress(p)
	if err != nil {
		t.Fatal(err)
	}
	return z
}

func TestInflateLimits(t *testing.T) {
	zeros := compressed(t, make([]byte, 100000))
	for _, tc := range []struct {
		keep, limit   int
		wantLen, size int
	}{
		{100000, 100000, 100000, 100000}, // all of it, exactly at the limit
		{1000, 200000, 1000, 100000},     // counted to the end, the first 1000 kept
		{1000, 5000, 1000, 5001},         // stops one byte past the limit
		{0, 0, 0, 1},
	} {
		out, size, err := inflate(nil, zeros, tc.keep, tc.limit)
		if err != nil || len(out) != tc.wantLen || size != tc.size {
			t.Fatalf("keep %d limit %d: %d bytes kept, size %d, %v; want %d, %d", tc.keep, tc.limit, len(out), size, err, tc.wantLen, tc.size)
		}
		for _, b := range out {
			if b != 0 {
				t.Fatal("inflated bytes are wrong")
			}
		}
	}
	// dst's contents are kept, the message appended.
	out, _, err := inflate([]byte("head:"), compressed(t, []byte("tail")), 10, 10)
	if err != nil || string(out) != "head:tail" {
		t.Fatalf("inflate appended %q, %v", out, err)
	}
	for _, bad := range [][]byte{{0xff, 0xff}, {0x01, 0x05, 0x00}, {}} {
		if _, _, err := inflate(nil, bad, 100, 100); err == nil && len(bad) > 0 {
			t.Fatalf("inflate(%x) did not fail", bad)
		}
	}
}

// FuzzInflate: any bytes, as a compressed message. inflate never keeps more than asked,
// never counts past limit+1, and where compress/flate's own reader (given the same tail)
// reads the stream to its end within the limit, returns the same bytes.
func FuzzInflate(f *testing.F) {
	f.Add(compressed(f, chatEvent), 4096, 8192)
	f.Add(compressed(f, make([]byte, 5000)), 100, 1000)
	f.Add([]byte{0xff, 0xff, 0xff}, 10, 10)
	f.Add([]byte{}, 0, 0)
	f.Fuzz(func(t *testing.T, msg []byte, keep, limit int) {
		keep, limit = abs(keep)%(64<<10), abs(limit)%(64<<10)
		keep = min(keep, limit)
		out, size, err := inflate(nil, msg, keep, limit)
		if len(out) > keep || size > limit+1 || len(out) != min(size, keep) {
			t.Fatalf("keep %d limit %d: kept %d, size %d", keep, limit, len(out), size)
		}
		ref, rerr := io.ReadAll(io.LimitReader(flate.NewReader(io.MultiReader(bytes.NewReader(msg), bytes.NewReader(deflateTail[:]))), int64(limit)+1))
		if rerr == nil && len(ref) <= limit {
			if err != nil || size != len(ref) || !bytes.Equal(out, ref[:min(len(ref), keep)]) {
				t.Fatalf("inflate: %d bytes, %v; compress/flate: %d bytes", size, err, len(ref))
			}
		}
	})
}

// FuzzDeflateRoundTrip: any text frame that deflateFrame compresses decompresses to itself.
func FuzzDeflateRoundTrip(f *testing.F) {
	f.Add(chatEvent)
	f.Add(benchFrame)
	f.Add(bytes.Repeat([]byte("a"), 70000))
	f.Fuzz(func(t *testing.T, payload []byte) {
		z := deflateFrame(wireCopy(payload))
		if z == nil {
			return
		}
		got, err := parseFrame(z)
		if err != nil || int(got.Header.Length) != len(got.Payload) {
			t.Fatalf("compressed frame: %+v, %v", got.Header, err)
		}
		out, n, err := inflate(nil, got.Payload, len(payload), len(payload))
		if err != nil || n != len(payload) || !bytes.Equal(out, payload) {
			t.Fatalf("round trip: %d bytes of %d, %v", n, len(payload), err)
		}
	})
}

// parseFrame reads one whole unmasked frame from b, which must hold exactly that frame.
func parseFrame(b []byte) (ws.Frame, error) {
	r := bytes.NewReader(b)
	h, err := ws.ReadHeader(r)
	if err != nil {
		return ws.Frame{}, err
	}
	if int64(r.Len()) != h.Length {
		return ws.Frame{}, fmt.Errorf("header says %d payload bytes, the frame has %d", h.Length, r.Len())
	}
	return ws.Frame{Header: h, Payload: b[len(b)-r.Len():]}, nil
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// BenchmarkDeflateFrame: compressing one broadcast frame, once per publish.
func BenchmarkDeflateFrame(b *testing.B) {
	for _, fr := range []struct {
		name  string
		frame []byte
	}{{"bench-event", wireCopy(benchFrame)}, {"chat-event", wireCopy(chatEvent)}} {
		b.Run(fr.name, func(b *testing.B) {
			var z []byte
			b.ReportAllocs()
			for b.Loop() {
				z = deflateFrame(fr.frame)
			}
			b.ReportMetric(float64(len(fr.frame)), "plain-bytes")
			b.ReportMetric(float64(len(z)), "wire-bytes")
		})
	}
}

// BenchmarkInflate: decompressing one client message (the chat event's size).
func BenchmarkInflate(b *testing.B) {
	z := compressed(b, chatEvent)
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		out, _, err := inflate(buf[:0], z, 64<<10, 1<<20)
		if err != nil || len(out) != len(chatEvent) {
			b.Fatal(fmt.Sprint(len(out), err))
		}
	}
}
