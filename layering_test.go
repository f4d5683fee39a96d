package relaybase_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestLayering keeps the dependencies of docs/ARCHITECTURE.md pointing inward. It runs
// `go list -json ./...` and checks every package's dependencies inside the module (direct
// and indirect, non-test code only: tests may run real adapters, as realtime's tests run
// real SQLite) against the table below:
//
//   - The core (the root, value, xs, workspace, stack, stack/filter, realtime, auth) never
//     depends on an adapter: not store/*, engine/*, internal/sqlbuild (the stores' SQL),
//     httpapi, web, nor the wiring. Within the core each package depends only on what its
//     "must not know" column allows: realtime knows no XanoScript (xs, workspace, stack),
//     stack no WebSocket (realtime), auth and the root nothing but the data model, value
//     and xs nothing at all.
//   - Adapters import the core and their driver, never each other: a store imports the root,
//     value and the shared SQL builder; an engine the root and value; outbound (api.request's
//     HTTP client) the root and value; httpapi the core it
//     serves (compiled stacks) but no store, engine or web.
//   - metrics (the metric families) is a leaf like value: it knows nothing of the module,
//     and the parts that own the numbers (httpapi, realtime, the stores, the engines,
//     schedule) count through it.
//   - Only the wiring (cmd/*, and bench, which drives whole servers) may import anything.
//
// A package missing from the table fails the test too: where a new package sits is a
// decision to write down here, not a default.
func TestLayering(t *testing.T) {
	const anything = "*"
	allowed := map[string][]string{
		// The core.
		"relaybase/value":    {},
		"relaybase/xs":       {},
		"relaybase":          {"relaybase/value"},
		"relaybase/auth":     {"relaybase", "relaybase/value"},
		"relaybase/realtime": {"relaybase", "relaybase/value", "relaybase/internal/clientip", "relaybase/metrics"},
		// Xano's current realtime speaks over realtime's connections; no XanoScript either.
		"relaybase/realtime/servers": {"relaybase", "relaybase/value", "relaybase/realtime", "relaybase/internal/clientip", "relaybase/metrics"},
		"relaybase/workspace":        {"relaybase", "relaybase/value", "relaybase/xs"},
		"relaybase/stack/filter":     {"relaybase/value"},
		"relaybase/stack/twig":       {"relaybase/value"},
		"relaybase/stack":            {"relaybase", "relaybase/value", "relaybase/xs", "relaybase/workspace", "relaybase/stack/filter", "relaybase/stack/twig"},
		// schedule runs compiled tasks through the ledger contract: the stack, never a store.
		"relaybase/schedule": {"relaybase", "relaybase/value", "relaybase/xs", "relaybase/workspace", "relaybase/stack/filter", "relaybase/stack/twig", "relaybase/stack", "relaybase/metrics"},
		// Adapters.
		"relaybase/internal/sqlbuild": {"relaybase", "relaybase/value"},
		"relaybase/store/sqlite":      {"relaybase", "relaybase/value", "relaybase/internal/sqlbuild", "relaybase/metrics"},
		"relaybase/store/postgres":    {"relaybase", "relaybase/value", "relaybase/internal/sqlbuild", "relaybase/metrics"},
		"relaybase/store/storetest":   {"relaybase", "relaybase/value"},
		"relaybase/engine/memory":     {"relaybase", "relaybase/value"},
		"relaybase/filestore":         {"relaybase", "relaybase/value"},
		"relaybase/engine/redis":      {"relaybase", "relaybase/value", "relaybase/metrics"},
		"relaybase/engine/enginetest": {"relaybase", "relaybase/value"},
		"relaybase/outbound":          {"relaybase", "relaybase/value"},
		"relaybase/httpapi": {"relaybase", "relaybase/value", "relaybase/xs", "relaybase/workspace",
			"relaybase/stack", "relaybase/stack/filter", "relaybase/stack/twig", "relaybase/realtime", "relaybase/auth", "relaybase/metrics",
			"relaybase/internal/clientip"},
		"relaybase/web": {},
		// The console at /_/ reads a running node through the core's contracts, as httpapi
		// does, plus the realtime servers and the scheduler whose state it shows, and
		// httpapi's one table of error code → HTTP status.
		"relaybase/admin": {"relaybase", "relaybase/value", "relaybase/xs", "relaybase/workspace",
			"relaybase/stack", "relaybase/stack/filter", "relaybase/stack/twig", "relaybase/realtime",
			"relaybase/realtime/servers", "relaybase/schedule", "relaybase/auth", "relaybase/internal/clientip", "relaybase/metrics",
			"relaybase/httpapi"},
		// The metric families: a leaf every layer may count through (it imports nothing of
		// the module), so that one package names them all.
		"relaybase/metrics": {},
		// Who a request's client is, behind trusted proxies: a leaf httpapi and realtime
		// share, so that rate limits, logs and connections agree.
		"relaybase/internal/clientip": {},
		// Test support.
		"relaybase/internal/testenv": {},
		// The wiring.
		"relaybase/cmd/relaybase":       {anything},
		"relaybase/cmd/relaybase-bench": {anything},
		"relaybase/bench":               {anything},
	}

	pkgs := listPackages(t)
	byPath := map[string]*listedPackage{}
	for _, p := range pkgs {
		byPath[p.ImportPath] = p
	}
	for _, p := range pkgs {
		allow, known := allowed[p.ImportPath]
		if !known {
			t.Errorf("%s is not in TestLayering's table: decide which packages of the module it may depend on and add it", p.ImportPath)
			continue
		}
		if slices.Contains(allow, anything) {
			continue
		}
		for _, d := range p.Deps {
			if !inModule(d) || slices.Contains(allow, d) {
				continue
			}
			t.Errorf("%s depends on %s (%s); its layer allows only %v", p.ImportPath, d, strings.Join(importChain(byPath, p.ImportPath, d), " → "), allow)
		}
	}
}

// listedPackage is what TestLayering reads of `go list -json`.
type listedPackage struct {
	ImportPath string
	Imports    []string // direct imports, non-test files
	Deps       []string // every dependency, direct or not, non-test files
}

// listPackages lists the module's packages with `go list` (go test puts its own go first
// in PATH).
func listPackages(t *testing.T) []*listedPackage {
	t.Helper()
	cmd := exec.Command("go", "list", "-json=ImportPath,Imports,Deps", "./...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.Bytes())
	}
	var pkgs []*listedPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		p := new(listedPackage)
		if err := dec.Decode(p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 10 {
		t.Fatalf("go list found %d packages; run the test from the module", len(pkgs))
	}
	return pkgs
}

func inModule(path string) bool { return path == "relaybase" || strings.HasPrefix(path, "relaybase/") }

// importChain is a shortest chain of direct imports inside the module from one package to
// another, for the message; nil when there is none inside the module.
func importChain(byPath map[string]*listedPackage, from, to string) []string {
	prev := map[string]string{from: ""}
	queue := []string{from}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		if cur == to {
			var chain []string
			for p := to; p != ""; p = prev[p] {
				chain = append(chain, p)
			}
			slices.Reverse(chain)
			return chain
		}
		p := byPath[cur]
		if p == nil {
			continue
		}
		for _, next := range p.Imports {
			if _, seen := prev[next]; !seen && inModule(next) {
				prev[next] = cur
				queue = append(queue, next)
			}
		}
	}
	return nil
}
