package storetest

import (
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"relaybase"
	"relaybase/value"
)

// Clock checks that a store opened with a clock (open gives it now) fills the "now"
// defaults of timestamp and date fields from that clock, the date in UTC.
func Clock(t *testing.T, open func(t *testing.T, now func() time.Time) relaybase.Store) {
	at := time.Date(2024, 2, 29, 23, 30, 0, 0, time.FixedZone("west", -3600)) // 2024-03-01 in UTC
	s := open(t, func() time.Time { return at })
	migrate(t, s, []*relaybase.Table{simple("ev",
		relaybase.Field{Name: "at", Type: relaybase.TypeTimestamp, Optional: true, Default: "now"},
		relaybase.Field{Name: "day", Type: relaybase.TypeDate, Optional: true, Default: "now"},
	)}, nil)
	var row *value.Object
	write(t, s, func(tx relaybase.Tx) { row = insert(t, tx, "ev") })
	rowIs(t, row, value.ObjectOf("id", int64(1), "at", at.UnixMilli(), "day", "2024-03-01"))
}

// PerTest is the Opener that gives each test a database of its own: fresh makes one for t
// (a file, a schema) and returns where it is; open opens the database there. Later calls
// for the same t open the same database again.
func PerTest(fresh func(t *testing.T) string, open func(t *testing.T, where string) relaybase.Store) Opener {
	var mu sync.Mutex
	made := map[*testing.T]string{}
	return func(t *testing.T) relaybase.Store {
		t.Helper()
		mu.Lock()
		where, ok := made[t]
		mu.Unlock()
		if !ok {
			where = fresh(t)
			mu.Lock()
			made[t] = where
			mu.Unlock()
		}
		return open(t, where)
	}
}

// Opened fails t when opening s failed (err), and closes s when t ends: the tail of a
// test's open helper.
func Opened[S io.Closer](t testing.TB, s S, err error) S {
	t.Helper()
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// OpenFails checks that an Open that can't succeed fails with an error wrapping
// relaybase.ErrUnavailable, and returns that error for further checks (nil when it
// wrongly succeeded; the store it opened is closed).
func OpenFails(t *testing.T, name string, open func() (relaybase.Store, error)) error {
	t.Helper()
	s, err := open()
	if err == nil {
		s.Close()
		t.Errorf("%s: Open succeeded", name)
		return nil
	}
	if !errors.Is(err, relaybase.ErrUnavailable) {
		t.Errorf("%s: err %v, want ErrUnavailable", name, err)
	}
	return err
}
