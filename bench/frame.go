package bench

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
)

// WebSocket opcodes (RFC 6455 §5.2).
const (
	opContinuation = 0x0
	opText         = 0x1
	opBinary       = 0x2
	opClose        = 0x8
	opPing         = 0x9
	opPong         = 0xA
)

// header is a parsed WebSocket frame header.
type header struct {
	fin    bool
	op     byte
	masked bool
	mask   [4]byte
	size   int // payload bytes
	len    int // header bytes
}

var errFrameTooBig = errors.New("frame larger than 1 GiB")

// parseHeader reads a frame header at the start of b. It reports ok=false when b does not
// hold the whole header yet.
func parseHeader(b []byte) (h header, ok bool, err error) {
	if len(b) < 2 {
		return h, false, nil
	}
	h.fin = b[0]&0x80 != 0
	h.op = b[0] & 0x0F
	h.masked = b[1]&0x80 != 0
	n := int(b[1] & 0x7F)
	h.len = 2
	switch n {
	case 126:
		if len(b) < 4 {
			return h, false, nil
		}
		n = int(b[2])<<8 | int(b[3])
		h.len = 4
	case 127:
		if len(b) < 10 {
			return h, false, nil
		}
		var u uint64
		for _, c := range b[2:10] {
			u = u<<8 | uint64(c)
		}
		if u > 1<<30 {
			return h, false, errFrameTooBig
		}
		n = int(u)
		h.len = 10
	}
	if h.masked {
		if len(b) < h.len+4 {
			return h, false, nil
		}
		copy(h.mask[:], b[h.len:h.len+4])
		h.len += 4
	}
	h.size = n
	return h, true, nil
}

// appendServerFrame appends an unmasked frame, the form a server sends (the floor writer
// uses it).
func appendServerFrame(dst []byte, op byte, payload []byte) []byte {
	dst = append(dst, 0x80|op)
	dst = appendLength(dst, 0, len(payload))
	return append(dst, payload...)
}

// appendClientFrame appends a masked frame with the given mask, the form a client must send.
// The mask need not be unpredictable here: nothing between the bench and the server on
// loopback is a cache that masking protects.
func appendClientFrame(dst []byte, op byte, payload []byte, mask [4]byte) []byte {
	dst = append(dst, 0x80|op)
	dst = appendLength(dst, 0x80, len(payload))
	dst = append(dst, mask[:]...)
	start := len(dst)
	dst = append(dst, payload...)
	for i := range dst[start:] {
		dst[start+i] ^= mask[i&3]
	}
	return dst
}

func appendLength(dst []byte, maskBit byte, n int) []byte {
	switch {
	case n < 126:
		return append(dst, maskBit|byte(n))
	case n < 1<<16:
		return append(dst, maskBit|126, byte(n>>8), byte(n))
	default:
		dst = append(dst, maskBit|127)
		for s := 56; s >= 0; s -= 8 {
			dst = append(dst, byte(uint64(n)>>s))
		}
		return dst
	}
}

// unmask undoes a frame mask in place (servers don't mask, but a frame that is masked is
// still read correctly).
func unmask(p []byte, mask [4]byte) {
	for i := range p {
		p[i] ^= mask[i&3]
	}
}

// closeCode reads the status code of a close frame's payload (1005 when it carries none).
func closeCode(p []byte) int {
	if len(p) < 2 {
		return 1005
	}
	return int(p[0])<<8 | int(p[1])
}

// handshakeKey is the Sec-WebSocket-Key every bench client sends: RFC 6455's sample nonce.
// The server only echoes a digest of it; a fixed key keeps the dial free of allocations.
const handshakeKey = "dGhlIHNhbXBsZSBub25jZQ=="

// upgradeRequest is the HTTP request that opens a WebSocket at path on host, offering
// token as the subprotocol when there is one (protocol.md §1).
func upgradeRequest(host, path, token string) []byte {
	b := make([]byte, 0, 192+len(token))
	b = append(b, "GET "...)
	b = append(b, path...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, host...)
	b = append(b, "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: "...)
	b = append(b, handshakeKey...)
	if token != "" {
		b = append(b, "\r\nSec-WebSocket-Protocol: "...)
		b = append(b, token...)
	}
	return append(b, "\r\n\r\n"...)
}

// parseUpgradeResponse looks for a complete HTTP response head at the start of b. It
// returns the head's length (0 when incomplete) and an error unless the status is 101.
func parseUpgradeResponse(b []byte) (int, error) {
	end := bytes.Index(b, []byte("\r\n\r\n"))
	if end < 0 {
		if len(b) > 16<<10 {
			return 0, errors.New("upgrade response head over 16 KiB")
		}
		return 0, nil
	}
	line, _, _ := bytes.Cut(b[:end], []byte("\r\n"))
	f := bytes.Fields(line)
	if len(f) < 2 || !bytes.HasPrefix(f[0], []byte("HTTP/1.")) {
		return end + 4, fmt.Errorf("upgrade: malformed status line %q", line)
	}
	if code, err := strconv.Atoi(string(f[1])); err != nil || code != 101 {
		return end + 4, fmt.Errorf("upgrade refused: %s", line)
	}
	return end + 4, nil
}

// joinFrame is the client's join for channel, asking for neither history nor presence: the
// members of a benchmark listen to live frames only.
func joinFrame(channel string) []byte {
	p := make([]byte, 0, 96+len(channel))
	p = append(p, `{"action":"join","options":{"channel":`...)
	p = strconv.AppendQuote(p, channel)
	p = append(p, `},"payload":{"history":false,"presence":false}}`...)
	return appendClientFrame(nil, opText, p, [4]byte{0x5a, 0x1e, 0x77, 0x3c})
}

// joinFrameCurrent is a member's join in the current protocol, with the client_id its
// at-least-once cursor is kept under.
func joinFrameCurrent(channel, clientID string) []byte {
	p := make([]byte, 0, 64+len(channel)+len(clientID))
	p = append(p, `{"action":"join","channel":`...)
	p = strconv.AppendQuote(p, channel)
	p = append(p, `,"options":{"client_id":`...)
	p = strconv.AppendQuote(p, clientID)
	p = append(p, `}}`...)
	return appendClientFrame(nil, opText, p, [4]byte{0x5a, 0x1e, 0x77, 0x3c})
}

// ackPrefix is the start of an ack frame's JSON for channel; the id and `"}` follow.
func ackPrefix(channel string) []byte {
	p := append([]byte(`{"action":"ack","channel":`), strconv.Quote(channel)...)
	return append(p, `,"id":"`...)
}

// findID reads the "id":"N" of a current-protocol message frame (0 when it has none).
func findID(p []byte) int64 {
	i := bytes.LastIndex(p, []byte(`"id":"`))
	if i < 0 {
		return 0
	}
	var n int64
	for _, c := range p[i+6:] {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int64(c-'0')
	}
	return n
}

// clientCloseFrame is a masked close frame with status 1000.
func clientCloseFrame() []byte {
	return appendClientFrame(nil, opClose, []byte{0x03, 0xE8}, [4]byte{1, 2, 3, 4})
}

// action classifies a server frame by its "action" member. relaybase writes "action"
// first, so the common case is a prefix test; any other order is found by a search.
type action uint8

const (
	actOther action = iota
	actJoin
	actDelivery // "event" or "message": what publishes deliver
	actError
)

var (
	prefixEvent   = []byte(`{"action":"event"`)
	prefixMessage = []byte(`{"action":"message"`)
	prefixJoin    = []byte(`{"action":"join"`)
	prefixError   = []byte(`{"action":"error"`)
	keyAction     = []byte(`"action":"`)
)

func classify(p []byte) action {
	switch {
	case bytes.HasPrefix(p, prefixEvent), bytes.HasPrefix(p, prefixMessage):
		return actDelivery
	case bytes.HasPrefix(p, prefixJoin):
		return actJoin
	case bytes.HasPrefix(p, prefixError):
		return actError
	}
	i := bytes.Index(p, keyAction)
	if i < 0 {
		return actOther
	}
	rest := p[i+len(keyAction):]
	switch {
	case bytes.HasPrefix(rest, []byte(`event"`)), bytes.HasPrefix(rest, []byte(`message"`)):
		return actDelivery
	case bytes.HasPrefix(rest, []byte(`join"`)):
		return actJoin
	case bytes.HasPrefix(rest, []byte(`error"`)):
		return actError
	}
	return actOther
}

// errorCode returns the "code" of an error frame's payload, for diagnostics.
func errorCode(p []byte) string {
	i := bytes.Index(p, []byte(`"code":"`))
	if i < 0 {
		return "?"
	}
	rest := p[i+8:]
	if j := bytes.IndexByte(rest, '"'); j >= 0 {
		return string(rest[:j])
	}
	return "?"
}
