package stack

import (
	"context"
	"errors"

	"relaybase"
	"relaybase/value"
	"relaybase/xs"
)

// The rows API: what the admin console (package admin) changes a table's rows with. Each
// call is one transaction that takes the path a stack's db.add, db.edit and db.del take:
// values coerced and passwords hashed by rowData, the store's rules, the table's triggers
// fired in the transaction, staged events published after the commit. No identity is
// attached: the console's admin is not a user of the workspace.

// consolePos is where errors of the rows API say they happened.
var consolePos = xs.Pos{File: "admin console", Line: 1, Col: 1}

// AddRow inserts a row into table and returns it as stored after the table's insert
// triggers ran, without its password fields.
func (p *Program) AddRow(ctx context.Context, table string, data *value.Object) (*value.Object, error) {
	return p.changeRow(ctx, table, func(r *run, t *relaybase.Table) (*value.Object, error) {
		row, err := r.consoleData(t, data, true)
		if err != nil {
			return nil, err
		}
		res, err := r.insert(t, row, consolePos, relaybase.Identity{})
		if err != nil {
			return nil, err
		}
		id, _ := res.Get("id")
		return r.reread(t, id)
	})
}

// EditRow changes the fields data names of the row with id, fires the update triggers and
// returns the row as stored after them, without its password fields. No such row: an
// error with CodeNotFound.
func (p *Program) EditRow(ctx context.Context, table string, id any, data *value.Object) (*value.Object, error) {
	return p.changeRow(ctx, table, func(r *run, t *relaybase.Table) (*value.Object, error) {
		changes, err := r.consoleData(t, data, false)
		if err != nil {
			return nil, err
		}
		id = lookupValue(t, "id", id)
		old, err := r.tx.Get(r.ctx, t.Name, "id", id)
		if err != nil {
			return nil, wrapAt(consolePos, "edit "+t.Name, err)
		}
		if old == nil {
			return nil, relaybase.Errorf(relaybase.CodeNotFound, "No row %v in %s.", id, t.Name)
		}
		if changes.Len() > 0 {
			if _, err := r.update(t, "id", id, changes, old, "edit "+t.Name, consolePos, relaybase.Identity{}); err != nil {
				return nil, err
			}
		}
		return r.reread(t, id)
	})
}

// DeleteRow deletes the row with id and fires the delete triggers. No such row: an error
// with CodeNotFound.
func (p *Program) DeleteRow(ctx context.Context, table string, id any) error {
	_, err := p.changeRow(ctx, table, func(r *run, t *relaybase.Table) (*value.Object, error) {
		deleted, err := r.remove(t, "id", lookupValue(t, "id", id), consolePos, relaybase.Identity{})
		if err == nil && !deleted {
			err = relaybase.Errorf(relaybase.CodeNotFound, "No row %v in %s.", id, t.Name)
		}
		return nil, err
	})
	return err
}

func (p *Program) changeRow(ctx context.Context, table string, fn func(*run, *relaybase.Table) (*value.Object, error)) (*value.Object, error) {
	t, ok := p.ws.Table(table)
	if !ok {
		return nil, relaybase.Errorf(relaybase.CodeNotFound, "No table %q in the workspace.", table)
	}
	ctx, cancel := p.limit(ctx)
	defer cancel()
	r := p.newRun(ctx, nil, relaybase.Identity{})
	out, err := r.transact(true, func() (any, error) { return fn(r, t) })
	if err != nil {
		return nil, p.finalError(ctx, r.redactError(p.timedOut(ctx, err)), t.File, "admin console")
	}
	row, _ := r.strip(out, false).(*value.Object)
	return row, nil
}

// consoleData is rowData for values a person typed: a value that does not fit its field
// is their mistake (400), not the workspace's (500). Unknown fields are refused rather
// than ignored, so a typo does not pass silently.
func (r *run) consoleData(t *relaybase.Table, data *value.Object, insert bool) (*value.Object, error) {
	if data == nil {
		data = value.NewObject(0)
	}
	for _, k := range data.Keys() {
		if k == "id" {
			continue
		}
		if _, ok := t.Field(k); !ok {
			return nil, relaybase.Errorf(relaybase.CodeInputError, "Table %s has no field %q.", t.Name, k)
		}
	}
	row, err := r.rowData(t, data, consolePos, insert)
	var re *relaybase.Error
	if errors.As(err, &re) && re.Code == relaybase.CodeFatal && re.Err == nil {
		return nil, &relaybase.Error{Code: relaybase.CodeInputError, Message: re.Message}
	}
	return row, err
}

// reread reads a row back inside the transaction, so the answer shows what the triggers
// did to it.
func (r *run) reread(t *relaybase.Table, id any) (*value.Object, error) {
	row, err := r.tx.Get(r.ctx, t.Name, "id", id)
	if err != nil {
		return nil, wrapAt(consolePos, "read "+t.Name, err)
	}
	if row == nil { // a trigger deleted it
		return nil, nil
	}
	r.trackRow(t, row)
	return row, nil
}

// TableTriggers names the table triggers that run on table, in workspace order.
func (p *Program) TableTriggers(table string) []string {
	t, ok := p.ws.Table(table)
	if !ok {
		return nil
	}
	var names []string
	for _, tt := range p.tableTriggers[t] {
		names = append(names, tt.name)
	}
	return names
}
