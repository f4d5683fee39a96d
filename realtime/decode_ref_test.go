package realtime

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// decodeFrameStd is decodeFrame as it was written first, with encoding/json maps: the
// reference FuzzDecodeFrame holds the allocation-light decoder to, result for result and
// error for error.
func decodeFrameStd(data []byte) (clientFrame, *frameError) {
	var f clientFrame
	bad := func(msg string) (clientFrame, *frameError) {
		return clientFrame{}, &frameError{Code: codeBadFrame, Message: msg, Channel: f.Channel}
	}
	if !utf8.Valid(data) {
		return bad("A frame must be UTF-8 text.")
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil || top == nil {
		return bad("A frame must be a JSON object {\"action\", \"options\", \"payload\"}.")
	}
	if !stdString(top["action"], &f.Action) {
		return bad("A frame needs an \"action\" that is a string.")
	}
	f.Payload = json.RawMessage("null")
	if p, ok := top["payload"]; ok {
		f.Payload = p
	}
	f.Options = json.RawMessage("{}")
	var opts map[string]json.RawMessage
	if o, ok := top["options"]; ok && !stdIsNull(o) {
		if err := json.Unmarshal(o, &opts); err != nil || opts == nil {
			return bad("\"options\" must be an object.")
		}
		f.Options = o
	}
	switch f.Action {
	case actJoin, actLeave, actMessage, actHistory:
	default:
		return clientFrame{}, &frameError{Code: codeUnknownAction, Message: "Unknown action " + strconv.Quote(truncate(f.Action, 64)) + "."}
	}
	ch, ok := opts["channel"]
	if !ok || !stdString(ch, &f.Channel) {
		f.Channel = ""
		return bad("options.channel must be a string.")
	}
	if !validChannelName(f.Channel) {
		f.Channel = ""
		return bad("A channel name is 1 to 256 bytes of printable UTF-8.")
	}
	switch f.Action {
	case actMessage:
		if a, ok := opts["authenticated"]; ok && !stdIsNull(a) {
			if err := json.Unmarshal(a, &f.Authenticated); err != nil {
				return bad("options.authenticated must be true or false.")
			}
		}
		if s, ok := opts["socketId"]; ok && !stdIsNull(s) {
			if !stdString(s, &f.SocketID) {
				return bad("options.socketId must be a string.")
			}
			f.Private = true
		}
	case actJoin:
		if stdIsNull(f.Payload) {
			break
		}
		var p map[string]json.RawMessage
		if err := json.Unmarshal(f.Payload, &p); err != nil || p == nil {
			return bad("A join payload must be an object {\"history\", \"presence\"}.")
		}
		for _, k := range []struct {
			name string
			dst  *bool
		}{{"history", &f.Join.History}, {"presence", &f.Join.Presence}} {
			if v, ok := p[k.name]; ok && !stdIsNull(v) {
				if err := json.Unmarshal(v, k.dst); err != nil {
					return bad("payload." + k.name + " must be true or false.")
				}
			}
		}
		if v, ok := p["since"]; ok && !stdIsNull(v) {
			n, err := strconv.ParseInt(string(bytes.TrimSpace(v)), 10, 64)
			if err != nil || n < 0 {
				return bad("payload.since must be an offset (an integer, 0 or more).")
			}
			f.Join.Since, f.Join.HasSince = n, true
			e, ok := p["epoch"]
			if !ok || !stdString(e, &f.Join.Epoch) {
				return bad("payload.since needs payload.epoch, the epoch of the join reply the offset came from.")
			}
		}
	}
	return f, nil
}

func stdIsNull(raw json.RawMessage) bool {
	return string(bytes.TrimSpace(raw)) == "null"
}

func stdString(raw json.RawMessage, dst *string) bool {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '"' {
		return false
	}
	return json.Unmarshal(raw, dst) == nil
}
