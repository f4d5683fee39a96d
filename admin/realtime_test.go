package admin

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

// sse is an open event stream: its data lines, one at a time.
type sse struct {
	t     *testing.T
	lines chan string
	body  io.Closer
}

func (cl *client) stream(path string) *sse {
	cl.c.t.Helper()
	req, _ := http.NewRequest("GET", cl.c.srv.URL+path, nil)
	resp, err := cl.http.Do(req)
	if err != nil {
		cl.c.t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		cl.c.t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	s := &sse{t: cl.c.t, lines: make(chan string, 64), body: resp.Body}
	go func() {
		defer close(s.lines)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if line, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				s.lines <- line
			}
		}
	}()
	cl.c.t.Cleanup(func() { resp.Body.Close() })
	return s
}

func (s *sse) next() string {
	s.t.Helper()
	select {
	case l, ok := <-s.lines:
		if !ok {
			s.t.Fatal("the stream ended")
		}
		return l
	case <-time.After(5 * time.Second):
		s.t.Fatal("no event within 5s")
	}
	return ""
}

// joinChat connects a realtime member to the chat room.
func joinChat(t *testing.T, c *console) {
	t.Helper()
	url := "ws" + strings.TrimPrefix(c.srv.URL, "http") + "/rt/admintest"
	conn, _, _, err := ws.Dial(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := wsutil.WriteClientText(conn, []byte(`{"action":"join","options":{"channel":"marvel_chat_room"},"payload":{"presence":true}}`)); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	for { // the join's replies
		data, _, err := wsutil.ReadServerData(conn)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(data), `"join"`) || strings.Contains(string(data), "presence") {
			return
		}
	}
}

// The live tail shows a message posted through the chat endpoint and an event published
// from the console; publish stores it in the channel's history; history lists both.
func TestRealtimeTailPublishHistory(t *testing.T) {
	c := newConsole(t)
	cl := c.client()
	cl.login()
	tail := cl.stream("/_/api/realtime/tail?channel=marvel_chat_room")

	code, body, _ := cl.do("POST", "/api:chat/messages", map[string]any{"channel": "marvel_chat_room", "text": "hello from chat", "author": "Cap"})
	if code != 200 {
		t.Fatalf("post: %d %s", code, body)
	}
	var ev struct {
		Offset int64           `json:"offset"`
		Frame  json.RawMessage `json:"frame"`
	}
	if err := json.Unmarshal([]byte(tail.next()), &ev); err != nil || ev.Offset != 1 || !strings.Contains(string(ev.Frame), "hello from chat") {
		t.Fatalf("tail event %+v %v", ev, err)
	}
	code, body, _ = cl.do("POST", "/_/api/realtime/publish", map[string]any{"channel": "marvel_chat_room", "payload": map[string]any{"text": "from the console"}})
	if code != 200 || string(body) != `{"offset":2}` {
		t.Fatalf("publish: %d %s", code, body)
	}
	if line := tail.next(); !strings.Contains(line, `"offset":2`) || !strings.Contains(line, "from the console") {
		t.Fatalf("tail event %s", line)
	}
	code, body, _ = cl.do("GET", "/_/api/realtime/history?channel=marvel_chat_room", nil)
	h := decode[struct {
		Epoch string
		Head  int64
		Items []struct {
			Offset int64
			Frame  map[string]any
		}
	}](t, body)
	if code != 200 || h.Epoch == "" || h.Head != 2 || len(h.Items) != 2 || h.Items[0].Offset != 2 || h.Items[1].Offset != 1 {
		t.Fatalf("history: %d %s", code, body)
	}
	_, body, _ = cl.do("GET", "/_/api/realtime/history?channel=marvel_chat_room&before=2&limit=1", nil)
	if !strings.Contains(string(body), `"offset":1`) || strings.Contains(string(body), `"offset":2`) {
		t.Fatalf("history before 2: %s", body)
	}
	for name, tc := range map[string]struct {
		method, path string
		body         any
	}{
		"publish without a rule":  {"POST", "/_/api/realtime/publish", map[string]any{"channel": "nochannel", "payload": 1}},
		"publish without channel": {"POST", "/_/api/realtime/publish", map[string]any{"payload": 1}},
		"tail without a rule":     {"GET", "/_/api/realtime/tail?channel=nochannel", nil},
		"history without channel": {"GET", "/_/api/realtime/history", nil},
		"history bad limit":       {"GET", "/_/api/realtime/history?channel=marvel_chat_room&limit=0", nil},
		"presence without a rule": {"GET", "/_/api/realtime/presence?channel=nochannel", nil},
	} {
		if code, body, _ := cl.do(tc.method, tc.path, tc.body); code != 400 {
			t.Errorf("%s: %d %s", name, code, body)
		}
	}
}

func TestRealtimeOverviewPresenceStats(t *testing.T) {
	c := newConsole(t)
	cl := c.client()
	cl.login()
	joinChat(t, c)
	code, body, _ := cl.do("GET", "/_/api/realtime", nil)
	o := decode[struct {
		Connections int64
		Members     int64
		Channels    []channelJSON
	}](t, body)
	if code != 200 || o.Connections != 1 || o.Members != 1 || len(o.Channels) != 1 {
		t.Fatalf("overview: %d %s", code, body)
	}
	if ch := o.Channels[0]; ch.Name != "marvel_chat_room" || ch.Protocol != "rt" || ch.Members != 1 || !ch.History.Enabled {
		t.Fatalf("channel: %+v", ch)
	}
	_, body, _ = cl.do("GET", "/_/api/realtime/presence?channel=marvel_chat_room", nil)
	if list := decode[[]map[string]any](t, body); len(list) != 1 || list[0]["socketId"] == nil {
		t.Fatalf("presence: %s", body)
	}
	stats := cl.stream("/_/api/realtime/stats")
	if line := stats.next(); !strings.Contains(line, `"connections":1`) || !strings.Contains(line, "frames_out_per_s") {
		t.Fatalf("stats event %s", line)
	}
	stats.next() // a second one, a second later
}
