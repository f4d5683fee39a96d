package storetest

import (
	"errors"
	"testing"
	"time"

	"relaybase"
)

// RunAdmins runs the cases of the admin console's accounts and sessions (relaybase.Admins)
// on Stores that implement it.
func RunAdmins(t *testing.T, open Opener) {
	runCases(t, open, map[string]func(*testing.T, Opener){
		"CreateAndFind":     adminCreateAndFind,
		"EmailTaken":        adminEmailTaken,
		"SessionLifecycle":  adminSessionLifecycle,
		"SessionExpiry":     adminSessionExpiry,
		"SessionsSurvive":   adminSessionsSurvive,
		"NoAdminNoSession":  adminNoAdminNoSession,
		"ExpiredSwept":      adminExpiredSwept,
		"SeparateFromTable": adminSeparateFromTables,
	})
}

func admins(t *testing.T, s relaybase.Store) relaybase.Admins {
	t.Helper()
	a, ok := s.(relaybase.Admins)
	if !ok {
		t.Fatalf("%T does not implement relaybase.Admins", s)
	}
	return a
}

func createAdmin(t *testing.T, s relaybase.Admins, email string) relaybase.Admin {
	t.Helper()
	a, err := s.CreateAdmin(ctx(t), email, "hash-of-"+email, t0)
	if err != nil {
		t.Fatalf("CreateAdmin(%s): %v", email, err)
	}
	return a
}

func adminCreateAndFind(t *testing.T, open Opener) {
	s := admins(t, open(t))
	a := createAdmin(t, s, "ann@example.com")
	b := createAdmin(t, s, "bob@example.com")
	if a.ID == 0 || a.ID == b.ID || a.Email != "ann@example.com" || a.CreatedAt != t0.UnixMilli() {
		t.Fatalf("created %+v and %+v", a, b)
	}
	got, hash, ok, err := s.AdminByEmail(ctx(t), "ann@example.com")
	if err != nil || !ok || got != a || hash != "hash-of-ann@example.com" {
		t.Fatalf("AdminByEmail = %+v %q %v %v, want %+v", got, hash, ok, err, a)
	}
	for _, email := range []string{"ANN@example.com", "nobody@example.com", "", "ann@example.com\x00"} {
		if _, _, ok, err := s.AdminByEmail(ctx(t), email); ok || err != nil {
			t.Errorf("AdminByEmail(%q) = %v, %v; want none", email, ok, err)
		}
	}
}

func adminEmailTaken(t *testing.T, open Opener) {
	s := admins(t, open(t))
	createAdmin(t, s, "ann@example.com")
	if _, err := s.CreateAdmin(ctx(t), "ann@example.com", "other", t0); !errors.Is(err, relaybase.ErrConflict) {
		t.Fatalf("second CreateAdmin: %v, want ErrConflict", err)
	}
	if _, hash, _, _ := s.AdminByEmail(ctx(t), "ann@example.com"); hash != "hash-of-ann@example.com" {
		t.Fatalf("the refused create changed the hash to %q", hash)
	}
}

func adminSessionLifecycle(t *testing.T, open Opener) {
	s := admins(t, open(t))
	a := createAdmin(t, s, "ann@example.com")
	sess := relaybase.AdminSession{ID: "digest-1", AdminID: a.ID, CSRF: "csrf-1", CreatedAt: t0.UnixMilli(), ExpiresAt: t0.Add(time.Hour).UnixMilli()}
	if err := s.CreateAdminSession(ctx(t), sess); err != nil {
		t.Fatal(err)
	}
	got, who, ok, err := s.AdminSession(ctx(t), "digest-1", t0.Add(time.Minute))
	if err != nil || !ok || got != sess || who != a {
		t.Fatalf("AdminSession = %+v %+v %v %v", got, who, ok, err)
	}
	if _, _, ok, _ := s.AdminSession(ctx(t), "digest-2", t0); ok {
		t.Fatal("an unknown session id was found")
	}
	if err := s.ExtendAdminSession(ctx(t), "digest-1", t0.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, _, ok, _ := s.AdminSession(ctx(t), "digest-1", t0.Add(2*time.Hour)); !ok {
		t.Fatal("the extended session expired at its old expiry")
	}
	if err := s.DeleteAdminSession(ctx(t), "digest-1"); err != nil {
		t.Fatal(err)
	}
	if _, _, ok, _ := s.AdminSession(ctx(t), "digest-1", t0.Add(time.Minute)); ok {
		t.Fatal("a deleted session is still found")
	}
	if err := s.DeleteAdminSession(ctx(t), "digest-1"); err != nil {
		t.Fatalf("deleting twice: %v", err)
	}
}

func adminSessionExpiry(t *testing.T, open Opener) {
	s := admins(t, open(t))
	a := createAdmin(t, s, "ann@example.com")
	exp := t0.Add(time.Hour)
	if err := s.CreateAdminSession(ctx(t), relaybase.AdminSession{ID: "d", AdminID: a.ID, CSRF: "c", CreatedAt: t0.UnixMilli(), ExpiresAt: exp.UnixMilli()}); err != nil {
		t.Fatal(err)
	}
	if _, _, ok, _ := s.AdminSession(ctx(t), "d", exp.Add(-time.Millisecond)); !ok {
		t.Fatal("the session expired early")
	}
	if _, _, ok, _ := s.AdminSession(ctx(t), "d", exp); ok {
		t.Fatal("the session is live at its expiry")
	}
}

// Sessions are in the database, not the process: a restarted node (or another node) knows
// them.
func adminSessionsSurvive(t *testing.T, open Opener) {
	first := open(t)
	s := admins(t, first)
	a := createAdmin(t, s, "ann@example.com")
	if err := s.CreateAdminSession(ctx(t), relaybase.AdminSession{ID: "d", AdminID: a.ID, CSRF: "c", CreatedAt: t0.UnixMilli(), ExpiresAt: t0.Add(time.Hour).UnixMilli()}); err != nil {
		t.Fatal(err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	again := admins(t, open(t))
	if _, who, ok, err := again.AdminSession(ctx(t), "d", t0); !ok || err != nil || who != a {
		t.Fatalf("after a restart: %+v %v %v", who, ok, err)
	}
}

func adminNoAdminNoSession(t *testing.T, open Opener) {
	s := admins(t, open(t))
	err := s.CreateAdminSession(ctx(t), relaybase.AdminSession{ID: "d", AdminID: 999, CSRF: "c", CreatedAt: t0.UnixMilli(), ExpiresAt: t0.Add(time.Hour).UnixMilli()})
	if err == nil {
		t.Fatal("a session of no admin was stored")
	}
	if _, _, ok, _ := s.AdminSession(ctx(t), "d", t0); ok {
		t.Fatal("a session of no admin is found")
	}
}

// Creating a session drops the expired ones, so abandoned sessions do not accumulate; a
// live one stays.
func adminExpiredSwept(t *testing.T, open Opener) {
	s := admins(t, open(t))
	a := createAdmin(t, s, "ann@example.com")
	mk := func(id string, created, expires time.Time) {
		t.Helper()
		if err := s.CreateAdminSession(ctx(t), relaybase.AdminSession{ID: id, AdminID: a.ID, CSRF: "c", CreatedAt: created.UnixMilli(), ExpiresAt: expires.UnixMilli()}); err != nil {
			t.Fatal(err)
		}
	}
	mk("old", t0, t0.Add(time.Hour))
	mk("long", t0, t0.Add(10*time.Hour))
	mk("new", t0.Add(2*time.Hour), t0.Add(3*time.Hour))
	// "old" would be live if asked about a time before its expiry, unless it was deleted.
	if _, _, ok, _ := s.AdminSession(ctx(t), "old", t0); ok {
		t.Error("an expired session survived the creation of another")
	}
	if _, _, ok, _ := s.AdminSession(ctx(t), "long", t0.Add(2*time.Hour)); !ok {
		t.Error("a live session was swept")
	}
}

// Admins are not rows of any workspace table, even one named like them.
func adminSeparateFromTables(t *testing.T, open Opener) {
	st := open(t)
	users := &relaybase.Table{Name: "admins", Auth: true, Fields: []relaybase.Field{
		{Name: "email", Type: relaybase.TypeEmail}, {Name: "password", Type: relaybase.TypePassword}}}
	migrate(t, st, []*relaybase.Table{users}, nil)
	createAdmin(t, admins(t, st), "ann@example.com")
	tx, err := st.Begin(ctx(t), false)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	res, err := tx.Query(ctx(t), &relaybase.Query{Table: "admins"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 0 {
		t.Fatalf("the workspace table admins holds %v", res.Rows)
	}
}
