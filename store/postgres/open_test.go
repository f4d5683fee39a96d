package postgres_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"relaybase"
	"relaybase/store/postgres"
	"relaybase/store/storetest"
)

// Errors from Open wrap ErrUnavailable and never show the password, whether the URL is
// malformed or the server can't be reached. No server is needed.
func TestOpenUnavailableHidesThePassword(t *testing.T) {
	// A port nothing listens on: take one, then free it.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	const secret = "s3cr3t-Pa55"
	for name, u := range map[string]string{
		"unreachable":       "postgres://relay:" + secret + "@" + addr + "/db?sslmode=disable&connect_timeout=5",
		"keyword form":      "host=127.0.0.1 port=" + addr[strings.LastIndex(addr, ":")+1:] + " user=relay password=" + secret + " dbname=db sslmode=disable",
		"malformed URL":     "postgres://relay:" + secret + "@127.0.0.1:notaport/db",
		"unknown parameter": "postgres://relay:" + secret + "@" + addr + "/db?pool_max_conns=lots",
	} {
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
		err := storetest.OpenFails(t, name, func() (relaybase.Store, error) { return postgres.Open(ctx, u) })
		cancel()
		if err != nil && strings.Contains(err.Error(), secret) {
			t.Errorf("%s: the error shows the password: %v", name, err)
		}
	}
}
