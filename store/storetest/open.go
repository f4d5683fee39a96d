package storetest

import (
	"errors"
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
