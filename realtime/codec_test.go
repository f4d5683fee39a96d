package realtime

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gobwas/ws"

	"relaybase"
	"relaybase/value"
)

func TestDecodeFrame(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want clientFrame
	}{
		{"join", `{"action":"join","options":{"channel":"a"},"payload":{"history":true,"presence":true}}`,
			clientFrame{Action: "join", Channel: "a", Options: json.RawMessage(`{"channel":"a"}`), Payload: json.RawMessage(`{"history":true,"presence":true}`), Join: joinPayload{History: true, Presence: true}}},
		{"join resume", `{"action":"join","options":{"channel":"a"},"payload":{"since":7,"epoch":"e1"}}`,
			clientFrame{Action: "join", Channel: "a", Options: json.RawMessage(`{"channel":"a"}`), Payload: json.RawMessage(`{"since":7,"epoch":"e1"}`), Join: joinPayload{Since: 7, HasSince: true, Epoch: "e1"}}},
		{"join null payload", `{"action":"join","options":{"channel":"a"},"payload":null}`,
			clientFrame{Action: "join", Channel: "a", Options: json.RawMessage(`{"channel":"a"}`), Payload: json.RawMessage(`null`)}},
		{"private message", `{"action":"message","options":{"channel":"a","socketId":"s"},"payload":[1]}`,
			clientFrame{Action: "message", Channel: "a", SocketID: "s", Private: true, Options: json.RawMessage(`{"channel":"a","socketId":"s"}`), Payload: json.RawMessage(`[1]`)}},
		{"no payload", `{"action":"history","options":{"channel":"a"}}`,
			clientFrame{Action: "history", Channel: "a", Options: json.RawMessage(`{"channel":"a"}`), Payload: json.RawMessage(`null`)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decodeFrame([]byte(tc.in))
			if err != nil {
				t.Fatalf("decodeFrame: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestEncodeFrames(t *testing.T) {
	client := clientJSON("sock", relaybase.Identity{TableID: 3, RowID: 9, Extras: value.ObjectOf("a", "b")})
	assertJSON(t, client, `{"socketId":"sock","extras":{"a":"b"},"permissions":{"dbo_id":3,"row_id":9}}`)
	for _, tc := range []struct {
		name string
		got  []byte
		want string
	}{
		{"join, no history", appendJoinReply(nil, client, "c", false, "", 0), `{"action":"join","client":{"socketId":"sock","extras":{"a":"b"},"permissions":{"dbo_id":3,"row_id":9}},"options":{"channel":"c"},"payload":null}`},
		{"join, history", appendJoinReply(nil, client, "c", true, "ep", 12), `{"action":"join","client":{"socketId":"sock","extras":{"a":"b"},"permissions":{"dbo_id":3,"row_id":9}},"options":{"channel":"c"},"payload":{"epoch":"ep","offset":12}}`},
		{"leave", appendLeaveReply(nil, "c"), `{"action":"leave","options":{"channel":"c"},"payload":null}`},
		{"message with offset", withOffset(appendMessage(nil, []byte(`{}`), "c", true, "", false, []byte(`"p"`)), 5), `{"action":"message","client":{},"options":{"channel":"c","authenticated":true},"payload":"p","offset":5}`},
		{"private", appendMessage(nil, []byte(`{}`), "c", false, "r", true, []byte(`1`)), `{"action":"message","client":{},"options":{"channel":"c","socketId":"r"},"payload":1}`},
		{"event", appendEvent(nil, nil, "c", []byte(`{"x":1}`)), `{"action":"event","options":{"channel":"c"},"payload":{"x":1}}`},
		{"presence_full", appendPresenceFull(nil, "c", [][]byte{[]byte(`{"a":1}`), []byte(`{"b":2}`)}), `{"action":"presence_full","options":{"channel":"c"},"payload":{"presence":[{"a":1},{"b":2}]}}`},
		{"presence_update", appendPresenceUpdate(nil, "c", false, []byte(`{"a":1}`)), `{"action":"presence_update","options":{"channel":"c"},"payload":{"action":"leave","presence":{"a":1}}}`},
		{"error without channel", appendError(nil, "", "bad_frame", "No."), `{"action":"error","options":{},"payload":{"code":"bad_frame","message":"No."}}`},
		{"escaping", appendError(nil, "q\"\\\u00e9", "x", "line\nbreak \x01 \xff"), `{"action":"error","options":{"channel":"q\"\\é"},"payload":{"code":"x","message":"line\nbreak \u0001 \ufffd"}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !utf8.Valid(tc.got) {
				t.Fatalf("invalid UTF-8: %q", tc.got)
			}
			assertJSON(t, tc.got, tc.want)
		})
	}
}

func TestEnvelope(t *testing.T) {
	for _, n := range []int{0, 100, 125, 126, 65535, 65536, 200000} {
		js := append([]byte(`"`), bytes.Repeat([]byte("a"), n)...)
		js = append(js, '"')
		b := append(newFrame(len(js)), js...)
		msg := seal(b, kindPrivate, flagAuthOnly, 77, "subject")
		env, ok := openEnvelope(msg)
		if !ok || env.kind != kindPrivate || env.flags != flagAuthOnly || env.offset != 77 || string(env.subject) != "subject" {
			t.Fatalf("n=%d: envelope %+v", n, env)
		}
		h, err := ws.ReadHeader(bytes.NewReader(env.wire))
		if err != nil || !h.Fin || h.OpCode != ws.OpText || h.Masked || h.Length != int64(len(js)) {
			t.Fatalf("n=%d: header %+v %v", n, h, err)
		}
		if got := env.wire[len(env.wire)-len(js):]; !bytes.Equal(got, js) {
			t.Fatalf("n=%d: payload differs", n)
		}
	}
	if _, ok := openEnvelope([]byte{1, 2, 3}); ok {
		t.Fatal("short envelope accepted")
	}
}

func TestCheckRules(t *testing.T) {
	for _, tc := range []struct {
		name     string
		rules    []relaybase.ChannelRule
		err      string
		warnings int
	}{
		{"fine", testRules, "", 0},
		{"star in the middle", []relaybase.ChannelRule{{Pattern: "a*b", Active: true}}, "not at its end", 0},
		{"two stars", []relaybase.ChannelRule{{Pattern: "a**", Active: true, NestedChannels: true}}, "not at its end", 0},
		{"empty", []relaybase.ChannelRule{{Pattern: "", Active: true}}, "empty", 0},
		{"bad history", []relaybase.ChannelRule{{Pattern: "a", Active: true, History: 30}}, "message_history", 0},
		{"duplicate", []relaybase.ChannelRule{{Pattern: "a", Active: true}, {Pattern: "a", Active: true}}, "also defined", 0},
		{"duplicate inactive is fine", []relaybase.ChannelRule{{Pattern: "a", Active: true}, {Pattern: "a"}}, "", 0},
		{"not nested", []relaybase.ChannelRule{{Pattern: "room/*", Active: true}}, "", 1},
		{"control character", []relaybase.ChannelRule{{Pattern: "a\tb", Active: true}}, "printable", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := CheckRules(tc.rules)
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Fatalf("err %v, want %q", err, tc.err)
			}
			if len(w) != tc.warnings {
				t.Fatalf("warnings %v, want %d", w, tc.warnings)
			}
		})
	}
	if _, err := NewChannels(ChannelsConfig{Engine: nil}); err == nil {
		t.Fatal("NewChannels without an engine succeeded")
	}
}

func TestMatch(t *testing.T) {
	m := newMatcher([]relaybase.ChannelRule{
		{Pattern: "a/*", Active: true, File: "short"},
		{Pattern: "a/b/*", Active: true, File: "long"},
		{Pattern: "a/b/c", Active: true, File: "exact"},
		{Pattern: "a/b/d", File: "inactive exact"},
		{Pattern: "*", Active: true, File: "everything"},
	})
	for _, tc := range []struct{ channel, want string }{
		{"a/x", "short"},
		{"a/b/x", "long"},
		{"a/b/c", "exact"},
		{"a/b/d", "long"},
		{"a/b/", "short"},
		{"zzz", "everything"},
	} {
		r, ok := m.match(tc.channel)
		if !ok || r.File != tc.want {
			t.Errorf("match(%q) = %v, want %q", tc.channel, r, tc.want)
		}
	}
	if _, ok := newMatcher(nil).match("x"); ok {
		t.Error("no rules matched something")
	}
}

// pipeConn is a transport that reads from r and discards writes.
type pipeConn struct {
	io.Reader
}

func (pipeConn) Write(frames [][]byte) (int, error) {
	n := 0
	for _, f := range frames {
		n += len(f)
	}
	return n, nil
}
func (pipeConn) Close() error                     { return nil }
func (pipeConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (pipeConn) SetReadDeadline(time.Time) error  { return nil }
func (pipeConn) SetWriteDeadline(time.Time) error { return nil }
func (pipeConn) Secure() bool                     { return false }

// chunkReader returns its data in two reads, split at half.
type chunkReader struct {
	parts [][]byte
}

func (r *chunkReader) Read(p []byte) (int, error) {
	for len(r.parts) > 0 && len(r.parts[0]) == 0 {
		r.parts = r.parts[1:]
	}
	if len(r.parts) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.parts[0])
	r.parts[0] = r.parts[0][n:]
	return n, nil
}

func FuzzDecodeFrame(f *testing.F) {
	for _, s := range []string{
		`{"action":"join","options":{"channel":"public"},"payload":{"history":true,"presence":true}}`,
		`{"action":"join","options":{"channel":"h"},"payload":{"since":3,"epoch":"abc"}}`,
		`{"action":"message","options":{"channel":"a","authenticated":true},"payload":{"x":[1,2,{"y":null}]}}`,
		`{"action":"message","options":{"channel":"a","socketId":"s"},"payload":"hi"}`,
		`{"action":"leave","options":{"channel":"a"},"payload":null}`,
		`{"action":"history","options":{"channel":"a","socketId":"x"}}`,
		`{"action":"nope"}`, `[]`, `null`, `{"action":1}`, "{\"action\":\"join\",\"options\":{\"channel\":\"\xff\"}}",
		// Shapes the in-place decoder must read as encoding/json does.
		` { "action" : "join" , "options" : { "channel" : "a" } , "payload" : { "history" : true } } `,
		`{"\u0061ction":"join","options":{"chan\u006eel":"a\"b\u00e9\ud800"},"payload":{"s\u0069nce":2,"epoch":"e"}}`,
		`{"action":"join","action":"leave","options":{"channel":"a"},"options":null}`,
		`{"action":"message","options":{"channel":"a","authenticated":1,"socketId":null},"payload":{"a":"}]\"{["}}`,
		`{"action":"join","options":{"channel":"a"},"payload":{"since":-0,"epoch":"x","history":null}}`,
		`{"action":"join","options":{"channel":"a"},"payload":{"since":1.5,"epoch":"x"}}`,
		`{"action":"join","options":{"channel":"a"},"payload":[{"since":1}]}`,
		`{"action":"join","options":[],"payload":{}}`, `{"action":"join","options":{"channel":"a"}} x`, "\t{}\n",
	} {
		f.Add([]byte(s))
	}
	srv := &Server{lim: DefaultLimits, log: slog.New(slog.DiscardHandler)}
	// A message that is not UTF-8 closes its connection: the close frame goes out on a
	// pooled writer, which ends when the test does.
	done := make(chan struct{})
	srv.pool.init(done)
	f.Cleanup(func() { close(done) })
	f.Fuzz(func(t *testing.T, data []byte) {
		direct, derr := decodeFrame(data)
		if ref, rerr := decodeFrameStd(data); !reflect.DeepEqual(direct, ref) || !reflect.DeepEqual(derr, rerr) {
			t.Fatalf("decodeFrame(%q)\ngot  %+v %v\nwant %+v %v (encoding/json)", data, direct, derr, ref, rerr)
		}
		if derr == nil {
			switch direct.Action {
			case actJoin, actLeave, actMessage, actHistory:
			default:
				t.Fatalf("accepted action %q", direct.Action)
			}
			if !validChannelName(direct.Channel) {
				t.Fatalf("accepted channel %q", direct.Channel)
			}
			if !json.Valid(direct.Payload) || !json.Valid(direct.Options) {
				t.Fatalf("payload or options not JSON: %q %q", direct.Payload, direct.Options)
			}
			if direct.Join.HasSince && direct.Join.Since < 0 {
				t.Fatalf("negative since")
			}
			// What we send back stays valid JSON text.
			out := appendMessage(nil, []byte(`{}`), direct.Channel, direct.Authenticated, direct.SocketID, direct.Private, direct.Payload)
			if !json.Valid(out) || !utf8.Valid(out) {
				t.Fatalf("echo not valid JSON: %q", out)
			}
		} else if derr.Code == "" || derr.Message == "" {
			t.Fatalf("error without code or message: %+v", derr)
		}
		if len(data) > DefaultLimits.SoftFrame {
			return
		}
		// The same message in two fragments, read through a reader that splits the wire
		// bytes in two halves, decodes the same.
		half := len(data) / 2
		var wire bytes.Buffer
		for i, part := range [][]byte{data[:half], data[half:]} {
			op := ws.OpContinuation
			if i == 0 {
				op = ws.OpText
			}
			fr := ws.MaskFrameInPlaceWith(ws.NewFrame(op, i == 1, append([]byte(nil), part...)), [4]byte{1, 2, 3, 4})
			if err := ws.WriteFrame(&wire, fr); err != nil {
				t.Fatal(err)
			}
		}
		w := wire.Bytes()
		c := &conn{srv: srv, tr: pipeConn{&chunkReader{parts: [][]byte{w[:len(w)/2], w[len(w)/2:]}}}}
		op, buf, err := c.readMessage()
		if !utf8.Valid(data) {
			// Not UTF-8: the reader starts the close with 1007 and hands nothing on.
			if err == nil || c.closeCode != 1007 {
				t.Fatalf("a message that is not UTF-8 read as %q (err %v, close %d), want close 1007", data, err, c.closeCode)
			}
			return
		}
		if err != nil {
			t.Fatalf("readMessage: %v", err)
		}
		if op != ws.OpText || !bytes.Equal(*buf, data) {
			t.Fatalf("reassembled %q, want %q", *buf, data)
		}
		again, aerr := decodeFrame(*buf)
		if !reflect.DeepEqual(again, direct) || !reflect.DeepEqual(aerr, derr) {
			t.Fatalf("fragmented decode differs")
		}
	})
}
