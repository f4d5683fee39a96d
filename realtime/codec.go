package realtime

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// Actions of REALTIME.md §2.
const (
	actJoin           = "join"
	actLeave          = "leave"
	actMessage        = "message"
	actHistory        = "history"
	actEvent          = "event"
	actError          = "error"
	actPresenceFull   = "presence_full"
	actPresenceUpdate = "presence_update"
)

// Error codes of REALTIME.md §2.2.
const (
	codeBadFrame          = "bad_frame"
	codeUnknownAction     = "unknown_action"
	codeChannelNotFound   = "channel_not_found"
	codeUnauthorized      = "unauthorized"
	codeForbidden         = "forbidden"
	codeNotJoined         = "not_joined"
	codeRecipientNotFound = "recipient_not_found"
	codeTooLarge          = "too_large"
	codeTooManyChannels   = "too_many_channels"
	codeRateLimited       = "rate_limited"
	codeHistoryGap        = "history_gap"
	codeInternal          = "internal"
)

// clientFrame is a decoded client → server frame (REALTIME.md §2.1).
type clientFrame struct {
	Action        string
	Channel       string // options.channel, valid when the action needs one
	Authenticated bool   // options.authenticated
	SocketID      string // options.socketId (a private message's recipient)
	Private       bool   // options.socketId was given (message only)
	Options       json.RawMessage
	Payload       json.RawMessage // "null" when absent

	Join joinPayload // for join
}

// joinPayload is the payload of a join.
type joinPayload struct {
	History  bool
	Presence bool
	Since    int64
	HasSince bool
	Epoch    string
}

// frameError is a refused client frame: the error code and message to send back, and the
// channel when it is known.
type frameError struct {
	Code    string
	Message string
	Channel string
}

func (e *frameError) Error() string { return e.Code + ": " + e.Message }

var nullJSON = json.RawMessage("null")

// decodeFrame parses one client text message. Unknown members and option keys are ignored.
func decodeFrame(data []byte) (clientFrame, *frameError) {
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
	if !jsonString(top["action"], &f.Action) {
		return bad("A frame needs an \"action\" that is a string.")
	}
	f.Payload = nullJSON
	if p, ok := top["payload"]; ok {
		f.Payload = p
	}
	f.Options = json.RawMessage("{}")
	var opts map[string]json.RawMessage
	if o, ok := top["options"]; ok && !isNull(o) {
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
	if !ok || !jsonString(ch, &f.Channel) {
		f.Channel = ""
		return bad("options.channel must be a string.")
	}
	if !validChannelName(f.Channel) {
		f.Channel = ""
		return bad("A channel name is 1 to 256 bytes of printable UTF-8.")
	}
	switch f.Action {
	case actMessage:
		if a, ok := opts["authenticated"]; ok && !isNull(a) {
			if err := json.Unmarshal(a, &f.Authenticated); err != nil {
				return bad("options.authenticated must be true or false.")
			}
		}
		if s, ok := opts["socketId"]; ok && !isNull(s) {
			if !jsonString(s, &f.SocketID) {
				return bad("options.socketId must be a string.")
			}
			f.Private = true
		}
	case actJoin:
		if isNull(f.Payload) {
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
			if v, ok := p[k.name]; ok && !isNull(v) {
				if err := json.Unmarshal(v, k.dst); err != nil {
					return bad("payload." + k.name + " must be true or false.")
				}
			}
		}
		if v, ok := p["since"]; ok && !isNull(v) {
			n, err := strconv.ParseInt(string(bytes.TrimSpace(v)), 10, 64)
			if err != nil || n < 0 {
				return bad("payload.since must be an offset (an integer, 0 or more).")
			}
			f.Join.Since, f.Join.HasSince = n, true
			e, ok := p["epoch"]
			if !ok || !jsonString(e, &f.Join.Epoch) {
				return bad("payload.since needs payload.epoch, the epoch of the join reply the offset came from.")
			}
		}
	}
	return f, nil
}

func isNull(raw json.RawMessage) bool {
	return string(bytes.TrimSpace(raw)) == "null"
}

// jsonString decodes raw into *dst when it is a JSON string.
func jsonString(raw json.RawMessage, dst *string) bool {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '"' {
		return false
	}
	return json.Unmarshal(raw, dst) == nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// Server frames are built in one buffer with room in front for the WebSocket header and,
// for frames that travel through the Engine, the envelope; so a frame is encoded once and
// the very same bytes reach every member on every node.
const (
	maxWSHeader = 10 // server frames are never masked: 2 + 8 bytes at most
	maxSubject  = 64 // socketIds are ours: far shorter
	envFixed    = 1 + 1 + 8 + 1
	headroom    = envFixed + maxSubject + maxWSHeader
)

// newFrame returns an empty frame buffer with headroom reserved and room for n more bytes.
func newFrame(n int) []byte {
	return make([]byte, headroom, headroom+n)
}

// wire writes the WebSocket text-frame header in front of the JSON of b (built by
// newFrame and appends) and returns the frame as it goes on the wire.
func wire(b []byte) []byte {
	n := len(b) - headroom
	start := headroom - wsHeaderLen(n)
	putWSHeader(b[start:headroom], 0x81, n)
	return b[start:]
}

func wsHeaderLen(n int) int {
	switch {
	case n < 126:
		return 2
	case n <= 0xffff:
		return 4
	}
	return 10
}

// putWSHeader writes an unmasked final frame header of opcode-byte op for n payload bytes.
func putWSHeader(h []byte, op byte, n int) {
	h[0] = op
	switch {
	case n < 126:
		h[1] = byte(n)
	case n <= 0xffff:
		h[1] = 126
		binary.BigEndian.PutUint16(h[2:], uint16(n))
	default:
		h[1] = 127
		binary.BigEndian.PutUint64(h[2:], uint64(n))
	}
}

// wireCopy returns JSON as a wire frame in a new buffer.
func wireCopy(js []byte) []byte {
	b := newFrame(len(js))
	b = append(b, js...)
	return wire(b)
}

// controlFrame builds a control frame (ping, pong, close) with payload p (≤ 125 bytes).
func controlFrame(op byte, p []byte) []byte {
	b := make([]byte, 2, 2+len(p))
	b[0] = 0x80 | op
	b[1] = byte(len(p))
	return append(b, p...)
}

func closeFrame(code int, reason string) []byte {
	p := make([]byte, 2, 2+len(reason))
	binary.BigEndian.PutUint16(p, uint16(code))
	p = append(p, truncate(reason, 120)...)
	return controlFrame(0x8, p)
}

// Envelope kinds: what an Engine message asks each node to do.
const (
	kindBroadcast     = 'b' // a message or event for every member allowed to receive it
	kindPrivate       = 'p' // a private message for the member whose socketId is the subject
	kindPresenceJoin  = 'j' // presence_update join of the subject, for presence members but the subject
	kindPresenceLeave = 'l' // presence_update leave of the subject

	flagAuthOnly = 1 << 0 // only authenticated members receive it
)

// envelope is a decoded Engine message.
type envelope struct {
	kind    byte
	flags   byte
	offset  int64
	subject []byte
	wire    []byte
}

// seal turns b (built by newFrame) into an Engine message: envelope, WebSocket header, JSON.
func seal(b []byte, kind, flags byte, offset int64, subject string) []byte {
	if len(subject) > maxSubject {
		subject = subject[:maxSubject]
	}
	w := wire(b)
	start := len(b) - len(w) // where the WebSocket header begins
	envStart := start - envFixed - len(subject)
	e := b[envStart:start]
	e[0] = kind
	e[1] = flags
	binary.BigEndian.PutUint64(e[2:], uint64(offset))
	e[10] = byte(len(subject))
	copy(e[11:], subject)
	return b[envStart:]
}

func openEnvelope(msg []byte) (envelope, bool) {
	if len(msg) < envFixed {
		return envelope{}, false
	}
	e := envelope{kind: msg[0], flags: msg[1], offset: int64(binary.BigEndian.Uint64(msg[2:]))}
	n := int(msg[10])
	if len(msg) < envFixed+n+2 {
		return envelope{}, false
	}
	e.subject = msg[envFixed : envFixed+n]
	e.wire = msg[envFixed+n:]
	return e, true
}

// appendString appends s as a JSON string (invalid UTF-8 replaced, so the frame stays text).
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != 0x7f {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"':
				b = append(b, '\\', '"')
			case '\\':
				b = append(b, '\\', '\\')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

const hexDigits = "0123456789abcdef"

func appendOptions(b []byte, channel string) []byte {
	b = append(b, `,"options":{"channel":`...)
	b = appendString(b, channel)
	return append(b, '}')
}

// appendJoinReply: {"action":"join","client":C,"options":{"channel":X},"payload":P}.
func appendJoinReply(b, client []byte, channel string, keepsHistory bool, epoch string, newest int64) []byte {
	b = append(b, `{"action":"join","client":`...)
	b = append(b, client...)
	b = appendOptions(b, channel)
	if keepsHistory {
		b = append(b, `,"payload":{"epoch":`...)
		b = appendString(b, epoch)
		b = append(b, `,"offset":`...)
		b = strconv.AppendInt(b, newest, 10)
		return append(b, `}}`...)
	}
	return append(b, `,"payload":null}`...)
}

func appendLeaveReply(b []byte, channel string) []byte {
	b = append(b, `{"action":"leave"`...)
	b = appendOptions(b, channel)
	return append(b, `,"payload":null}`...)
}

// appendMessage: a member's broadcast (recipient "") or private message, without offset.
func appendMessage(b, client []byte, channel string, authenticated bool, recipient string, private bool, payload []byte) []byte {
	b = append(b, `{"action":"message","client":`...)
	b = append(b, client...)
	b = append(b, `,"options":{"channel":`...)
	b = appendString(b, channel)
	if authenticated {
		b = append(b, `,"authenticated":true`...)
	}
	if private {
		b = append(b, `,"socketId":`...)
		b = appendString(b, recipient)
	}
	b = append(b, `},"payload":`...)
	b = append(b, payload...)
	return append(b, '}')
}

// appendEvent: a Realtime Event (§4), client present only with a sender, without offset.
func appendEvent(b []byte, sender []byte, channel string, data []byte) []byte {
	b = append(b, `{"action":"event"`...)
	if sender != nil {
		b = append(b, `,"client":`...)
		b = append(b, sender...)
	}
	b = appendOptions(b, channel)
	b = append(b, `,"payload":`...)
	b = append(b, data...)
	return append(b, '}')
}

// withOffset appends `,"offset":n` inside the object b ends with.
func withOffset(b []byte, offset int64) []byte {
	b = b[:len(b)-1]
	b = append(b, `,"offset":`...)
	b = strconv.AppendInt(b, offset, 10)
	return append(b, '}')
}

func appendPresenceFull(b []byte, channel string, members [][]byte) []byte {
	b = append(b, `{"action":"presence_full"`...)
	b = appendOptions(b, channel)
	b = append(b, `,"payload":{"presence":[`...)
	for i, m := range members {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, m...)
	}
	return append(b, `]}}`...)
}

func appendPresenceUpdate(b []byte, channel string, join bool, member []byte) []byte {
	b = append(b, `{"action":"presence_update"`...)
	b = appendOptions(b, channel)
	if join {
		b = append(b, `,"payload":{"action":"join","presence":`...)
	} else {
		b = append(b, `,"payload":{"action":"leave","presence":`...)
	}
	b = append(b, member...)
	return append(b, `}}`...)
}

// appendHistoryEntry appends a stored frame with its offset and created_at.
func appendHistoryEntry(b, frame []byte, offset, createdAt int64) []byte {
	frame = bytes.TrimRight(frame, " \t\r\n")
	if len(frame) < 2 || frame[len(frame)-1] != '}' {
		return append(b, `null`...)
	}
	b = append(b, frame[:len(frame)-1]...)
	b = append(b, `,"offset":`...)
	b = strconv.AppendInt(b, offset, 10)
	b = append(b, `,"created_at":`...)
	b = strconv.AppendInt(b, createdAt, 10)
	return append(b, '}')
}

func appendError(b []byte, channel, code, message string) []byte {
	b = append(b, `{"action":"error","options":{`...)
	if channel != "" {
		b = append(b, `"channel":`...)
		b = appendString(b, channel)
	}
	b = append(b, `},"payload":{"code":`...)
	b = appendString(b, code)
	b = append(b, `,"message":`...)
	b = appendString(b, message)
	return append(b, `}}`...)
}
