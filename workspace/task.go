package workspace

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"relaybase/value"
	"relaybase/xs"
)

// Task is a scheduled task (task/<name>.xs): a stack without inputs, run on its schedule.
type Task struct {
	Name     string
	File     string
	Node     *xs.Node
	Active   bool // active = false: never run on its schedule (relaybase task run still runs it)
	Schedule Schedule
}

// Schedule is a task's schedule as Xano writes it: one or more events, each a first run
// (starts_on), an interval in seconds (freq; absent or 0 for a single run) and an optional
// last moment (ends_on). Xano writes it two ways, both read here:
//
//	schedule = [{starts_on: 2025-01-01 00:00:00+0000, freq: 86400, ends_on: 2025-12-31 23:59:59+0000}]
//	schedule { events = [{starts_on: 2025-03-16 10:00:00+0000, freq: 604800}] }
type Schedule []ScheduleEvent

// ScheduleEvent is one entry of a schedule.
type ScheduleEvent struct {
	Start time.Time
	Every time.Duration // 0: run once, at Start
	End   time.Time     // zero: no end
}

// Next returns the first run time of the schedule strictly after t, and false when the
// schedule has no run after t. Runs fall on Start + k×Every (k ≥ 0), up to End included.
func (s Schedule) Next(t time.Time) (time.Time, bool) {
	var best time.Time
	found := false
	for _, e := range s {
		n, ok := e.next(t)
		if ok && (!found || n.Before(best)) {
			best, found = n, true
		}
	}
	return best, found
}

func (e ScheduleEvent) next(t time.Time) (time.Time, bool) {
	var n time.Time
	switch {
	case t.Before(e.Start):
		n = e.Start
	case e.Every <= 0:
		return time.Time{}, false
	default:
		// The first Start + k×Every after t, counted in whole intervals since Start.
		k := t.Sub(e.Start)/e.Every + 1
		n = e.Start.Add(k * e.Every)
	}
	if !e.End.IsZero() && n.After(e.End) {
		return time.Time{}, false
	}
	return n, true
}

// scheduleLayouts are the forms a starts_on or ends_on may take: Xano's own
// (2025-01-01 00:00:00+0000), RFC 3339, and a date alone (midnight UTC).
var scheduleLayouts = []string{
	"2006-01-02 15:04:05-0700",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05",
	time.RFC3339Nano,
	"2006-01-02T15:04:05-0700",
	"2006-01-02",
}

// parseScheduleTime reads a starts_on or ends_on: a text (quoted or not) in one of
// scheduleLayouts, or a number of milliseconds since the epoch.
func parseScheduleTime(v any) (time.Time, error) {
	switch t := v.(type) {
	case int64:
		return time.UnixMilli(t).UTC(), nil
	case string:
		s := strings.TrimSpace(t)
		for _, layout := range scheduleLayouts {
			if tm, err := time.Parse(layout, s); err == nil {
				return tm.UTC(), nil
			}
		}
		return time.Time{}, fmt.Errorf("%q is not a date and time such as 2025-01-01 00:00:00+0000", s)
	}
	return time.Time{}, fmt.Errorf("want a date and time such as 2025-01-01 00:00:00+0000, found %s", value.TypeName(v))
}

func (l *loader) task(file string, n *xs.Node) {
	if n.Name == "" {
		l.errorf(n.Pos, "task needs a name")
		return
	}
	for _, t := range l.ws.Tasks {
		if t.Name == n.Name {
			l.errorf(n.Pos, "task %q is also defined in %s", n.Name, t.File)
			return
		}
	}
	t := &Task{Name: n.Name, File: file, Node: n, Active: l.boolAttr(n.Body, "active", true)}
	var events xs.Expr
	var at xs.Pos
	if a := n.Body.Attr("schedule"); a != nil {
		events, at = a.Value, a.Pos
	} else if sn := n.Body.Node("schedule"); sn != nil {
		if a := sn.Body.Attr("events"); a != nil {
			events, at = a.Value, a.Pos
		} else {
			at = sn.Pos
		}
	}
	if events != nil {
		t.Schedule = l.schedule(events, at)
	}
	l.ws.Tasks = append(l.ws.Tasks, t)
}

// schedule reads the events of a task's schedule; each mistake is reported where it is.
func (l *loader) schedule(e xs.Expr, at xs.Pos) Schedule {
	v, err := Const(e)
	list, ok := v.([]any)
	if o, isObj := v.(*value.Object); isObj {
		list, ok = []any{o}, true // one event written without brackets
	}
	if err != nil || !ok {
		l.errorf(at, "schedule must be a list of {starts_on, freq, ends_on} events")
		return nil
	}
	var out Schedule
	for i, item := range list {
		o, ok := item.(*value.Object)
		if !ok {
			l.errorf(at, "schedule event %d must be an object {starts_on, freq, ends_on}", i+1)
			continue
		}
		var ev ScheduleEvent
		start, _ := o.Get("starts_on")
		if start == nil {
			l.errorf(at, "schedule event %d needs starts_on", i+1)
			continue
		}
		if ev.Start, err = parseScheduleTime(start); err != nil {
			l.errorf(at, "schedule event %d: starts_on: %v", i+1, err)
			continue
		}
		if f, _ := o.Get("freq"); f != nil {
			secs, ok := scheduleSeconds(f)
			if !ok || secs < 0 {
				l.errorf(at, "schedule event %d: freq must be a number of seconds", i+1)
				continue
			}
			ev.Every = time.Duration(secs) * time.Second
		}
		if end, _ := o.Get("ends_on"); end != nil && end != "" {
			if ev.End, err = parseScheduleTime(end); err != nil {
				l.errorf(at, "schedule event %d: ends_on: %v", i+1, err)
				continue
			}
			if ev.End.Before(ev.Start) {
				l.warnf(at, "schedule event %d ends before it starts; it never runs", i+1)
			}
		}
		out = append(out, ev)
	}
	return out
}

func scheduleSeconds(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case float64:
		return int64(n), n == float64(int64(n))
	case string:
		i, err := strconv.ParseInt(strings.TrimSpace(n), 10, 64)
		return i, err == nil
	}
	return 0, false
}
