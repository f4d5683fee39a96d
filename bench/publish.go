package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// publisher posts paced publishes to an endpoint over a few keep-alive HTTP connections.
// Each publish carries a marker with the wall time read just before the request is sent,
// so publish→deliver latency starts when the publish leaves the generator.
type publisher struct {
	hc      *http.Client
	url     string
	urls    []string // when set, publish seq goes to urls[seq % len(urls)] (several nodes)
	workers int
	// body builds the JSON body of publish seq sent at sentNs.
	body func(dst []byte, seq, sentNs int64) []byte
	// expect is called before publish seq is sent with how many deliveries it should
	// cause (the members of its channel).
	expect func(seq int64) int64

	sent      atomic.Int64
	errors    atomic.Int64
	expected  atomic.Int64
	firstSent atomic.Int64 // wall ns
	lastSent  atomic.Int64
	firstErr  atomic.Value // string

	mu  sync.Mutex
	lag *Latency // due → sent: how far the publisher fell behind its schedule
}

// publishResult is what the publisher did.
type publishResult struct {
	Sent     int64
	Errors   int64
	Expected int64
	First    int64 // wall ns of the first publish
	Last     int64
	Lag      Percentiles
	FirstErr string
}

// run publishes total times at rate from now on, and returns when the last one was
// answered or ctx ended.
func (p *publisher) run(ctx context.Context, rate float64, total int64) publishResult {
	p.lag = NewLatency()
	type ticket struct {
		seq int64
		due time.Time
	}
	tickets := make(chan ticket, p.workers)
	var wg sync.WaitGroup
	for w := 0; w < p.workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lag := NewLatency()
			buf := make([]byte, 0, 512)
			for t := range tickets {
				now := time.Now()
				lag.Record(now.Sub(t.due))
				buf = p.body(buf[:0], t.seq, now.UnixNano())
				p.firstSent.CompareAndSwap(0, now.UnixNano())
				// A publish the server refused fired nothing: it is an error, not
				// deliveries lost.
				url := p.url
				if len(p.urls) > 0 {
					url = p.urls[t.seq%int64(len(p.urls))]
				}
				if p.post(ctx, url, buf) {
					p.expected.Add(p.expect(t.seq))
				}
				p.sent.Add(1)
				p.lastSent.Store(now.UnixNano())
			}
			p.mu.Lock()
			p.lag.Merge(lag)
			p.mu.Unlock()
		}()
	}
	pacer := Pacer{Start: time.Now(), Rate: rate}
	schedule(ctx, pacer, total, wallClock{}, func(i int64, due time.Time) {
		select {
		case tickets <- ticket{i, due}:
		case <-ctx.Done():
		}
	})
	close(tickets)
	wg.Wait()
	r := publishResult{
		Sent:     p.sent.Load(),
		Errors:   p.errors.Load(),
		Expected: p.expected.Load(),
		First:    p.firstSent.Load(),
		Last:     p.lastSent.Load(),
		Lag:      p.lag.Summary(),
	}
	r.FirstErr, _ = p.firstErr.Load().(string)
	return r
}

// post sends one publish and reports whether the server accepted it.
func (p *publisher) post(ctx context.Context, url string, body []byte) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		p.failed(err.Error())
		return false
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.hc.Do(req)
	if err != nil {
		p.failed(err.Error())
		return false
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		p.failed(fmt.Sprintf("POST %s: %s %s", url, resp.Status, bytes.TrimSpace(msg)))
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return true
}

func (p *publisher) failed(msg string) {
	p.errors.Add(1)
	p.firstErr.CompareAndSwap(nil, msg)
}

// newHTTPClient is a client for loopback benchmarking: keep-alive connections enough for
// every publisher, no proxy from the environment, no compression.
func newHTTPClient(conns int) *http.Client {
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			Proxy:               nil,
			MaxIdleConns:        conns * 2,
			MaxIdleConnsPerHost: conns * 2,
			IdleConnTimeout:     time.Minute,
			DisableCompression:  true,
		},
	}
}

// eventBody is the body for the bench workspace's POST /api:bench/event:
// {"channel": C, "data": {"m": "<marker>"}}.
func eventBody(channelOf func(seq int64) string, size int) func(dst []byte, seq, sentNs int64) []byte {
	return func(dst []byte, seq, sentNs int64) []byte {
		dst = append(dst, `{"channel":`...)
		dst = strconv.AppendQuote(dst, channelOf(seq))
		dst = append(dst, `,"data":{"m":"`...)
		dst = appendMarker(dst, sentNs, seq, size)
		return append(dst, `"}}`...)
	}
}

// messageBody is the body for the chat example's POST /api:chat/messages:
// {"channel": C, "text": "<marker>", "author": "bench"}.
func messageBody(channelOf func(seq int64) string, size int) func(dst []byte, seq, sentNs int64) []byte {
	return func(dst []byte, seq, sentNs int64) []byte {
		dst = append(dst, `{"channel":`...)
		dst = strconv.AppendQuote(dst, channelOf(seq))
		dst = append(dst, `,"text":"`...)
		dst = appendMarker(dst, sentNs, seq, size)
		return append(dst, `","author":"bench"}`...)
	}
}
