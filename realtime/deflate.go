package realtime

import (
	"bytes"
	"compress/flate"
	"errors"
	"io"
	"slices"
	"sync"

	"github.com/gobwas/httphead"
	"github.com/gobwas/ws/wsflate"
)

// permessage-deflate (RFC 7692).
//
// relaybase accepts a client's offer with no context takeover either way: each message is
// compressed on its own, with nothing carried over from the one before. That is what lets
// a broadcast frame be compressed once per node and the very same compressed bytes go to
// every member that negotiated the extension (they all have these parameters), and what
// lets a connection hold no compressor or decompressor of its own: both come from pools for
// one message at a time. The cost is a little ratio on small frames, which share little
// with the frame before anyway.
//
// The server compresses what is worth it: broadcast frames (message, event, presence) and
// large replies (history, presence_full), each only when the compressed frame is smaller;
// a frame that does not shrink goes as it is, which RFC 7692 allows per message. Control
// frames are never compressed. Client messages are decompressed when they come with RSV1,
// and their decompressed size is held to the same limits as an uncompressed message's.

// deflateLevel is compress/flate's BestSpeed: its Reset is cheap (other levels clear
// 640 KB of hash tables per message), and on small JSON frames it gets within a few bytes
// of the others.
const deflateLevel = flate.BestSpeed

const (
	// deflateMin is the smallest payload worth compressing: below it, the block header
	// and the Huffman tables cost more than the repeats they save.
	deflateMin = 64
	// deflateReplyMin is the smallest reply to a client's own request that is compressed:
	// the usual replies (join, leave, errors) are short and sent once, so compressing them
	// costs CPU for nothing; history and presence_full can be large.
	deflateReplyMin = 512
)

// deflateResponse is relaybase's answer to an offer it accepts.
var deflateResponse = wsflate.Parameters{
	ServerNoContextTakeover: true,
	ClientNoContextTakeover: true,
}.Option()

// deflateNegotiation answers the permessage-deflate offers of one upgrade request
// (ws.HTTPUpgrader.Negotiate): the first one relaybase can serve is accepted, the others
// and any other extension declined. One that can't be served is declined, never an error:
// the connection then goes on uncompressed.
type deflateNegotiation struct {
	accepted bool
}

func (d *deflateNegotiation) negotiate(opt httphead.Option) (httphead.Option, error) {
	if d.accepted || !bytes.Equal(opt.Name, wsflate.ExtensionNameBytes) {
		return httphead.Option{}, nil
	}
	var p wsflate.Parameters
	if err := p.Parse(opt); err != nil {
		return httphead.Option{}, nil // unknown, duplicate or invalid parameters (RFC 7692 §5)
	}
	if p.ServerMaxWindowBits.Defined() && p.ServerMaxWindowBits < 15 {
		// compress/flate always uses a 32 KiB window: a client that can't take one gets
		// uncompressed frames.
		return httphead.Option{}, nil
	}
	d.accepted = true
	return deflateResponse, nil
}

// deflater is a pooled compressor with the buffer it writes to.
type deflater struct {
	w   *flate.Writer
	buf []byte
}

func (z *deflater) Write(p []byte) (int, error) {
	z.buf = append(z.buf, p...)
	return len(p), nil
}

var deflaters = sync.Pool{New: func() any {
	z := &deflater{buf: make([]byte, 0, 1024)}
	z.w, _ = flate.NewWriter(z, deflateLevel) // the level is valid: no error
	return z
}}

// deflateFrame returns frame, an unmasked final text frame as the server writes it,
// compressed as a permessage-deflate message: a new frame with RSV1 set. It returns nil when
// compressing does not make the frame smaller, or the frame is too small to try or is not a
// final text frame (a control frame, or a fragment).
func deflateFrame(frame []byte) []byte {
	if len(frame) < 2 || frame[0] != 0x81 || frame[1]&0x80 != 0 {
		return nil
	}
	hl := 2
	switch frame[1] & 0x7f {
	case 126:
		hl = 4
	case 127:
		hl = 10
	}
	if len(frame) < hl+deflateMin {
		return nil
	}
	payload := frame[hl:]
	z := deflaters.Get().(*deflater)
	defer putDeflater(z)
	z.buf = z.buf[:0]
	z.w.Reset(z)
	if _, err := z.w.Write(payload); err != nil {
		return nil
	}
	if err := z.w.Flush(); err != nil {
		return nil
	}
	// A sync flush ends with an empty stored block, 00 00 ff ff, which RFC 7692 §7.2.1
	// says to leave off.
	out, ok := bytes.CutSuffix(z.buf, deflateTail[:4])
	if !ok || len(out) >= len(payload) {
		return nil
	}
	f := make([]byte, wsHeaderLen(len(out))+len(out))
	putWSHeader(f, 0xC1, len(out)) // FIN, RSV1 (compressed), text
	copy(f[wsHeaderLen(len(out)):], out)
	return f
}

func putDeflater(z *deflater) {
	if cap(z.buf) > 64<<10 {
		z.buf = make([]byte, 0, 1024) // don't keep a large message's buffer around
	}
	deflaters.Put(z)
}

// deflated is one frame and, once asked for, its compressed form: a fan-out compresses a
// frame at most once, for the first member that negotiated compression, and hands every
// such member the same bytes.
type deflated struct {
	plain []byte
	z     []byte
	done  bool
}

// forConn returns the bytes to queue for c.
func (d *deflated) forConn(c *conn) []byte {
	if !c.deflate {
		return d.plain
	}
	if !d.done {
		d.done = true
		d.z = deflateFrame(d.plain)
	}
	if d.z == nil {
		return d.plain
	}
	return d.z
}

// deflateTail is what RFC 7692 §7.2.2 has the receiver append to a message before
// inflating it (00 00 ff ff), followed by an empty final stored block (01 00 00 ff ff) so
// that the inflater reaches the end of the stream rather than running out of input.
var deflateTail = [9]byte{0, 0, 0xff, 0xff, 1, 0, 0, 0xff, 0xff}

// errInflate is a compressed message that does not decompress.
var errInflate = errors.New("permessage-deflate: the message does not decompress")

// inflater is a pooled decompressor and the source it reads: a message, then deflateTail.
type inflater struct {
	r       io.ReadCloser
	src     []byte
	tail    int // bytes of deflateTail read
	scratch [2048]byte
}

func (in *inflater) Read(p []byte) (int, error) {
	if len(in.src) > 0 {
		n := copy(p, in.src)
		in.src = in.src[n:]
		return n, nil
	}
	if in.tail == len(deflateTail) {
		return 0, io.EOF
	}
	n := copy(p, deflateTail[in.tail:])
	in.tail += n
	return n, nil
}

// ReadByte makes inflater an io.ByteReader, so that flate reads it without a bufio.Reader
// of its own.
func (in *inflater) ReadByte() (byte, error) {
	if len(in.src) > 0 {
		b := in.src[0]
		in.src = in.src[1:]
		return b, nil
	}
	if in.tail == len(deflateTail) {
		return 0, io.EOF
	}
	b := deflateTail[in.tail]
	in.tail++
	return b, nil
}

var inflaters = sync.Pool{New: func() any {
	in := &inflater{}
	in.r = flate.NewReader(in)
	return in
}}

// inflate decompresses msg, the payload of a compressed message, appending to dst the first
// keep bytes of what it decompresses to. size is how many bytes that is, counted up to
// limit+1 (limit >= keep) and no further: a message that would decompress to more is not
// decompressed past that, since a small message can decompress to a thousand times its
// size. An error means msg is not a deflate stream complete in itself (a client that kept
// its context across messages, although it agreed not to, gets one too).
func inflate(dst, msg []byte, keep, limit int) (out []byte, size int, err error) {
	in := inflaters.Get().(*inflater)
	defer func() {
		in.src = nil
		inflaters.Put(in)
	}()
	in.src, in.tail = msg, 0
	if err := in.r.(flate.Resetter).Reset(in, nil); err != nil {
		return dst, 0, errInflate
	}
	for {
		var p []byte
		if size < keep {
			if len(dst) == cap(dst) {
				dst = slices.Grow(dst, min(keep-size, max(512, cap(dst))))
			}
			p = dst[len(dst):cap(dst)]
			p = p[:min(len(p), keep-size)]
		} else {
			p = in.scratch[:min(len(in.scratch), limit+1-size)] // counted, not kept
		}
		n, rerr := in.r.Read(p)
		if size < keep {
			dst = dst[:len(dst)+n]
		}
		size += n
		switch {
		case rerr == io.EOF:
			return dst, size, nil
		case rerr != nil:
			return dst, size, errInflate
		case size > limit:
			return dst, size, nil
		}
	}
}
