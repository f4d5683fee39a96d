//go:build !unix

package realtime

import (
	"errors"
	"net"
	"syscall"
)

func rawConn(net.Conn) syscall.RawConn { return nil }

func writeNow(uintptr, []byte) (int, error) { return 0, errors.New("not supported") }
