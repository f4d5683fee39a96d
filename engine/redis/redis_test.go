package redis_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"relaybase"
	"relaybase/engine/redis"
)

// These tests need no Redis; the integration tests (-tags integration) run the engine
// against one.

func TestNewUnreachable(t *testing.T) {
	// A port nothing listens on: the connection is refused at once.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	e, err := redis.New(ctx, "redis://"+addr+"/0")
	if err == nil {
		e.Close()
		t.Fatal("New succeeded without a Redis")
	}
	if !errors.Is(err, relaybase.ErrUnavailable) {
		t.Fatalf("New: %v, want an error wrapping relaybase.ErrUnavailable", err)
	}
	if !strings.Contains(err.Error(), addr) {
		t.Fatalf("New: %v does not say which Redis", err)
	}
}

func TestNewBadConfig(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		url  string
		opts []redis.Option
		want string
	}{
		{"not a redis URL", "http://localhost:6379", nil, "bad URL"},
		{"zero heartbeat", "redis://127.0.0.1:1/0", []redis.Option{redis.WithHeartbeat(0)}, "heartbeat"},
		{"expiry too short", "redis://127.0.0.1:1/0", []redis.Option{redis.WithHeartbeat(10 * time.Second), redis.WithExpiry(15 * time.Second)}, "expiry"},
		{"nil clock", "redis://127.0.0.1:1/0", []redis.Option{redis.WithClock(nil)}, "clock"},
		{"zero timeout", "redis://127.0.0.1:1/0", []redis.Option{redis.WithTimeout(0)}, "timeout"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, err := redis.New(ctx, tc.url, tc.opts...)
			if err == nil {
				e.Close()
				t.Fatal("New succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) || errors.Is(err, relaybase.ErrUnavailable) {
				t.Fatalf("New: %v, want a configuration error about %q", err, tc.want)
			}
		})
	}
}
