package realtime

import (
	"bytes"
	"context"
	"net"
	"strings"
	"testing"

	"github.com/gobwas/httphead"
	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsflate"
)

// UpgradeConn: a connection whose request a listener read starts like one upgraded through
// net/http: token, permessage-deflate, the bytes that followed the request.
func TestUpgradeConn(t *testing.T) {
	e := newEnv(t, withStore(nil), withDeflate(true))
	if !e.srv.Owns("/rt/"+canonical) || e.srv.Owns("/rt/other") || e.srv.Owns("/rt/") {
		t.Fatal("Owns is wrong")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			nc, err := l.Accept()
			if err != nil {
				return
			}
			var got []byte
			buf := make([]byte, 4096)
			for !bytes.Contains(got, []byte("\r\n\r\n")) {
				n, err := nc.Read(buf)
				if err != nil {
					nc.Close()
					return
				}
				got = append(got, buf[:n]...)
			}
			end := bytes.Index(got, []byte("\r\n\r\n")) + 4
			e.srv.UpgradeConn(nc, got[:end], got[end:])
		}
	}()
	d := ws.Dialer{Timeout: wait, Protocols: []string{"user-5"}, Extensions: []httphead.Option{wsflate.DefaultParameters.Option()}}
	nc, br, hs, err := d.Dial(context.Background(), "ws://"+l.Addr().String()+"/rt/"+canonical)
	if err != nil {
		t.Fatal(err)
	}
	if hs.Protocol != "user-5" || len(hs.Extensions) != 1 {
		t.Fatalf("handshake %+v", hs)
	}
	c := &client{t: t, nc: nc, r: nc, frames: make(chan frame, 64), closed: make(chan struct{})}
	if br != nil {
		c.r = br
	}
	t.Cleanup(func() { nc.Close() })
	go c.readLoop(true)
	reply := c.join("public", nil)
	if cl, _ := reply.m["client"].(map[string]any); !strings.Contains(reply.String(), `"row_id":5`) || cl == nil {
		t.Fatalf("join reply %s: not user 5", reply)
	}

	// While shutting down: 503, as through net/http.
	e.srv.mu.Lock()
	e.srv.closing = true
	e.srv.mu.Unlock()
	_, _, _, err = ws.Dialer{Timeout: wait}.Dial(context.Background(), "ws://"+l.Addr().String()+"/rt/"+canonical)
	e.srv.mu.Lock()
	e.srv.closing = false
	e.srv.mu.Unlock()
	if err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("upgrade while closing: %v, want a 503", err)
	}
}
