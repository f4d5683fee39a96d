package servers

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
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

type rawFrame struct {
	Action  *string         `json:"action"`
	Channel *string         `json:"channel"`
	Type    *string         `json:"type"`
	Payload json.RawMessage `json:"payload"`
	ID      json.RawMessage `json:"id"`
	Options *struct {
		To       json.RawMessage `json:"to"`
		ClientID *string         `json:"client_id"`
		Channel  *string         `json:"channel"`
	} `json:"options"`
}

// frameError is a refused client frame.
type frameError struct{ code, msg string }

func (e *frameError) Error() string { return e.code + ": " + e.msg }

// maxClientID bounds options.client_id.
const maxClientID = 128

// decodeFrame parses one client text message. Unknown members are ignored.
func decodeFrame(data []byte) (clientFrame, error) {
	var f clientFrame
	var raw rawFrame
	d := json.NewDecoder(bytes.NewReader(data))
	if err := d.Decode(&raw); err != nil || len(bytes.TrimSpace(data[d.InputOffset():])) != 0 || bytes.TrimSpace(data)[0] != '{' {
		return f, &frameError{codeBadFrame, "A frame must be one JSON object {\"action\", \"channel\", ...}."}
	}
	if raw.Action == nil {
		return f, &frameError{codeBadFrame, "A frame needs an \"action\" that is a string."}
	}
	f.Action = *raw.Action
	switch f.Action {
	case actJoin, actLeave, actBroadcast, actAck, actPing, actPresence:
	default:
		return f, &frameError{codeUnknownAction, "Unknown action " + strconv.Quote(realtime.Truncate(f.Action, 64)) + "."}
	}
	if raw.Channel != nil {
		f.Channel = *raw.Channel
	}
	if raw.Type != nil {
		f.Type = *raw.Type
	}
	if len(raw.Payload) > 0 && string(raw.Payload) != "null" {
		f.Payload = raw.Payload
	}
	if o := raw.Options; o != nil {
		if o.Channel != nil {
			f.Channel = *o.Channel
		}
		if o.ClientID != nil {
			f.ClientID = *o.ClientID
			if f.ClientID == "" || len(f.ClientID) > maxClientID || !printable(f.ClientID) {
				return f, &frameError{codeBadFrame, "options.client_id must be 1 to 128 printable characters."}
			}
		}
		if len(o.To) > 0 && string(o.To) != "null" {
			f.HasTo = true
			var to struct {
				DboID json.Number `json:"dbo_id"`
				RowID json.Number `json:"row_id"`
			}
			dec := json.NewDecoder(bytes.NewReader(o.To))
			dec.UseNumber()
			err := dec.Decode(&to)
			t, terr := to.DboID.Int64()
			r, rerr := parseIDNumber(to.RowID)
			if err != nil || terr != nil || rerr != nil || t <= 0 || r <= 0 {
				return f, &frameError{codeBadFrame, "options.to must be {\"dbo_id\": <auth table id>, \"row_id\": <user id>}, both positive integers."}
			}
			f.To = &relaybase.Identity{TableID: t, RowID: r}
		}
	}
	if len(raw.ID) > 0 && string(raw.ID) != "null" {
		id, err := parseID(raw.ID)
		if err != nil {
			return f, &frameError{codeBadFrame, "\"id\" must be a message id such as \"12\"."}
		}
		f.ID, f.HasID = id, true
	}
	if f.Action != actPing && f.Channel == "" {
		return f, &frameError{codeBadFrame, "This action needs a \"channel\"."}
	}
	return f, nil
}

// parseID reads an id written as a JSON string of digits or as a JSON integer.
func parseID(raw json.RawMessage) (int64, error) {
	var s string
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &s); err != nil {
			return 0, err
		}
	} else {
		s = string(raw)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, errors.New("not an id")
	}
	return n, nil
}

// parseIDNumber reads a row id given as a number or a numeric string ("row_id" is text in
// Xano's session).
func parseIDNumber(n json.Number) (int64, error) {
	return strconv.ParseInt(string(n), 10, 64)
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
