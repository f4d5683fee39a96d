package servers

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"testing"
	"unicode/utf8"

	"relaybase"
)

// refDecodeFrame is decodeFrame written with encoding/json, the reference FuzzDecodeFrame
// holds the in-place decoder to: the same rules, checked in the same order.
func refDecodeFrame(data []byte) (clientFrame, error) {
	var f clientFrame
	bad := func(msg string) (clientFrame, error) { return f, badFrame(msg) }
	var top map[string]json.RawMessage
	d := json.NewDecoder(bytes.NewReader(data))
	if !utf8.Valid(data) || d.Decode(&top) != nil || top == nil || len(bytes.TrimSpace(data[d.InputOffset():])) != 0 {
		return bad("A frame must be one JSON object {\"action\", \"channel\", ...}.")
	}
	str := func(raw json.RawMessage) (string, bool) {
		if raw == nil || string(raw) == "null" {
			return "", true
		}
		var s string
		return s, json.Unmarshal(raw, &s) == nil
	}
	integer := func(raw json.RawMessage) (int64, bool) {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			s = string(raw)
		}
		n, err := strconv.ParseInt(s, 10, 64)
		return n, err == nil
	}
	action, ok := top["action"]
	if !ok || string(action) == "null" || json.Unmarshal(action, &f.Action) != nil {
		return bad("A frame needs an \"action\" that is a string.")
	}
	switch f.Action {
	case actJoin, actLeave, actBroadcast, actAck, actPing, actPresence:
	default:
		return f, &frameError{codeUnknownAction, "Unknown action " + strconv.Quote(truncateRef(f.Action, 64)) + "."}
	}
	if f.Channel, ok = str(top["channel"]); !ok {
		return bad("\"channel\" must be a string.")
	}
	if f.Type, ok = str(top["type"]); !ok {
		return bad("\"type\" must be a string.")
	}
	if p := top["payload"]; p != nil && string(p) != "null" {
		f.Payload = p
	}
	if o := top["options"]; o != nil && string(o) != "null" {
		var opts map[string]json.RawMessage
		if o[0] != '{' || json.Unmarshal(o, &opts) != nil {
			return bad("\"options\" must be an object.")
		}
		if c := opts["channel"]; c != nil && string(c) != "null" {
			if json.Unmarshal(c, &f.Channel) != nil {
				return bad("options.channel must be a string.")
			}
		}
		if c := opts["client_id"]; c != nil && string(c) != "null" {
			if json.Unmarshal(c, &f.ClientID) != nil || f.ClientID == "" || len(f.ClientID) > maxClientID || !printable(f.ClientID) {
				return bad("options.client_id must be 1 to 128 printable characters.")
			}
		}
		if to := opts["to"]; to != nil && string(to) != "null" {
			f.HasTo = true
			var m map[string]json.RawMessage
			msg := "options.to must be {\"dbo_id\": <auth table id>, \"row_id\": <user id>}, both positive integers."
			if to[0] != '{' || json.Unmarshal(to, &m) != nil || m["dbo_id"] == nil || m["row_id"] == nil {
				return bad(msg)
			}
			t, tok := integer(m["dbo_id"])
			r, rok := integer(m["row_id"])
			if !tok || !rok || t <= 0 || r <= 0 {
				return bad(msg)
			}
			f.To = &relaybase.Identity{TableID: t, RowID: r}
		}
	}
	if id := top["id"]; id != nil && string(id) != "null" {
		n, ok := integer(id)
		if !ok || n < 0 {
			return bad("\"id\" must be a message id such as \"12\".")
		}
		f.ID, f.HasID = n, true
	}
	if f.Action != actPing && f.Channel == "" {
		return bad("This action needs a \"channel\".")
	}
	return f, nil
}

func truncateRef(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// sameFrame compares two decodings: the same error, or the same frame.
func sameFrame(t *testing.T, data []byte) {
	t.Helper()
	got, gerr := decodeFrame(data)
	want, werr := refDecodeFrame(data)
	if (gerr == nil) != (werr == nil) {
		t.Fatalf("%q: decodeFrame %v, reference %v", data, gerr, werr)
	}
	if gerr != nil {
		if gerr.Error() != werr.Error() {
			t.Fatalf("%q: decodeFrame %v, reference %v", data, gerr, werr)
		}
		return
	}
	if got.Payload != nil && want.Payload != nil && bytes.Equal(got.Payload, want.Payload) {
		got.Payload, want.Payload = nil, nil
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%q:\ndecodeFrame %+v\nreference   %+v", data, got, want)
	}
}

func TestDecodeFrameMatchesReference(t *testing.T) {
	for _, s := range []string{
		`{"action":"ack","channel":"rooms/1","id":"12"}`,
		` {"action":"ack","channel":"rooms/1","id":12} `,
		`{"action":"ack","channel":"rooms/1","id":"-1"}`,
		`{"action":"ack","channel":"rooms/1","id":1.5}`,
		`{"action":"ack","channel":"rooms/1","id":true}`,
		`{"action":"a\u0063k","ch\u0061nnel":"r\/1","id":"\u0031"}`,
		`{"action":"join","channel":"x","channel":"y"}`,
		`{"action":"join","channel":5}`,
		`{"action":"join","channel":null,"options":{"channel":"z"}}`,
		`{"action":"join","options":{"channel":7}}`,
		`{"action":"join","channel":"x","options":[]}`,
		`{"action":"join","channel":"x","options":{"client_id":""}}`,
		`{"action":"join","channel":"x","options":{"client_id":"a\u0001"}}`,
		`{"action":"broadcast","channel":"x","type":3}`,
		`{"action":"broadcast","channel":"x","type":"t","payload":null}`,
		`{"action":"broadcast","channel":"x","type":"t","options":{"to":{"dbo_id":"1","row_id":2}}}`,
		`{"action":"broadcast","channel":"x","type":"t","options":{"to":{"dbo_id":1}}}`,
		`{"action":"broadcast","channel":"x","type":"t","options":{"to":[1,2]}}`,
		`{"action":"broadcast","channel":"x","type":"t","options":{"to":{"dbo_id":1e2,"row_id":2}}}`,
		`{"action":5}`,
		`{"action":null}`,
		`{"Action":"ping"}`,
		`{"action":"pingg"}`,
		`{"action":"ping"} x`,
		`{"action":"ping"}{}`,
		`"ping"`,
		``,
		"{\"action\":\"ping\",\"x\":\"\xff\"}",
	} {
		sameFrame(t, []byte(s))
	}
}

var ackFrame = []byte(`{"action":"ack","channel":"bench/fanout","id":"123456"}`)

// BenchmarkDecodeAck decodes the frame every ack is: decodeFrame walks it in place.
func BenchmarkDecodeAck(b *testing.B) {
	b.ReportAllocs()
	for range b.N {
		if _, err := decodeFrame(ackFrame); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeAckReference is the same through encoding/json (the reference decoder),
// for comparison.
func BenchmarkDecodeAckReference(b *testing.B) {
	b.ReportAllocs()
	for range b.N {
		if _, err := refDecodeFrame(ackFrame); err != nil {
			b.Fatal(err)
		}
	}
}
