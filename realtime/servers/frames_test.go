package servers

import (
	"encoding/json"
	"testing"
)

// FuzzDecodeFrame: no input crashes the decoder; it decodes as the encoding/json reference
// does (refDecodeFrame), error for error; what it accepts has a known action, and the
// channel every action but ping needs.
func FuzzDecodeFrame(f *testing.F) {
	for _, s := range []string{
		`{"action":"join","channel":"rooms/42","options":{"client_id":"tab-1"}}`,
		`{"action":"broadcast","channel":"vip","type":"dm","payload":{"body":"x"},"options":{"to":{"dbo_id":1,"row_id":"2"}}}`,
		`{"action":"ack","channel":"rooms/1","id":"12"}`,
		`{"action":"ack","options":{"channel":"a"},"id":3}`,
		`{"action":"ping"}`,
		`{"action":"presence","channel":"lobby"}`,
		`{"action":"leave","channel":"lobby"}`,
		`{"action":"join"}`,
		`[1]`,
		`{"action":"broadcast","channel":"x","type":"t","options":{"to":{"dbo_id":-1}}}`,
		"{\"action\":\"join\",\"channel\":\"\xff\"}",
		`{"action":"ack","channel":"c","id":"99999999999999999999"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sameFrame(t, data)
		fr, err := decodeFrame(data)
		if err != nil {
			if _, ok := err.(*frameError); !ok {
				t.Fatalf("error of type %T", err)
			}
			return
		}
		if !json.Valid(data) {
			t.Fatalf("accepted invalid JSON %q", data)
		}
		switch fr.Action {
		case actJoin, actLeave, actBroadcast, actAck, actPresence:
			if fr.Channel == "" {
				t.Fatalf("accepted %s without a channel", fr.Action)
			}
		case actPing:
		default:
			t.Fatalf("accepted action %q", fr.Action)
		}
		if fr.HasTo && (fr.To == nil || fr.To.TableID <= 0 || fr.To.RowID <= 0) {
			t.Fatalf("accepted options.to %+v", fr.To)
		}
		if fr.HasID && fr.ID < 0 {
			t.Fatalf("accepted id %d", fr.ID)
		}
	})
}

func TestDecodeFrame(t *testing.T) {
	f, err := decodeFrame([]byte(`{"action":"broadcast","channel":"a","type":"t","payload":{"x":1},"options":{"channel":"b","to":{"dbo_id":3,"row_id":"7"},"client_id":"k"},"id":"5"}`))
	if err != nil {
		t.Fatal(err)
	}
	if f.Channel != "b" || f.Type != "t" || string(f.Payload) != `{"x":1}` || f.To.TableID != 3 || f.To.RowID != 7 || f.ClientID != "k" || f.ID != 5 {
		t.Errorf("decoded %+v", f)
	}
}
