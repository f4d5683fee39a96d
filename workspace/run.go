package workspace

import (
	"fmt"

	"relaybase"

	"relaybase/value"
	"relaybase/xs"
)

// Job is a run.job (or `run "name" { type = "job" }`): a function to run once with
// constant inputs, as Xano's job runner and relaybase run do.
type Job struct {
	Name     string
	File     string
	Pos      xs.Pos
	Function string        // main.name
	Input    *value.Object // main.input, constants only
	Env      []string      // env = [...]: the names of environment values the job needs
}

// addon files an addon object: a named db.query that db.query's addon = [...] and
// addon.call run with inputs.
func (l *loader) addon(file string, n *xs.Node) {
	if n.Name == "" {
		l.errorf(n.Pos, "addon needs a name")
		return
	}
	for _, a := range l.ws.Addons {
		if a.Name == n.Name {
			l.errorf(n.Pos, "addon %q is also defined in %s", n.Name, a.File)
			return
		}
	}
	l.ws.Addons = append(l.ws.Addons, &Object{Name: n.Name, File: file, Node: n})
}

func (l *loader) workflowTest(file string, n *xs.Node) {
	if n.Name == "" {
		l.errorf(n.Pos, "workflow_test needs a name")
		return
	}
	l.ws.WorkflowTests = append(l.ws.WorkflowTests, &Object{Name: n.Name, File: file, Node: n})
}

// run files a run.job, or a `run` object whose type is "job". A service (run.service, or
// type = "service") is a long-running process of Xano's job runner that relaybase does not run.
func (l *loader) run(file string, n *xs.Node) {
	kind := "job"
	switch n.Keyword {
	case "run.service":
		kind = "service"
	case "run":
		if a := n.Body.Attr("type"); a != nil {
			kind, _ = l.text(a.Value, "type")
		}
	}
	if kind != "job" {
		l.diags = append(l.diags, xs.Diagnostic{Pos: n.Pos, Severity: xs.Unsupported,
			Message: fmt.Sprintf("%s: a run of type %q is not run by relaybase (only jobs are)", n.Keyword, kind)})
		return
	}
	j := &Job{Name: n.Name, File: file, Pos: n.Pos, Input: value.NewObject(0)}
	a := n.Body.Attr("main")
	if a == nil {
		l.errorf(n.Pos, "%s %q needs main = {name: \"<function>\", input: {...}}", n.Keyword, n.Name)
		return
	}
	v, err := Const(a.Value)
	main, ok := v.(*value.Object)
	if err != nil || !ok {
		l.errorf(a.Pos, "main must be an object of constants: {name: \"<function>\", input: {...}}")
		return
	}
	name, _ := main.Get("name")
	if j.Function, ok = name.(string); !ok || j.Function == "" {
		l.errorf(a.Pos, "main.name must name a function")
		return
	}
	if in, _ := main.Get("input"); in != nil {
		if j.Input, ok = in.(*value.Object); !ok {
			l.errorf(a.Pos, "main.input must be an object")
			return
		}
	}
	if e := n.Body.Attr("env"); e != nil {
		v, err := Const(e.Value)
		list, ok := v.([]any)
		if err != nil || !ok {
			l.errorf(e.Pos, "env must be a list of names")
			return
		}
		for _, x := range list {
			s, ok := x.(string)
			if !ok || s == "" {
				l.errorf(e.Pos, "env must be a list of names (text)")
				return
			}
			j.Env = append(j.Env, s)
		}
	}
	l.ws.Jobs = append(l.ws.Jobs, j)
}

// items reads a table's seed rows, items = [{...}, ...], as Xano writes them in a run
// bundle: relaybase run inserts them into its scratch database before the job runs.
func (l *loader) items(t *relaybase.Table, a *xs.Attr) {
	v, err := Const(a.Value)
	list, ok := v.([]any)
	if err != nil || !ok {
		l.errorf(a.Pos, "items must be a list of rows, objects of constants")
		return
	}
	for i, e := range list {
		row, ok := e.(*value.Object)
		if !ok {
			l.errorf(a.Pos, "items: row %d is not an object", i+1)
			return
		}
		for _, k := range row.Keys() {
			if _, ok := t.Field(k); !ok && k != "id" {
				l.errorf(a.Pos, "items: row %d names unknown field %s", i+1, k)
				return
			}
		}
		if l.ws.Items == nil {
			l.ws.Items = map[string][]*value.Object{}
		}
		l.ws.Items[t.Name] = append(l.ws.Items[t.Name], row)
	}
}
