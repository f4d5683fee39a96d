//go:build integration

package admin

import (
	"testing"

	"relaybase"
	"relaybase/internal/testenv"
	"relaybase/store/postgres"
)

// TestOnPostgres runs the console's key cases on PostgreSQL: accounts and sessions in its
// metadata, rows through the triggers, paging, history and publish, tasks, the security
// walk.
func TestOnPostgres(t *testing.T) {
	sqliteStore := openStore
	openStore = func(t *testing.T) relaybase.Store {
		t.Helper()
		db, err := postgres.Open(t.Context(), testenv.PostgresSchema(t, "rbadmin"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		return db
	}
	t.Cleanup(func() { openStore = sqliteStore })
	for name, run := range map[string]func(*testing.T){
		"LoginSessionLogout":      TestLoginSessionLogout,
		"SessionFixation":         TestSessionFixation,
		"SessionExpires":          TestSessionExpires,
		"RowsThroughTriggers":     TestRowsThroughTriggers,
		"RowsPagingSortFilter":    TestRowsPagingSortFilter,
		"PasswordsNeverShown":     TestPasswordsNeverShown,
		"RealtimeTailPublish":     TestRealtimeTailPublishHistory,
		"TasksView":               TestTasksView,
		"EveryRouteNeedsASession": TestEveryRouteNeedsASession,
		"EveryWriteNeedsCSRF":     TestEveryWriteNeedsTheCSRFToken,
	} {
		t.Run(name, run)
	}
}
