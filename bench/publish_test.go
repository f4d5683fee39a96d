package bench

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

func TestPublisher(t *testing.T) {
	var (
		mu   sync.Mutex
		seen = map[int64]bool{}
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var body struct {
			Channel string `json:"channel"`
			Data    struct {
				M string `json:"m"`
			} `json:"data"`
		}
		if err := json.Unmarshal(b, &body); err != nil {
			t.Errorf("body %s: %v", b, err)
		}
		_, seq, ok := findMarker([]byte(body.Data.M))
		if !ok || body.Channel != "room-"+string(rune('0'+seq%3)) || len(body.Data.M) != 48 {
			t.Errorf("publish %q to %q", body.Data.M, body.Channel)
		}
		mu.Lock()
		seen[seq] = true
		mu.Unlock()
		if seq%4 == 3 { // every fourth publish is refused
			http.Error(w, `{"code":"ERROR_FATAL"}`, http.StatusInternalServerError)
			return
		}
		w.Write([]byte(`{"ok":true}`))
	}))
	defer srv.Close()

	rooms := []string{"room-0", "room-1", "room-2"}
	chOf := func(seq int64) string { return rooms[seq%3] }
	p := &publisher{
		hc:      newHTTPClient(3),
		url:     srv.URL,
		workers: 3,
		body:    eventBody(chOf, 48),
		expect:  func(seq int64) int64 { return 10 + seq%3 }, // members of its room
	}
	r := p.run(context.Background(), 1e6, 40)
	if r.Sent != 40 || len(seen) != 40 {
		t.Errorf("sent %d, server saw %d distinct publishes, want 40", r.Sent, len(seen))
	}
	if r.Errors != 10 || r.FirstErr == "" {
		t.Errorf("errors %d (%q), want 10", r.Errors, r.FirstErr)
	}
	// Only accepted publishes expect deliveries: seq%4 != 3.
	var want int64
	for seq := int64(0); seq < 40; seq++ {
		if seq%4 != 3 {
			want += 10 + seq%3
		}
	}
	if r.Expected != want {
		t.Errorf("expected %d deliveries, want %d", r.Expected, want)
	}
	if r.First == 0 || r.Last < r.First || r.Lag.Count != 40 {
		t.Errorf("first %d last %d lag %+v", r.First, r.Last, r.Lag)
	}
}

func TestMessageBody(t *testing.T) {
	b := messageBody(func(int64) string { return "marvel_chat_room" }, 30)(nil, 7, 123)
	var v struct{ Channel, Text, Author string }
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	if ts, seq, ok := findMarker([]byte(v.Text)); v.Channel != "marvel_chat_room" || v.Author != "bench" || !ok || ts != 123 || seq != 7 {
		t.Errorf("body %s", b)
	}
}
