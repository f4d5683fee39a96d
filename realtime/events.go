package realtime

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"relaybase"
	"relaybase/value"
)

// Stage prepares an api.realtime_event (protocol.md §4): the channel must be a concrete name
// an active rule matches; the event frame is encoded once here. When the channel keeps
// history the event comes back with Keep set, for Store to store and number. Nothing is
// stored or sent here.
//
// A channel that is no valid name, or that no active rule matches, is an input error
// (ERROR_CODE_INPUT_ERROR, a 400): the name almost always comes from the request (a room
// the client picked), so it is the caller's mistake, to be told, not a server failure to
// be logged. The stack fails with it, and its transaction rolls back.
func (ch *Channels) Stage(ctx context.Context, ev relaybase.Event) (relaybase.StagedEvent, error) {
	if !validChannelName(ev.Channel) {
		return relaybase.StagedEvent{}, relaybase.Errorf(relaybase.CodeInputError,
			"api.realtime_event: the channel must be a name of 1 to %d bytes of printable text, got %s.", MaxChannelName, strconv.Quote(truncate(ev.Channel, 80)))
	}
	rule, ok := ch.Match(ev.Channel)
	if !ok {
		return relaybase.StagedEvent{}, relaybase.Errorf(relaybase.CodeInputError,
			"api.realtime_event: no active realtime_channel matches the channel %s.", strconv.Quote(ev.Channel))
	}
	data, err := value.EncodeJSON(ev.Data)
	if err != nil {
		return relaybase.StagedEvent{}, &relaybase.Error{Code: relaybase.CodeFatal,
			Message: "api.realtime_event: the data can't be encoded as JSON.", Err: err}
	}
	authed := ev.Sender != nil && ev.Sender.Authenticated()
	var sender []byte
	if authed {
		sender = eventSender(*ev.Sender)
	}
	frame := appendEvent(make([]byte, 0, len(data)+len(sender)+len(ev.Channel)+64), sender, ev.Channel, data)
	st := relaybase.StagedEvent{Channel: ev.Channel, Frame: frame, SenderAuthenticated: authed}
	if ch.keepsHistory(rule) {
		st.Keep = rule.History
	}
	return st, nil
}

// KeepsHistory reports whether Stage's events to channel wait for Store: an active rule
// matches it and keeps history, and there is a store.
func (ch *Channels) KeepsHistory(channel string) bool {
	rule, ok := ch.Match(channel)
	return ok && ch.keepsHistory(rule)
}

// Store appends the staged events that wait for it (Keep > 0) to their channels' history in
// tx, channel by channel in the order of the channels' names and, within a channel, in the
// order staged, and gives each its offset. Appending locks the channel's offset until tx
// ends (store/postgres), so the fixed order means two transactions never wait for each
// other's channels in a circle.
func (ch *Channels) Store(ctx context.Context, tx relaybase.Tx, staged []relaybase.StagedEvent) error {
	var order []int
	for i := range staged {
		if staged[i].Keep > 0 {
			order = append(order, i)
		}
	}
	slices.SortStableFunc(order, func(a, b int) int { return strings.Compare(staged[a].Channel, staged[b].Channel) })
	now := ch.now().UnixMilli()
	for _, i := range order {
		st := &staged[i]
		off, _, err := tx.AppendHistory(ctx, &relaybase.HistoryEntry{
			Channel:             st.Channel,
			CreatedAt:           now,
			SenderAuthenticated: st.SenderAuthenticated,
			Frame:               slices.Clone(st.Frame),
		}, st.Keep)
		if err != nil {
			return err
		}
		st.Frame = withOffset(st.Frame, off)
		st.Offset, st.Keep = off, 0
	}
	return nil
}

// eventSender is the client object of an event raised with auth_table/auth_id.
func eventSender(id relaybase.Identity) []byte {
	b := append([]byte(nil), `{"socketId":"","extras":{},"permissions":{"dbo_id":`...)
	b = strconv.AppendInt(b, id.TableID, 10)
	b = append(b, `,"row_id":`...)
	b = strconv.AppendInt(b, id.RowID, 10)
	return append(b, `}}`...)
}

// Publish sends staged events to every member of their channels on every node, in order;
// call it once the transaction that staged them has committed. Once a Server serves these
// channels, stored events reach its members even when the Engine fails, and the other
// nodes' once it is back (Server.broadcast); failures are logged.
func (ch *Channels) Publish(ctx context.Context, staged []relaybase.StagedEvent) {
	for _, st := range staged {
		rule, ok := ch.Match(st.Channel)
		if !ok {
			continue
		}
		var flags byte
		if rule.AuthChannel && st.SenderAuthenticated {
			flags = flagAuthOnly
		}
		b := append(newFrame(len(st.Frame)), st.Frame...)
		msg := seal(b, kindBroadcast, flags, st.Offset, "")
		if s := ch.srv.Load(); s != nil {
			_ = s.broadcast(ctx, st.Channel, msg, st.Offset)
		} else if err := ch.engine.Publish(ctx, st.Channel, msg); err != nil {
			ch.log.Error("realtime: publish event failed", "channel", st.Channel, "offset", st.Offset, "err", err)
		}
	}
}
