package stack_test

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"relaybase/internal/testenv"
	"relaybase/stack"
	"relaybase/stack/filter"
	"relaybase/workspace"
	"relaybase/xs"
)

// xanoStatements are the statements Xano documents (xano-inc/xano-developer-mcp,
// src/xanoscript_docs/: database.md, syntax/*.md, security.md, integrations/*.md,
// file-uploads.md, unit-testing.md, workflow-tests.md, realtime-v2.md, and the function
// reference of Xano's XanoScript extension), by family. The coverage line of
// docs/xanoscript.md counts how many of them relaybase runs.
var xanoStatements = []string{
	// control
	"var", "var.update", "conditional", "switch", "foreach", "for", "while", "break", "continue",
	"return", "group", "precondition", "throw", "try_catch", "debug.log", "debug.stop",
	// database
	"db.query", "db.get", "db.has", "db.add", "db.edit", "db.patch", "db.add_or_edit", "db.del",
	"db.truncate", "db.transaction", "db.bulk.add", "db.bulk.update", "db.bulk.patch", "db.bulk.delete",
	"db.schema", "db.direct_query", "db.set_datasource", "db.external.postgres.direct_query",
	"db.external.mysql.direct_query", "db.external.mssql.direct_query", "db.external.oracle.direct_query",
	// arrays, text, math, objects
	"array.push", "array.unshift", "array.shift", "array.pop", "array.merge", "array.map",
	"array.partition", "array.group_by", "array.union", "array.difference", "array.intersection",
	"array.find", "array.find_index", "array.has", "array.every", "array.filter", "array.filter_count",
	"text.starts_with", "text.istarts_with", "text.ends_with", "text.iends_with", "text.contains",
	"text.icontains", "text.trim", "text.ltrim", "text.rtrim", "text.append", "text.prepend",
	"math.add", "math.sub", "math.mul", "math.div", "math.bitwise.and", "math.bitwise.or", "math.bitwise.xor",
	"object.keys", "object.values", "object.entries",
	// security
	"security.create_auth_token", "security.check_password", "security.create_uuid",
	"security.random_number", "security.create_secret_key", "security.random_bytes",
	"security.create_password", "security.encrypt", "security.decrypt", "security.jws_encode",
	"security.jws_decode", "security.jwe_encode", "security.jwe_decode", "security.create_curve_key",
	"security.verify_totp",
	// calls and APIs
	"api.request", "api.realtime_event", "api.lambda", "api.stream", "function.run", "function.call",
	"realtime.publish", "realtime.get_session", "action.call",
	// cache, storage, streams, archives
	"redis.set", "redis.get", "redis.has", "redis.del", "redis.incr", "redis.decr", "redis.push",
	"redis.unshift", "redis.pop", "redis.shift", "redis.range", "redis.count", "redis.remove",
	"redis.keys", "redis.ratelimit", "redis.expire",
	"storage.create_attachment", "storage.create_image", "storage.create_video", "storage.create_audio",
	"storage.create_file_resource", "storage.read_file_resource", "storage.delete_file",
	"storage.sign_private_url",
	"stream.from_csv", "stream.from_jsonl", "stream.from_request",
	"zip.create_archive", "zip.add_to_archive", "zip.delete_from_archive", "zip.extract", "zip.view_contents",
	// utilities
	"util.set_header", "util.get_env", "util.get_all_input", "util.get_input", "util.get_raw_input",
	"util.sleep", "util.template_engine", "util.geo_distance", "util.send_email", "util.ip_lookup",
	// tests
	"expect.to_equal", "expect.to_not_equal", "expect.to_be_true", "expect.to_be_false",
	"expect.to_be_null", "expect.to_not_be_null", "expect.to_be_defined", "expect.to_not_be_defined",
	"expect.to_be_empty", "expect.to_be_greater_than", "expect.to_be_less_than", "expect.to_be_within",
	"expect.to_contain", "expect.to_start_with", "expect.to_end_with", "expect.to_match",
	"expect.to_be_in_the_past", "expect.to_be_in_the_future", "expect.to_throw",
	"api.call", "addon.call", "middleware.call", "task.call", "tool.call", "trigger.call",
	// outside services
	"cloud.aws.s3.upload_file", "cloud.aws.s3.read_file", "cloud.aws.s3.sign_url",
	"cloud.aws.s3.list_directory", "cloud.aws.s3.delete_file", "cloud.aws.s3.get_file_info",
	"cloud.azure.storage.upload_file", "cloud.azure.storage.read_file", "cloud.azure.storage.sign_url",
	"cloud.azure.storage.list_directory", "cloud.azure.storage.delete_file", "cloud.azure.storage.get_file_info",
	"cloud.google.storage.upload_file", "cloud.google.storage.read_file", "cloud.google.storage.sign_url",
	"cloud.google.storage.list_directory", "cloud.google.storage.delete_file", "cloud.google.storage.get_file_info",
	"cloud.elasticsearch.request", "cloud.elasticsearch.query", "cloud.elasticsearch.document",
	"cloud.elasticsearch.bulk", "cloud.aws.opensearch.request", "cloud.aws.opensearch.query",
	"cloud.aws.opensearch.document", "cloud.algolia.request", "cloud.algolia.search",
	"cloud.algolia.save_object", "cloud.algolia.save_objects", "cloud.algolia.delete_object",
	"cloud.algolia.set_settings",
	"ai.agent.run", "ai.external.mcp.tool.list", "ai.external.mcp.tool.run", "ai.external.mcp.server_details",
}

// xanoObjects are the object kinds Xano documents, and whether relaybase runs them.
var xanoObjects = map[string]bool{
	"workspace": true, "table": true, "table_trigger": true, "function": true, "api_group": true,
	"query": true, "middleware": true, "addon": true, "task": true, "workflow_test": true,
	"realtime_channel": true, "realtime_trigger": true, "realtime_server": true, "channel": true,
	"message": true, "channel_trigger": true, "realtime_server_trigger": true, "run.job": true,
	"run.service": false, "agent": false, "tool": false, "mcp_server": false,
	"workspace_trigger": false, "agent_trigger": false, "mcp_server_trigger": false,
}

func runs() map[string]bool {
	st, _ := stack.Supported()
	m := map[string]bool{}
	for _, s := range st {
		m[s] = true
	}
	return m
}

// TestCoverageLine holds the counts of docs/xanoscript.md's coverage line to the code: how
// many of Xano's documented statements, filters and object kinds relaybase runs.
func TestCoverageLine(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range xanoStatements {
		if seen[s] {
			t.Errorf("%s is listed twice", s)
		}
		seen[s] = true
	}
	run := runs()
	stRun := 0
	for _, s := range xanoStatements {
		if run[s] {
			stRun++
		}
	}
	_, filters := stack.Supported()
	fr := map[string]bool{}
	for _, f := range filters {
		fr[f] = true
	}
	fRun := 0
	for _, f := range filter.XanoNames() {
		if fr[f] {
			fRun++
		}
	}
	oRun := 0
	for _, ok := range xanoObjects {
		if ok {
			oRun++
		}
	}
	doc, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	line := regexp.MustCompile(`relaybase runs \*\*(\d+) of (\d+)\*\* of the statements Xano documents, \*\*(\d+) of (\d+)\*\* of its filter names \(aliases included\) and \*\*(\d+) of (\d+)\*\* of its object kinds`).
		FindStringSubmatch(string(doc))
	if line == nil {
		t.Fatalf("docs/xanoscript.md has no coverage line")
	}
	want := []int{stRun, len(xanoStatements), fRun, len(filter.XanoNames()), oRun, len(xanoObjects)}
	for i, w := range want {
		if got, _ := strconv.Atoi(line[i+1]); got != w {
			t.Errorf("the coverage line says %s; the code gives %v", line[0], want)
			break
		}
	}
}

// TestNamedNotRun: every statement Xano documents that relaybase does not run is reported
// as unsupported (never an error, never silently skipped), and so is every object kind.
func TestNamedNotRun(t *testing.T) {
	run := runs()
	dir := t.TempDir()
	var body strings.Builder
	var missing []string
	for _, s := range xanoStatements {
		if run[s] || strings.HasPrefix(s, "expect.") || strings.HasSuffix(s, ".call") && s != "action.call" {
			continue // the tests' statements compile only in tests
		}
		missing = append(missing, s)
		body.WriteString("    " + s + " {\n      value = 1\n    } as $x\n")
	}
	files := map[string]string{"function/all.xs": "function all {\n  stack {\n" + body.String() + "  }\n}\n"}
	for kind, ok := range xanoObjects {
		if !ok && !strings.Contains(kind, ".") {
			files["other/"+kind+".xs"] = kind + " x {\n}\n"
		}
	}
	files["other/run_service.xs"] = "run.service \"s\" {\n  pre = {name: \"all\", input: {}}\n}\n"
	testenv.WriteFiles(t, dir, files)
	ws, diags, err := workspace.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, more := stack.Compile(ws, stack.Options{})
	diags = append(diags, more...)
	reported := map[string]bool{}
	for _, d := range diags {
		if d.Severity == xs.Error {
			t.Errorf("an error, not an unsupported construct: %s", d)
		}
		if d.Severity == xs.Unsupported {
			reported[d.Message] = true
		}
	}
	has := func(part string) bool {
		for m := range reported {
			if strings.Contains(m, part) {
				return true
			}
		}
		return false
	}
	for _, s := range missing {
		if !has("statement " + s + " ") {
			t.Errorf("%s is not reported as unsupported", s)
		}
	}
	for kind, ok := range xanoObjects {
		if !ok && !has(kind) {
			t.Errorf("object %s is not reported as unsupported", kind)
		}
	}
	if len(missing) == 0 {
		t.Fatal("no statement is left out")
	}
}
