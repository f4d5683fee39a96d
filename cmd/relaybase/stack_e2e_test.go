package main

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// TestStatementsOverHTTP runs testdata/e2e, a workspace that uses every statement family,
// through real HTTP requests against a real SQLite file, restart included.
func TestStatementsOverHTTP(t *testing.T) {
	data := t.TempDir()
	s := startServer(t, "testdata/e2e", data)
	watcher := dialRealtime(t, s.ws, "")
	watcher.send(map[string]any{"action": "join", "options": map[string]any{"channel": "items"}, "payload": map[string]any{}})
	watcher.next("join")

	add := func(body map[string]any) reply {
		t.Helper()
		return s.do("POST", "/api:t/items", body)
	}
	apple := add(map[string]any{"name": "  apple ", "qty": 3, "price": 1.25, "meta": map[string]any{"color": "red"}, "tags": []string{"fruit"}})
	wantStatus(t, apple, http.StatusOK, "")
	if field(apple.json, "name") != "apple" || field(apple.json, "qty") != 3.0 || field(apple.json, "price") != 1.25 ||
		field(apple.json, "meta", "color") != "red" || field(apple.json, "tags", 0) != "fruit" || field(apple.json, "active") != true {
		t.Fatalf("db.add returned %s", apple.body)
	}
	if ev := watcher.next("event"); field(ev, "payload", "name") != "apple" {
		t.Fatalf("event = %v", ev)
	}
	wantStatus(t, add(map[string]any{"name": "pear", "qty": 7}), http.StatusOK, "")
	watcher.next("event")
	wantStatus(t, add(map[string]any{"name": "fig"}), http.StatusOK, "")
	watcher.next("event")

	t.Run("unique index", func(t *testing.T) {
		wantStatus(t, add(map[string]any{"name": "apple"}), http.StatusBadRequest, "ERROR_CODE_INPUT_ERROR")
	})
	t.Run("form and query inputs", func(t *testing.T) {
		r := s.do("POST", "/api:t/items", "name=plum&qty=2&tags[]=a&tags[]=b", "Content-Type", "application/x-www-form-urlencoded")
		wantStatus(t, r, http.StatusOK, "")
		if field(r.json, "qty") != 2.0 || field(r.json, "tags", 1) != "b" {
			t.Fatalf("form body gave %s", r.body)
		}
		watcher.next("event")
		wantStatus(t, s.do("POST", "/api:t/items", map[string]any{"name": "x", "qty": "many"}), http.StatusBadRequest, "ERROR_CODE_INPUT_ERROR")
	})

	t.Run("db.query list, paging, sort, filters", func(t *testing.T) {
		r := s.do("GET", "/api:t/items?per_page=2&page=1", nil)
		wantStatus(t, r, http.StatusOK, "")
		if field(r.json, "items", 0, "name") != "pear" || field(r.json, "itemsReceived") != 2.0 || field(r.json, "nextPage") != 2.0 || field(r.json, "itemsTotal") != 4.0 {
			t.Fatalf("page 1 = %s", r.body)
		}
		r = s.do("GET", "/api:t/items?min_qty=3&per_page=10", nil)
		if n := len(field(r.json, "items").([]any)); n != 2 {
			t.Fatalf("min_qty=3 matched %d: %s", n, r.body)
		}
		for kind, want := range map[string]any{"count": 4.0, "exists": true} {
			r = s.do("GET", "/api:t/items?kind="+kind, nil)
			if r.json != want {
				t.Errorf("kind=%s gave %s", kind, r.body)
			}
		}
		r = s.do("GET", "/api:t/items?kind=single&name=fig", nil)
		if field(r.json, "name") != "fig" {
			t.Fatalf("single = %s", r.body)
		}
	})

	id := int(field(apple.json, "id").(float64))
	path := "/api:t/items/" + itoaTest(id)
	t.Run("db.get, db.has, table trigger", func(t *testing.T) {
		r := s.do("GET", path, nil)
		wantStatus(t, r, http.StatusOK, "")
		if field(r.json, "item", "name") != "apple" || field(r.json, "audited") != true {
			t.Fatalf("get = %s", r.body)
		}
		wantStatus(t, s.do("GET", "/api:t/items/999", nil), http.StatusNotFound, "ERROR_CODE_NOT_FOUND")
		wantStatus(t, s.do("GET", "/api:t/items/abc", nil), http.StatusBadRequest, "ERROR_CODE_INPUT_ERROR")
	})
	t.Run("db.patch, db.edit, trigger rollback", func(t *testing.T) {
		r := s.do("PATCH", path, map[string]any{"qty": 10})
		wantStatus(t, r, http.StatusOK, "")
		if field(r.json, "qty") != 10.0 || field(r.json, "name") != "apple" {
			t.Fatalf("patch = %s", r.body)
		}
		wantStatus(t, s.do("PATCH", path, map[string]any{}), http.StatusInternalServerError, "ERROR_FATAL")
		r = s.do("PUT", path, map[string]any{"name": "green apple", "qty": 4})
		wantStatus(t, r, http.StatusOK, "")
		r = s.do("PUT", path, map[string]any{"name": "forbidden", "qty": 1})
		wantStatus(t, r, http.StatusBadRequest, "ERROR_CODE_INPUT_ERROR")
		if r := s.do("GET", path, nil); field(r.json, "item", "name") != "green apple" {
			t.Fatalf("a failed trigger did not roll back: %s", r.body)
		}
	})
	t.Run("db.add_or_edit", func(t *testing.T) {
		r := s.do("POST", "/api:t/upsert", map[string]any{"name": "kiwi", "qty": 1})
		wantStatus(t, r, http.StatusOK, "")
		kiwi := field(r.json, "id")
		r = s.do("POST", "/api:t/upsert", map[string]any{"name": "kiwi", "qty": 9})
		if field(r.json, "id") != kiwi || field(r.json, "qty") != 9.0 {
			t.Fatalf("second upsert = %s", r.body)
		}
	})
	t.Run("db.transaction rolls back and sends no event", func(t *testing.T) {
		r := s.do("POST", "/api:t/batch", map[string]any{"names": []string{"b1", "b2", "pear"}})
		wantStatus(t, r, http.StatusBadRequest, "ERROR_CODE_INPUT_ERROR")
		if r := s.do("GET", "/api:t/items?kind=exists&name=b1", nil); r.json != false {
			t.Fatalf("b1 survived a rolled-back transaction: %s", r.body)
		}
		r = s.do("POST", "/api:t/batch", map[string]any{"names": []string{"c1", "c2"}})
		wantStatus(t, r, http.StatusOK, "")
		// The first event the watcher sees after the rollback is c1's: none of b1, b2 was sent.
		if ev := watcher.next("event"); field(ev, "payload", "name") != "c1" {
			t.Fatalf("after a rolled-back batch the watcher got %v", ev)
		}
	})
	t.Run("db.del", func(t *testing.T) {
		wantStatus(t, s.do("DELETE", path, nil), http.StatusOK, "")
		wantStatus(t, s.do("GET", path, nil), http.StatusNotFound, "ERROR_CODE_NOT_FOUND")
	})
	t.Run("control flow, functions, env, security, util, math, text, array", func(t *testing.T) {
		r := s.do("GET", "/api:t/compute?n=4", nil)
		wantStatus(t, r, http.StatusOK, "")
		want := map[string]any{"greeting": "well, hi!", "total": 7.0, "label": "WELL, HI! hello from the environment", "uuid_ok": true, "die_ok": true, "limit": 3.0, "method": "GET"}
		for k, v := range want {
			if got := field(r.json, k); got != v {
				t.Errorf("%s = %v, want %v (body %s)", k, got, v, r.body)
			}
		}
		if sq := field(r.json, "squares"); len(sq.([]any)) != 3 || field(r.json, "squares", 0) != 0.0 || field(r.json, "squares", 2) != 9.0 {
			t.Errorf("squares = %v", sq)
		}
		// count: 7,14,21 → break; ×2 = 42; −1 = 41; ÷2 = 20.5
		if field(r.json, "count") != 20.5 {
			t.Errorf("count = %v", field(r.json, "count"))
		}
		if field(r.json, "names", 1) != "b" || field(r.json, "raw", "n") != "4" {
			t.Errorf("names/raw = %s", r.body)
		}
	})
	t.Run("errors", func(t *testing.T) {
		cases := []struct {
			kind   string
			status int
			code   string
		}{
			{"input", 400, "ERROR_CODE_INPUT_ERROR"},
			{"denied", 403, "ERROR_CODE_ACCESS_DENIED"},
			{"missing", 404, "ERROR_CODE_NOT_FOUND"},
			{"unauth", 401, "ERROR_CODE_UNAUTHORIZED"},
			{"throw", 500, "ERROR_FATAL"},
			{"math", 500, "ERROR_FATAL"},
		}
		for _, c := range cases {
			r := s.do("GET", "/api:t/errors?kind="+c.kind, nil)
			wantStatus(t, r, c.status, c.code)
			if strings.Contains(string(r.body), "relaybase/") || strings.Contains(string(r.body), ".go:") {
				t.Errorf("%s leaks internals: %s", c.kind, r.body)
			}
		}
		if r := s.do("GET", "/api:t/errors?kind=caught", nil); field(r.json, "caught") != true {
			t.Errorf("try_catch: %s", r.body)
		}
		r := s.do("POST", "/api:t/ai", map[string]any{})
		wantStatus(t, r, http.StatusNotImplemented, "ERROR_CODE_NOT_IMPLEMENTED")
		if !strings.Contains(string(r.body), "ai.agent.run") || !strings.Contains(string(r.body), "ai_post.xs:5:5") {
			t.Errorf("501 does not name the construct and its position: %s", r.body)
		}
	})
	t.Run("db.truncate", func(t *testing.T) {
		wantStatus(t, s.do("POST", "/api:t/reset", map[string]any{}), http.StatusOK, "")
	})

	s.stop()
	s2 := startServer(t, "testdata/e2e", data)
	if r := s2.do("GET", "/api:t/items?kind=single&name=kiwi", nil); field(r.json, "qty") != 9.0 {
		t.Fatalf("after restart kiwi = %s", r.body)
	}
}

func itoaTest(n int) string { return strconv.Itoa(n) }
