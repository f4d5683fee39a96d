// Package testenv hands integration tests the services that scripts/test starts: a private
// PostgreSQL, a Redis and Debian's Chromium, found through RELAYBASE_TEST_POSTGRES_URL,
// RELAYBASE_TEST_REDIS_URL and RELAYBASE_TEST_CHROMIUM.
//
// Integration tests carry the build tag "integration" (go test -tags integration) and call
// these helpers, which fail the test (never skip it) when a variable is unset: a test that
// needs PostgreSQL and silently does not run is a test that does not exist. Run them with
// scripts/test, or start the services yourself and set the variables.
//
// The database is shared by every package's tests, which run in parallel: each test should
// make its own schema or database (PostgresSchema makes one and drops it at the test's
// end), or name what it creates uniquely, and clean up after itself. Chromium runs as root in CI, so launch it with --no-sandbox there.
//
// WriteFiles and TempFiles put a tree of files (a workspace, say) on disk for a test.
//
// Only tests import this package; it knows nothing of relaybase itself.
package testenv
