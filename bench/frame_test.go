package bench

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/gobwas/ws"
)

// readFrame reads one frame with gobwas/ws, an implementation independent of ours.
func readFrame(r io.Reader) (ws.Frame, error) {
	h, err := ws.ReadHeader(r)
	if err != nil {
		return ws.Frame{}, err
	}
	p := make([]byte, h.Length)
	if _, err := io.ReadFull(r, p); err != nil {
		return ws.Frame{}, err
	}
	return ws.Frame{Header: h, Payload: p}, nil
}

func TestParseHeader(t *testing.T) {
	long := bytes.Repeat([]byte("a"), 70000)
	tests := []struct {
		name    string
		frame   []byte
		op      byte
		size    int
		hdrLen  int
		masked  bool
		partial int // bytes of the header that are too few to parse
	}{
		{"small text", appendServerFrame(nil, opText, []byte("hello")), opText, 5, 2, false, 1},
		{"16-bit length", appendServerFrame(nil, opText, long[:300]), opText, 300, 4, false, 3},
		{"64-bit length", appendServerFrame(nil, opBinary, long), opBinary, 70000, 10, false, 9},
		{"masked ping", appendClientFrame(nil, opPing, []byte("hi"), [4]byte{1, 2, 3, 4}), opPing, 2, 6, true, 5},
		{"empty close", appendServerFrame(nil, opClose, nil), opClose, 0, 2, false, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, ok, err := parseHeader(tc.frame)
			if err != nil || !ok {
				t.Fatalf("parseHeader: ok=%v err=%v", ok, err)
			}
			if h.op != tc.op || h.size != tc.size || h.len != tc.hdrLen || h.masked != tc.masked || !h.fin {
				t.Errorf("header = %+v, want op %x size %d len %d masked %v", h, tc.op, tc.size, tc.hdrLen, tc.masked)
			}
			if _, ok, _ := parseHeader(tc.frame[:tc.partial]); ok {
				t.Errorf("parsed a header from %d bytes", tc.partial)
			}
		})
	}
	huge := []byte{0x81, 127, 0x7f, 0, 0, 0, 0, 0, 0, 0}
	if _, _, err := parseHeader(huge); err == nil {
		t.Error("a 2^63-byte frame was accepted")
	}
}

// Client frames are checked against an independent implementation: gobwas/ws reads them
// as a server would, mask and all.
func TestClientFramesReadByGobwas(t *testing.T) {
	for _, size := range []int{0, 5, 125, 126, 65535, 65536, 70000} {
		payload := bytes.Repeat([]byte("x"), size)
		b := appendClientFrame(nil, opText, payload, [4]byte{0xde, 0xad, 0xbe, 0xef})
		f, err := readFrame(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		if !f.Header.Masked || f.Header.OpCode != ws.OpText || !f.Header.Fin {
			t.Errorf("size %d: header %+v", size, f.Header)
		}
		ws.Cipher(f.Payload, f.Header.Mask, 0)
		if !bytes.Equal(f.Payload, payload) {
			t.Errorf("size %d: payload differs after unmasking", size)
		}
	}
	j := joinFrame("room/1")
	f, err := readFrame(bytes.NewReader(j))
	if err != nil {
		t.Fatal(err)
	}
	ws.Cipher(f.Payload, f.Header.Mask, 0)
	want := `{"action":"join","options":{"channel":"room/1"},"payload":{"history":false,"presence":false}}`
	if string(f.Payload) != want {
		t.Errorf("join = %s", f.Payload)
	}
	c, err := readFrame(bytes.NewReader(clientCloseFrame()))
	if err != nil {
		t.Fatal(err)
	}
	ws.Cipher(c.Payload, c.Header.Mask, 0)
	if c.Header.OpCode != ws.OpClose || closeCode(c.Payload) != 1000 {
		t.Errorf("close frame: %+v %v", c.Header, c.Payload)
	}
}

func TestServerFrameReadByGobwas(t *testing.T) {
	b := floorFrame(nil, "bench/floor", 1234, 5, 64)
	f, err := readFrame(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if f.Header.Masked || f.Header.OpCode != ws.OpText {
		t.Errorf("header %+v", f.Header)
	}
	if classify(f.Payload) != actDelivery {
		t.Errorf("the floor's frame is not a delivery: %s", f.Payload)
	}
	if ts, seq, ok := findMarker(f.Payload); !ok || ts != 1234 || seq != 5 {
		t.Errorf("marker = %d %d %v", ts, seq, ok)
	}
}

func TestUpgradeRequest(t *testing.T) {
	req := string(upgradeRequest("127.0.0.1:8080", "/rt/bench", "tok.en"))
	for _, want := range []string{
		"GET /rt/bench HTTP/1.1\r\n", "Host: 127.0.0.1:8080\r\n", "Upgrade: websocket\r\n",
		"Connection: Upgrade\r\n", "Sec-WebSocket-Version: 13\r\n", "Sec-WebSocket-Key: " + handshakeKey + "\r\n",
		"Sec-WebSocket-Protocol: tok.en\r\n",
	} {
		if !strings.Contains(req, want) {
			t.Errorf("request lacks %q:\n%s", want, req)
		}
	}
	if !strings.HasSuffix(req, "\r\n\r\n") {
		t.Error("request head is not terminated")
	}
	if strings.Contains(string(upgradeRequest("h", "/rt/x", "")), "Protocol") {
		t.Error("an anonymous client offered a subprotocol")
	}
}

func TestParseUpgradeResponse(t *testing.T) {
	ok := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
	tests := []struct {
		name    string
		in      string
		n       int
		wantErr bool
	}{
		{"complete", ok, len(ok), false},
		{"frames follow", ok + "\x81\x02hi", len(ok), false},
		{"incomplete", ok[:len(ok)-2], 0, false},
		{"not found", "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", 45, true},
		{"garbage", "SSH-2.0-OpenSSH\r\n\r\n", 19, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := parseUpgradeResponse([]byte(tc.in))
			if n != tc.n || (err != nil) != tc.wantErr {
				t.Errorf("= %d, %v; want %d, error %v", n, err, tc.n, tc.wantErr)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		frame string
		want  action
	}{
		{`{"action":"event","options":{"channel":"a"},"payload":{}}`, actDelivery},
		{`{"action":"message","client":{},"options":{"channel":"a"},"payload":1}`, actDelivery},
		{`{"action":"join","client":{},"options":{"channel":"a"},"payload":null}`, actJoin},
		{`{"action":"error","options":{},"payload":{"code":"forbidden","message":"no"}}`, actError},
		{`{"action":"presence_update","options":{"channel":"a"},"payload":{}}`, actOther},
		{`{"options":{"channel":"a"},"action":"event","payload":{}}`, actDelivery},
		{`{"payload":{},"action":"join"}`, actJoin},
		{`{"payload":{"code":"x"},"action":"error"}`, actError},
		{`{"action":"history","options":{"channel":"a"},"payload":{"history":[]}}`, actOther},
		{`not json`, actOther},
	}
	for _, tc := range tests {
		if got := classify([]byte(tc.frame)); got != tc.want {
			t.Errorf("classify(%s) = %v, want %v", tc.frame, got, tc.want)
		}
	}
	if c := errorCode([]byte(`{"action":"error","payload":{"code":"channel_not_found","message":"x"}}`)); c != "channel_not_found" {
		t.Errorf("errorCode = %q", c)
	}
}

func TestMarker(t *testing.T) {
	for _, size := range []int{0, 10, 64, 200} {
		m := appendMarker([]byte("prefix "), 1795805728371123456, 42, size)
		text := m[len("prefix "):]
		if size > 40 && len(text) != size {
			t.Errorf("size %d: marker is %d bytes", size, len(text))
		}
		ts, seq, ok := findMarker(m)
		if !ok || ts != 1795805728371123456 || seq != 42 {
			t.Errorf("size %d: findMarker = %d %d %v", size, ts, seq, ok)
		}
	}
	// A marker inside a chat message row, as the endpoint scenario receives it.
	row := `{"action":"event","options":{"channel":"marvel_chat_room"},"payload":{"id":7,"created_at":1795805728371,` +
		`"channel":"marvel_chat_room","text":"@t=99;@s=3;xxxx","author":"bench"},"offset":12}`
	if ts, seq, ok := findMarker([]byte(row)); !ok || ts != 99 || seq != 3 {
		t.Errorf("chat row: %d %d %v", ts, seq, ok)
	}
	for _, bad := range []string{`no marker`, `@t=;`, `@t=12`, `@t=12x`} {
		if _, _, ok := findMarker([]byte(bad)); ok {
			t.Errorf("findMarker(%q) found one", bad)
		}
	}
	if ts, seq, ok := findMarker([]byte(`@t=5;`)); !ok || ts != 5 || seq != -1 {
		t.Errorf("marker without a sequence: %d %d %v", ts, seq, ok)
	}
}
