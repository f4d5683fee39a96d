package realtime

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// Actions of protocol.md §2.
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

// Error codes of protocol.md §2.2.
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

// clientFrame is a decoded client → server frame (protocol.md §2.1).
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

var (
	nullJSON        = json.RawMessage("null")
	emptyObjectJSON = json.RawMessage("{}")
)

// decodeFrame parses one client text message. Unknown members and option keys are ignored;
// of a member given twice, the last counts (as with encoding/json).
//
// It is on every join, so it reads the message in place rather than through encoding/json
// maps: json.Valid checks the whole message once (the same grammar encoding/json accepts),
// then the members it needs are found by walking the valid text. Only strings with escapes
// are unquoted by encoding/json. Options and Payload are slices of data. FuzzDecodeFrame
// holds it to the encoding/json decoder it replaced, error for error.
func decodeFrame(data []byte) (clientFrame, *frameError) {
	var f clientFrame
	if !utf8.Valid(data) {
		return badFrame("", "A frame must be UTF-8 text.")
	}
	top := trimJSONSpace(data)
	if !json.Valid(top) || top[0] != '{' {
		return badFrame("", "A frame must be a JSON object {\"action\", \"options\", \"payload\"}.")
	}
	var action, options, payload []byte
	for it := (objectIter{b: top, i: 1}); it.next(); {
		switch {
		case it.keyIs("action"):
			action = it.val
		case it.keyIs("options"):
			options = it.val
		case it.keyIs("payload"):
			payload = it.val
		}
	}
	var ok bool
	if f.Action, ok = jsonAction(action); !ok {
		return badFrame("", "A frame needs an \"action\" that is a string.")
	}
	f.Payload = nullJSON
	if payload != nil {
		f.Payload = payload
	}
	f.Options = emptyObjectJSON
	var channel, authenticated, socketID []byte
	if options != nil && !isNull(options) {
		if options[0] != '{' {
			return badFrame("", "\"options\" must be an object.")
		}
		f.Options = options
		for it := (objectIter{b: options, i: 1}); it.next(); {
			switch {
			case it.keyIs("channel"):
				channel = it.val
			case it.keyIs("authenticated"):
				authenticated = it.val
			case it.keyIs("socketId"):
				socketID = it.val
			}
		}
	}
	switch f.Action {
	case actJoin, actLeave, actMessage, actHistory:
	default:
		return clientFrame{}, &frameError{Code: codeUnknownAction, Message: "Unknown action " + strconv.Quote(truncate(f.Action, 64)) + "."}
	}
	if f.Channel, ok = jsonString(channel); !ok {
		return badFrame("", "options.channel must be a string.")
	}
	if !validChannelName(f.Channel) {
		return badFrame("", "A channel name is 1 to 256 bytes of printable UTF-8.")
	}
	switch f.Action {
	case actMessage:
		if authenticated != nil && !isNull(authenticated) {
			if f.Authenticated, ok = jsonBool(authenticated); !ok {
				return badFrame(f.Channel, "options.authenticated must be true or false.")
			}
		}
		if socketID != nil && !isNull(socketID) {
			if f.SocketID, ok = jsonString(socketID); !ok {
				return badFrame(f.Channel, "options.socketId must be a string.")
			}
			f.Private = true
		}
	case actJoin:
		if isNull(f.Payload) {
			break
		}
		if f.Payload[0] != '{' {
			return badFrame(f.Channel, "A join payload must be an object {\"history\", \"presence\"}.")
		}
		var history, presence, since, epoch []byte
		for it := (objectIter{b: f.Payload, i: 1}); it.next(); {
			switch {
			case it.keyIs("history"):
				history = it.val
			case it.keyIs("presence"):
				presence = it.val
			case it.keyIs("since"):
				since = it.val
			case it.keyIs("epoch"):
				epoch = it.val
			}
		}
		if history != nil && !isNull(history) {
			if f.Join.History, ok = jsonBool(history); !ok {
				return badFrame(f.Channel, "payload.history must be true or false.")
			}
		}
		if presence != nil && !isNull(presence) {
			if f.Join.Presence, ok = jsonBool(presence); !ok {
				return badFrame(f.Channel, "payload.presence must be true or false.")
			}
		}
		if since != nil && !isNull(since) {
			n, err := strconv.ParseInt(string(since), 10, 64)
			if err != nil || n < 0 {
				return badFrame(f.Channel, "payload.since must be an offset (an integer, 0 or more).")
			}
			f.Join.Since, f.Join.HasSince = n, true
			if f.Join.Epoch, ok = jsonString(epoch); !ok {
				return badFrame(f.Channel, "payload.since needs payload.epoch, the epoch of the join reply the offset came from.")
			}
		}
	}
	return f, nil
}

func badFrame(channel, msg string) (clientFrame, *frameError) {
	return clientFrame{}, &frameError{Code: codeBadFrame, Message: msg, Channel: channel}
}

// jsonAction is jsonString for the action, without a copy for the actions there are.
func jsonAction(raw []byte) (string, bool) {
	if len(raw) > 2 && raw[0] == '"' {
		switch string(raw[1 : len(raw)-1]) {
		case actJoin:
			return actJoin, true
		case actLeave:
			return actLeave, true
		case actMessage:
			return actMessage, true
		case actHistory:
			return actHistory, true
		}
	}
	return jsonString(raw)
}

// The helpers below walk JSON text that json.Valid accepted: they find where values end
// and never check the grammar again.

// objectIter walks the members of a valid JSON object b, starting after its '{' (i: 1).
type objectIter struct {
	b        []byte
	i        int
	key, val []byte // the key and the value as written (the key with its quotes)
}

func (it *objectIter) next() bool {
	b := it.b
	i := skipJSONSpace(b, it.i)
	if b[i] == ',' {
		i = skipJSONSpace(b, i+1)
	}
	if b[i] == '}' {
		it.i = i
		return false
	}
	end := skipJSONString(b, i)
	it.key = b[i:end]
	i = skipJSONSpace(b, end)
	i = skipJSONSpace(b, i+1) // past ':'
	end = skipJSONValue(b, i)
	it.val = b[i:end]
	it.i = end
	return true
}

// keyIs reports whether the current key is name once unquoted.
func (it *objectIter) keyIs(name string) bool {
	k := it.key[1 : len(it.key)-1]
	if bytes.IndexByte(k, '\\') < 0 {
		return string(k) == name
	}
	var u string
	return json.Unmarshal(it.key, &u) == nil && u == name
}

func skipJSONSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

func trimJSONSpace(b []byte) []byte {
	b = b[skipJSONSpace(b, 0):]
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t' || b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// skipJSONString returns the index after the string that starts at b[i] ('"').
func skipJSONString(b []byte, i int) int {
	for i++; ; i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
}

// skipJSONValue returns the index after the value that starts at b[i].
func skipJSONValue(b []byte, i int) int {
	switch b[i] {
	case '"':
		return skipJSONString(b, i)
	case '{', '[':
		depth := 0
		for {
			switch b[i] {
			case '"':
				i = skipJSONString(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
	}
	for i < len(b) {
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i
		}
		i++
	}
	return i
}

func isNull(raw []byte) bool {
	return string(raw) == "null"
}

// jsonString decodes raw, a valid JSON value or nil, when it is a string.
func jsonString(raw []byte) (string, bool) {
	if len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	s := raw[1 : len(raw)-1]
	if bytes.IndexByte(s, '\\') < 0 {
		return string(s), true
	}
	var u string
	err := json.Unmarshal(raw, &u)
	return u, err == nil
}

// jsonBool decodes raw, a valid JSON value, when it is true or false.
func jsonBool(raw []byte) (v, ok bool) {
	switch string(raw) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
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
	kindGap           = 'g' // a history_gap error for every member: frames were lost; the subject is the node that lost them

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

// frameAction is the action of a wire frame this package or a Protocol built (an unmasked,
// uncompressed text frame whose JSON starts {"action":"...") for the metrics; nil when it
// is not one. It reads the frame's first bytes only.
func frameAction(frame []byte) []byte {
	if len(frame) < 2 || frame[0]&0x40 != 0 { // compressed: its bytes say nothing
		return nil
	}
	off := 2
	switch frame[1] & 0x7f {
	case 126:
		off = 4
	case 127:
		off = 10
	}
	const head = `{"action":"`
	if len(frame) < off+len(head) || string(frame[off:off+len(head)]) != head {
		return nil
	}
	rest := frame[off+len(head):]
	for i := 0; i < len(rest) && i < 32; i++ {
		if rest[i] == '"' {
			return rest[:i]
		}
	}
	return nil
}
