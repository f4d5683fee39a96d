//go:build unix

package realtime

import (
	"net"
	"syscall"
)

// rawConn returns the socket of nc for non-blocking writes, or nil when it has none (TLS).
func rawConn(nc net.Conn) syscall.RawConn {
	switch t := nc.(type) {
	case *net.TCPConn:
		rc, err := t.SyscallConn()
		if err == nil {
			return rc
		}
	case *net.UnixConn:
		rc, err := t.SyscallConn()
		if err == nil {
			return rc
		}
	case syscall.Conn:
		// A TCP connection behind a wrapper that offers its socket (httpapi's, for a
		// connection whose first bytes it read): by the upgrade, those bytes are consumed.
		rc, err := t.SyscallConn()
		if err == nil {
			return rc
		}
	}
	return nil
}

// writeNow writes p to fd without waiting: n is what the socket took, err is nil when the
// socket is merely full.
func writeNow(fd uintptr, p []byte) (int, error) {
	for {
		n, err := syscall.Write(int(fd), p)
		switch err {
		case nil:
			return n, nil
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return 0, nil
		}
		return 0, err
	}
}
