package bench

import (
	"bytes"
)

// A marker is how a publish carries its send time and sequence number through the server to
// every member: the text "@t=<unix ns>;@s=<seq>;" padded with 'x' to the payload size. It
// survives any JSON round trip (it is plain ASCII inside a string) and is found in a
// delivered frame by one search, wherever the server put the string (an event's data, the
// text column of a chat message row).
var markerT = []byte("@t=")

// appendMarker appends the marker for (sentNs, seq), padded with 'x' so that the whole text
// is at least size bytes.
func appendMarker(dst []byte, sentNs, seq int64, size int) []byte {
	start := len(dst)
	dst = append(dst, markerT...)
	dst = appendUint(dst, uint64(sentNs))
	dst = append(dst, ";@s="...)
	dst = appendUint(dst, uint64(seq))
	dst = append(dst, ';')
	for len(dst)-start < size {
		dst = append(dst, 'x')
	}
	return dst
}

// findMarker finds a marker in a delivered frame and returns its send time and sequence.
func findMarker(p []byte) (sentNs, seq int64, ok bool) {
	i := bytes.Index(p, markerT)
	if i < 0 {
		return 0, 0, false
	}
	p = p[i+len(markerT):]
	t, n := parseUint(p)
	if n == 0 || n >= len(p) || p[n] != ';' {
		return 0, 0, false
	}
	p = p[n+1:]
	if len(p) < 3 || p[0] != '@' || p[1] != 's' || p[2] != '=' {
		return int64(t), -1, true
	}
	s, m := parseUint(p[3:])
	if m == 0 {
		return int64(t), -1, true
	}
	return int64(t), int64(s), true
}

// appendUint is strconv.AppendUint for base 10, inlined for the hot path.
func appendUint(dst []byte, v uint64) []byte {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	return append(dst, b[i:]...)
}

// parseUint reads leading decimal digits (at most 19) and returns the value and how many
// bytes it used.
func parseUint(p []byte) (uint64, int) {
	var v uint64
	n := 0
	for n < len(p) && n < 19 && p[n] >= '0' && p[n] <= '9' {
		v = v*10 + uint64(p[n]-'0')
		n++
	}
	return v, n
}
