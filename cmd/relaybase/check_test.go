package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestCheckReportsEveryProblemWithPositions(t *testing.T) {
	var out bytes.Buffer
	code := run(context.Background(), []string{"check", "../../workspace/testdata/broken"}, func(string) string { return "" }, &out, &out)
	if code != 1 {
		t.Fatalf("check exited %d, want 1:\n%s", code, out.String())
	}
	for _, want := range []string{
		"function/util/syntax.xs:3:27: error: expected an expression",
		"api/shop/b_get.xs:1:1: error: GET user/me collides with GET user/{id}",
		"table/thing.xs:5:5: error: table thing: field name is declared twice",
		"realtime/channel/bad.xs:1:18: error:",
		"9 errors, 0 unsupported",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("check output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestCheckFailsOnUnsupportedAndStrictRefusesToServe(t *testing.T) {
	var out bytes.Buffer
	if code := run(context.Background(), []string{"check", "testdata/e2e"}, func(string) string { return "" }, &out, &out); code != 1 {
		t.Fatalf("check exited %d with an unsupported construct:\n%s", code, out.String())
	}
	if !strings.Contains(out.String(), "api/t/ai_post.xs:5:5: unsupported: statement ai.agent.run") {
		t.Errorf("check output: %s", out.String())
	}
	out.Reset()
	code := run(context.Background(), []string{"serve", "testdata/e2e", "--strict", "--addr", "127.0.0.1:0", "--data", t.TempDir()}, func(string) string { return "" }, &out, &out)
	if code != 1 || !strings.Contains(out.String(), "strict") {
		t.Fatalf("serve --strict exited %d:\n%s", code, out.String())
	}
}

// TestCheckReportsEveryProblemInFileOrder: a query whose group is missing and a trigger
// whose table is missing still have their stacks checked, and check lists every problem
// in file order (workspace/testdata/check_all).
func TestCheckReportsEveryProblemInFileOrder(t *testing.T) {
	var out bytes.Buffer
	code := run(context.Background(), []string{"check", "../../workspace/testdata/check_all"}, func(string) string { return "" }, &out, &out)
	want := `api/shop/orphan_get.xs:3:3: error: api_group "nowhere" is not defined (no api_group.xs has that name)
api/shop/orphan_get.xs:6:19: error: unknown filter lowercase: Xano has no filter of that name (did you mean lower?)
table/trigger/ghost.xs:2:1: error: table_trigger ghost: table "ghost" does not exist
table/trigger/ghost.xs:5:5: error: db.get: no table chosen
table/trigger/ghost.xs:7:27: unsupported: filter csv_parse is not supported by relaybase
4 errors, 1 unsupported, 0 warnings
`
	if code != 1 || out.String() != want {
		t.Fatalf("check exited %d:\n%s\nwant:\n%s", code, out.String(), want)
	}
}
