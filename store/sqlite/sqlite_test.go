package sqlite_test

import (
	"path/filepath"
	"sync"
	"testing"

	"relaybase"
	"relaybase/store/sqlite"
	"relaybase/store/storetest"
)

// opener gives each test a database file of its own and reopens it on later calls.
func opener() storetest.Opener {
	var mu sync.Mutex
	paths := map[*testing.T]string{}
	return func(t *testing.T) relaybase.Store {
		t.Helper()
		mu.Lock()
		path, ok := paths[t]
		if !ok {
			path = filepath.Join(t.TempDir(), "relaybase.db")
			paths[t] = path
		}
		mu.Unlock()
		db, err := sqlite.Open(t.Context(), path)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
}

func TestStore(t *testing.T) { storetest.Run(t, opener()) }
