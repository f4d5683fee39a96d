package metrics

import (
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// counterValue reads one sample of a counter from what the handler serves.
func counterValue(t *testing.T, m *Metrics, name string, labels map[string]string) float64 {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + `="` + labels[k] + `"`
	}
	prefix := name + "{" + strings.Join(parts, ",") + "} "
	for _, line := range strings.Split(rec.Body.String(), "\n") {
		if v, ok := strings.CutPrefix(line, prefix); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatal(err)
			}
			return f
		}
	}
	t.Fatalf("no %s in:\n%s", prefix, rec.Body)
	return 0
}

// TestLabelsNeverTakeRawInput: an action, a reason or a method outside the known lists
// counts as "other", so a client cannot grow the series by what it sends.
func TestLabelsNeverTakeRawInput(t *testing.T) {
	m := New()
	m.Realtime.FrameIn(RT, "join")
	m.Realtime.FrameIn(RT, "x-"+strings.Repeat("a", 100))
	m.Realtime.JoinRefused(WS, "made_up")
	m.Realtime.FramesOut(WS, ActionOf([]byte("conversation_end")), 2)
	m.HTTP.Request("/healthz", "BREW", 200, time.Millisecond)
	for _, tc := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"relaybase_realtime_frames_in_total", map[string]string{"protocol": "rt", "action": "join"}, 1},
		{"relaybase_realtime_frames_in_total", map[string]string{"protocol": "rt", "action": "other"}, 1},
		{"relaybase_realtime_joins_refused_total", map[string]string{"protocol": "ws", "reason": "other"}, 1},
		{"relaybase_realtime_frames_out_total", map[string]string{"protocol": "ws", "action": "conversation_end"}, 2},
		{"relaybase_http_requests_total", map[string]string{"route": "/healthz", "method": "other", "status": "2xx"}, 1},
	} {
		if got := counterValue(t, m, tc.name, tc.labels); got != tc.want {
			t.Errorf("%s%v = %v, want %v", tc.name, tc.labels, got, tc.want)
		}
	}
}

// TestNilCountsNothing: every counting method is safe on a nil receiver (counting off).
func TestNilCountsNothing(t *testing.T) {
	var m Metrics
	m.HTTP.Request("/", "GET", 200, 0)
	m.HTTP.EndpointError("X")
	m.Realtime.FrameIn(RT, "join")
	m.Realtime.Delivered(RT, "event", 3)
	m.Realtime.Wrote(1, 0, 10)
	m.Realtime.Closed(WS, 1000)
	m.Engine.PublishError()
	m.Store.Transaction(true, TxCommit, time.Millisecond)
	m.Tasks.Run("t", true, time.Second)
}

func TestStatusClass(t *testing.T) {
	for status, want := range map[int]string{101: "1xx", 200: "2xx", 404: "4xx", 599: "5xx", 42: "other", 600: "other"} {
		if got := StatusClass(status); got != want {
			t.Errorf("StatusClass(%d) = %s, want %s", status, got, want)
		}
	}
}

// BenchmarkDelivered is what a fan-out pays for counting, once whatever its member count:
// the action's label from the frame's bytes, and two adds.
func BenchmarkDelivered(b *testing.B) {
	r := New().Realtime
	action := []byte("event")
	b.ReportAllocs()
	for b.Loop() {
		r.Delivered(RT, ActionOf(action), 1000)
	}
}

// BenchmarkFrameIn is what a client frame read pays: a read-only map lookup and an add.
func BenchmarkFrameIn(b *testing.B) {
	r := New().Realtime
	b.ReportAllocs()
	for b.Loop() {
		r.FrameIn(RT, "message")
	}
}
