package servers

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"strconv"
	"unicode/utf8"

	"relaybase"
	"relaybase/realtime"
)

var randRead = rand.Read

// Client actions (docs/realtime.md, "Frames").
const (
	actJoin      = "join"
	actLeave     = "leave"
	actBroadcast = "broadcast"
	actAck       = "ack"
	actPing      = "ping"
	actPresence  = "presence"
)

// Error codes of the error frame.
const (
	codeBadFrame          = "bad_frame"
	codeUnknownAction     = "unknown_action"
	codeChannelNotFound   = "channel_not_found"
	codeUnauthorized      = "unauthorized"
	codeForbidden         = "forbidden"
	codeNotJoined         = "not_joined"
	codeUnknownType       = "unknown_type"
	codeInputError        = "input_error"
	codeRecipientNotFound = "recipient_not_found"
	codeTooManyChannels   = "too_many_channels"
	codeRateLimited       = "rate_limited"
	codeInternal          = "internal"
)

// clientFrame is a decoded client frame.
type clientFrame struct {
	Action   string
	Channel  string // options.channel, else channel
	Type     string
	Payload  json.RawMessage // nil when absent
	ID       int64           // ack: the id acked
	HasID    bool
	To       *relaybase.Identity // options.to: a direct message's recipient
	HasTo    bool
	ClientID string // options.client_id
}

// frameError is a refused client frame.
type frameError struct{ code, msg string }

func (e *frameError) Error() string { return e.code + ": " + e.msg }

// maxClientID bounds options.client_id.
const maxClientID = 128

func badFrame(msg string) *frameError { return &frameError{codeBadFrame, msg} }

// decodeFrame parses one client text message. Unknown members are ignored; of a member
// given twice, the last counts.
//
// Every ack of every member comes through here, so it reads the message in place, as the
// legacy protocol's decoder does (realtime.JSONObject): the whole text is checked once
// (UTF-8, one JSON object), then the members it needs are found by walking it; payload and
// options.to stay slices of data. FuzzDecodeFrame holds it to an encoding/json decoder
// (decode_ref_test.go), error for error.
func decodeFrame(data []byte) (clientFrame, error) {
	var f clientFrame
	top, ok := realtime.ValidJSONObject(data)
	if !ok {
		return f, badFrame("A frame must be one JSON object {\"action\", \"channel\", ...}.")
	}
	var action, channel, typ, payload, id, options []byte
	for it := realtime.WalkJSONObject(top); it.Next(); {
		switch {
		case it.KeyIs("action"):
			action = it.Value()
		case it.KeyIs("channel"):
			channel = it.Value()
		case it.KeyIs("type"):
			typ = it.Value()
		case it.KeyIs("payload"):
			payload = it.Value()
		case it.KeyIs("id"):
			id = it.Value()
		case it.KeyIs("options"):
			options = it.Value()
		}
	}
	if f.Action, ok = frameAction(action); !ok {
		return f, badFrame("A frame needs an \"action\" that is a string.")
	}
	switch f.Action {
	case actJoin, actLeave, actBroadcast, actAck, actPing, actPresence:
	default:
		return f, &frameError{codeUnknownAction, "Unknown action " + strconv.Quote(realtime.Truncate(f.Action, 64)) + "."}
	}
	if f.Channel, ok = optionalString(channel); !ok {
		return f, badFrame("\"channel\" must be a string.")
	}
	if f.Type, ok = optionalString(typ); !ok {
		return f, badFrame("\"type\" must be a string.")
	}
	if len(payload) > 0 && !isNull(payload) {
		f.Payload = payload
	}
	if len(options) > 0 && !isNull(options) {
		if options[0] != '{' {
			return f, badFrame("\"options\" must be an object.")
		}
		var och, cid, to []byte
		for it := realtime.WalkJSONObject(options); it.Next(); {
			switch {
			case it.KeyIs("channel"):
				och = it.Value()
			case it.KeyIs("client_id"):
				cid = it.Value()
			case it.KeyIs("to"):
				to = it.Value()
			}
		}
		if och != nil && !isNull(och) {
			if f.Channel, ok = realtime.JSONString(och); !ok {
				return f, badFrame("options.channel must be a string.")
			}
		}
		if cid != nil && !isNull(cid) {
			f.ClientID, ok = realtime.JSONString(cid)
			if !ok || f.ClientID == "" || len(f.ClientID) > maxClientID || !printable(f.ClientID) {
				return f, badFrame("options.client_id must be 1 to 128 printable characters.")
			}
		}
		if to != nil && !isNull(to) {
			f.HasTo = true
			t, r, ok := recipient(to)
			if !ok {
				return f, badFrame("options.to must be {\"dbo_id\": <auth table id>, \"row_id\": <user id>}, both positive integers.")
			}
			f.To = &relaybase.Identity{TableID: t, RowID: r}
		}
	}
	if len(id) > 0 && !isNull(id) {
		n, ok := integer(id)
		if !ok || n < 0 {
			return f, badFrame("\"id\" must be a message id such as \"12\".")
		}
		f.ID, f.HasID = n, true
	}
	if f.Action != actPing && f.Channel == "" {
		return f, badFrame("This action needs a \"channel\".")
	}
	return f, nil
}

// frameAction is realtime.JSONString for the action, without a copy for the actions
// there are.
func frameAction(raw []byte) (string, bool) {
	if len(raw) > 2 && raw[0] == '"' {
		switch string(raw[1 : len(raw)-1]) {
		case actAck:
			return actAck, true
		case actBroadcast:
			return actBroadcast, true
		case actJoin:
			return actJoin, true
		case actLeave:
			return actLeave, true
		case actPing:
			return actPing, true
		case actPresence:
			return actPresence, true
		}
	}
	return realtime.JSONString(raw)
}

// optionalString decodes a member that is a string, null or absent ("").
func optionalString(raw []byte) (string, bool) {
	if raw == nil || isNull(raw) {
		return "", true
	}
	return realtime.JSONString(raw)
}

func isNull(raw []byte) bool { return string(raw) == "null" }

// integer reads an integer written as a JSON number or as a JSON string of one.
func integer(raw []byte) (int64, bool) {
	if raw[0] == '"' {
		s, ok := realtime.JSONString(raw)
		if !ok {
			return 0, false
		}
		n, err := strconv.ParseInt(s, 10, 64)
		return n, err == nil
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	return n, err == nil
}

// recipient reads options.to, {"dbo_id", "row_id"}, each an integer or a string of one
// (row_id is text in Xano's session); both must be positive.
func recipient(to []byte) (table, row int64, ok bool) {
	if to[0] != '{' {
		return 0, 0, false
	}
	var dbo, rid []byte
	for it := realtime.WalkJSONObject(to); it.Next(); {
		switch {
		case it.KeyIs("dbo_id"):
			dbo = it.Value()
		case it.KeyIs("row_id"):
			rid = it.Value()
		}
	}
	if dbo == nil || rid == nil {
		return 0, 0, false
	}
	t, tok := integer(dbo)
	r, rok := integer(rid)
	return t, r, tok && rok && t > 0 && r > 0
}

func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// Server frames are built as JSON with appendString and friends, then framed once with
// realtime.TextFrame; a frame that fans out is encoded once and its bytes go to every
// member.

func appendHead(b []byte, action, channel string) []byte {
	b = append(b, `{"action":`...)
	b = realtime.AppendJSONString(b, action)
	if channel != "" {
		b = append(b, `,"channel":`...)
		b = realtime.AppendJSONString(b, channel)
	}
	return b
}

// errorFrame is {"action":"error","channel"?,"type"?,"payload":{"message","code",...}}.
func errorFrame(channel, typ, code, msg string, extra ...any) []byte {
	b := appendHead(nil, "error", channel)
	if typ != "" {
		b = append(b, `,"type":`...)
		b = realtime.AppendJSONString(b, typ)
	}
	b = append(b, `,"payload":{"message":`...)
	b = realtime.AppendJSONString(b, msg)
	b = append(b, `,"code":`...)
	b = realtime.AppendJSONString(b, code)
	for i := 0; i+1 < len(extra); i += 2 {
		b = append(b, ',')
		b = realtime.AppendJSONString(b, extra[i].(string))
		b = append(b, ':')
		v, _ := json.Marshal(extra[i+1])
		b = append(b, v...)
	}
	return append(b, `}}`...)
}

// stored is a channel message as the stream keeps it: {"channel","type","payload","from"?},
// without action, id and ts, which each frame built from it adds.
func storedJSON(channel, typ string, payload []byte, from *relaybase.Identity) []byte {
	b := append([]byte(`{"channel":`), realtime.AppendJSONString(nil, channel)...)
	b = append(b, `,"type":`...)
	b = realtime.AppendJSONString(b, typ)
	b = append(b, `,"payload":`...)
	b = append(b, payload...)
	if from != nil && from.Authenticated() {
		b = append(b, `,"from":{"id":`...)
		b = realtime.AppendJSONString(b, strconv.FormatInt(from.RowID, 10))
		b = append(b, `,"dbo_id":`...)
		b = strconv.AppendInt(b, from.TableID, 10)
		b = append(b, '}')
	}
	return append(b, '}')
}

// messageFrame builds a message (or replay) frame from a stored message: its action, the
// stored members, ts, the id when there is one, and "conversation":true for a transcript.
func messageFrame(action string, stored []byte, id, ts int64, conversation bool) []byte {
	b := make([]byte, 0, len(stored)+64)
	b = append(b, `{"action":`...)
	b = realtime.AppendJSONString(b, action)
	b = append(b, ',')
	b = append(b, stored[1:len(stored)-1]...)
	b = append(b, `,"ts":`...)
	b = strconv.AppendInt(b, ts, 10)
	if id > 0 {
		b = append(b, `,"id":"`...)
		b = strconv.AppendInt(b, id, 10)
		b = append(b, '"')
	}
	if conversation {
		b = append(b, `,"conversation":true`...)
	}
	return append(b, '}')
}

// Engine messages of this package: kind, the stream id (0: none), a subject, then the wire
// frame every recipient gets.
const (
	kindAll           byte = 1 // every member
	kindOthers        byte = 2 // every member but the socket named by subject
	kindDirect        byte = 3 // the sockets of the identity named by subject ("table:row")
	kindPresence      byte = 4 // members with presence, but the socket named by subject
	kindPresenceLeave byte = 5 // as kindPresence; subject's identity left
)

type envelope struct {
	kind    byte
	id      int64
	subject string
	wire    []byte
}

func seal(kind byte, id int64, subject string, wire []byte) []byte {
	b := make([]byte, 0, 10+len(subject)+len(wire))
	b = append(b, kind)
	b = binary.BigEndian.AppendUint64(b, uint64(id))
	b = append(b, byte(len(subject)))
	b = append(b, subject...)
	return append(b, wire...)
}

func openEnvelope(msg []byte) (envelope, bool) {
	if len(msg) < 10 {
		return envelope{}, false
	}
	e := envelope{kind: msg[0], id: int64(binary.BigEndian.Uint64(msg[1:9]))}
	n := int(msg[9])
	if len(msg) < 10+n {
		return envelope{}, false
	}
	e.subject = string(msg[10 : 10+n])
	e.wire = msg[10+n:]
	return e, true
}

func identityKey(id relaybase.Identity) string {
	return strconv.FormatInt(id.TableID, 10) + ":" + strconv.FormatInt(id.RowID, 10)
}
