package testenv

import (
	"os"
	"testing"
)

// The variables scripts/test exports.
const (
	PostgresVar = "RELAYBASE_TEST_POSTGRES_URL"
	RedisVar    = "RELAYBASE_TEST_REDIS_URL"
	ChromiumVar = "RELAYBASE_TEST_CHROMIUM"
)

// PostgresURL returns the URL of the test PostgreSQL database (postgres://...), or fails
// the test when it is not set.
func PostgresURL(t testing.TB) string {
	t.Helper()
	return lookup(t, PostgresVar, "PostgreSQL")
}

// RedisURL returns the URL of the test Redis (redis://127.0.0.1:PORT/0), or fails the test
// when it is not set.
func RedisURL(t testing.TB) string {
	t.Helper()
	return lookup(t, RedisVar, "Redis")
}

// Chromium returns the path of the Chromium binary, or fails the test when it is not set or
// not an executable file.
func Chromium(t testing.TB) string {
	t.Helper()
	path := lookup(t, ChromiumVar, "Chromium")
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("%s=%s: %v", ChromiumVar, path, err)
	}
	if fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
		t.Fatalf("%s=%s is not an executable file", ChromiumVar, path)
	}
	return path
}

func lookup(t testing.TB, name, what string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		t.Fatalf("%s is not set: this test needs %s; run it through scripts/test, which starts one and sets %s", name, what, name)
	}
	return v
}
