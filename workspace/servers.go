package workspace

import (
	"strings"

	"relaybase"
	"relaybase/value"
	"relaybase/xs"
)

// The objects of Xano's current realtime (docs/realtime.md, "The current realtime"):
// realtime_server, channel, message, channel_trigger and realtime_server_trigger. They name
// their parents (realtime_server = "...", channel = "rooms/{room_id}") rather than living in
// their folders, so they are read first and tied together once every file is loaded.

// RealtimeMessage is a message handler: its definition and the node holding its input,
// stack and response.
type RealtimeMessage struct {
	Def     *relaybase.RealtimeMessage
	Channel *relaybase.RealtimeChannel
	Server  *relaybase.RealtimeServer
	Node    *xs.Node
}

// RealtimeTrigger is a channel_trigger (Channel set) or a realtime_server_trigger
// (Channel nil) with the actions it runs on.
type RealtimeTrigger struct {
	Name    string
	File    string
	Server  *relaybase.RealtimeServer
	Channel *relaybase.RealtimeChannel
	Actions map[string]bool
	Node    *xs.Node
}

type pendingChannel struct {
	ch              *relaybase.RealtimeChannel
	serverPos       xs.Pos
	perRecipientPos xs.Pos
}

type pendingMessage struct {
	m                  *RealtimeMessage
	server, channel    string
	serverPos, chanPos xs.Pos
	authPos            xs.Pos
	node               *xs.Node
}

type pendingTrigger struct {
	t                  *RealtimeTrigger
	server, channel    string
	serverPos, chanPos xs.Pos
}

// realtime holds the current-realtime objects until every file is read.
type realtime struct {
	channels []pendingChannel
	messages []pendingMessage
	triggers []pendingTrigger
}

var scalarParamTypes = map[relaybase.FieldType]bool{
	relaybase.TypeInt: true, relaybase.TypeText: true, relaybase.TypeDecimal: true, relaybase.TypeBool: true,
	relaybase.TypeUUID: true, relaybase.TypeEmail: true, relaybase.TypeEnum: true,
	relaybase.TypeTimestamp: true, relaybase.TypeDate: true,
}

// MaxChannelPath is the longest channel path, in bytes.
const MaxChannelPath = 200

func (l *loader) realtimeServer(file string, n *xs.Node) {
	s := &relaybase.RealtimeServer{Name: n.Name, File: file}
	if s.Name == "" {
		l.errorf(n.Pos, "realtime_server needs a name")
		return
	}
	if a := n.Body.Attr("canonical"); a != nil {
		s.Canonical, _ = l.text(a.Value, "canonical")
		if s.Canonical != "" && !validCanonical(s.Canonical) {
			l.errorf(a.Pos, "realtime_server %s: canonical must be 1 to 128 letters, digits, '-' and '_'", s.Name)
			return
		}
	}
	if s.Canonical == "" {
		l.errorf(n.Pos, "realtime_server %s needs canonical = \"...\": it is the /ws/<canonical> address clients connect to", s.Name)
		return
	}
	s.Active = l.boolAttr(n.Body, "active", false)
	if n.Body.Attr("active") == nil {
		l.warnf(n.Pos, "realtime_server %s has no active = true, so it is off (as in Xano) and refuses every connection", s.Name)
	}
	l.ws.RealtimeServers = append(l.ws.RealtimeServers, s)
}

// parentRef reads a parent reference attribute (realtime_server = "...", channel = "...").
func (l *loader) parentRef(n *xs.Node, kind, key string) (string, xs.Pos, bool) {
	a := n.Body.Attr(key)
	if a == nil {
		l.errorf(n.Pos, "%s %s needs %s = \"...\"", kind, n.Name, key)
		return "", n.Pos, false
	}
	s, ok := l.text(a.Value, key)
	if ok && s == "" {
		l.errorf(a.Pos, "%s %s: %s is empty", kind, n.Name, key)
		ok = false
	}
	return s, a.Pos, ok
}

func (l *loader) realtimeChannel(file string, n *xs.Node) {
	c := &relaybase.RealtimeChannel{Path: n.Name, File: file, Publish: relaybase.PublishNobody}
	server, spos, ok := l.parentRef(n, "channel", "realtime_server")
	if !ok {
		return
	}
	c.Server = server
	pathOK := l.channelPath(n, c)
	c.Active = l.boolAttr(n.Body, "active", true)
	access := l.objectAttr(n.Body, "access")
	c.Anonymous = boolMember(access, "anonymous") || l.boolAttr(n.Body, "anonymous_clients", false)
	c.Presence = boolMember(access, "presence") || l.boolAttr(n.Body, "presence", false)
	pub := l.objectAttr(n.Body, "publish")
	if v, ok := pub.Get("who"); ok {
		who, _ := v.(string)
		switch who {
		case relaybase.PublishNobody, relaybase.PublishAnyone, relaybase.PublishAuthenticated:
			c.Publish = who
		default:
			l.errorf(n.Body.Attr("publish").Pos, "channel %q: publish.who must be \"nobody\", \"anyone\" or \"authenticated\"", c.Path)
		}
	}
	c.Direct = boolMember(pub, "direct")
	conv := l.objectAttr(n.Body, "conversation")
	c.Conversation = boolMember(conv, "enabled")
	c.ConversationLimit = l.intMember(n, conv, "conversation", "limit", 0, 1000)
	c.ConversationTTL = l.intMember(n, conv, "conversation", "ttl", 0, 1<<31-1)
	if c.Conversation && c.ConversationLimit == 0 {
		l.warnf(n.Pos, "channel %q: conversation is enabled with limit 0, which keeps and shows nothing (as in Xano); give it a limit", c.Path)
	}
	del := l.objectAttr(n.Body, "delivery")
	if v, ok := del.Get("guarantee"); ok {
		switch v {
		case "at_most_once":
		case "at_least_once":
			c.AtLeastOnce = true
		default:
			l.errorf(n.Body.Attr("delivery").Pos, "channel %q: delivery.guarantee must be \"at_most_once\" or \"at_least_once\"", c.Path)
		}
	}
	c.PerRecipient = boolMember(del, "per_recipient")
	c.RateLimit = l.intMember(n, l.objectAttr(n.Body, "rate_limit"), "rate_limit", "messages_per_minute", 0, 1<<31-1)
	if !pathOK {
		return
	}
	pc := pendingChannel{ch: c, serverPos: spos}
	if c.PerRecipient {
		pc.perRecipientPos = n.Body.Attr("delivery").Pos
	}
	l.rt.channels = append(l.rt.channels, pc)
}

// intMember reads an integer member of a settings object, within [lo, hi].
func (l *loader) intMember(n *xs.Node, o *value.Object, attr, key string, lo, hi int64) int {
	v, ok := o.Get(key)
	if !ok {
		return 0
	}
	i, isInt := v.(int64)
	if !isInt || i < lo || i > hi {
		pos := n.Pos
		if a := n.Body.Attr(attr); a != nil {
			pos = a.Pos
		}
		l.errorf(pos, "%s %q: %s.%s must be an integer from %d to %d", n.Keyword, n.Name, attr, key, lo, hi)
		return 0
	}
	return int(i)
}

// channelPath checks a channel's path and binds its {param}s to the channel's inputs.
func (l *loader) channelPath(n *xs.Node, c *relaybase.RealtimeChannel) bool {
	p := c.Path
	if p == "" || len(p) > MaxChannelPath {
		l.errorf(n.Pos, "channel needs a path of 1 to %d bytes, such as \"lobby\" or \"rooms/{room_id}\"", MaxChannelPath)
		return false
	}
	c.Segments = strings.Split(p, "/")
	params := map[string]bool{}
	for _, seg := range c.Segments {
		if seg == "" {
			l.errorf(n.NamePos, "channel %q: a path may not have an empty segment (no leading, trailing or doubled '/')", p)
			return false
		}
		if IsParam(seg) {
			name := seg[1 : len(seg)-1]
			if !relaybase.ValidPathSegment(name) || params[name] {
				l.errorf(n.NamePos, "channel %q: {%s} is not a parameter name, or is used twice", p, name)
				return false
			}
			params[name] = true
			c.Params = append(c.Params, relaybase.PathParam{Name: name})
			continue
		}
		if !relaybase.ValidPathSegment(seg) {
			l.errorf(n.NamePos, "channel %q: segment %q must be letters, digits, '_' and '-', or a whole {param}", p, seg)
			return false
		}
	}
	declared := map[string]*xs.Node{}
	if in := n.Body.Node("input"); in != nil && in.Body != nil {
		for _, fn := range in.Body.Nodes {
			if fn.Disabled {
				continue
			}
			if fn.Field == nil {
				l.errorf(fn.Pos, "expected a field declaration such as `int room_id`, found %s", fn.Keyword)
				continue
			}
			declared[fn.Field.Name] = fn
			if !params[fn.Field.Name] {
				l.errorf(fn.Pos, "channel %q: input %s is not a {param} of its path; a channel's input types its path only", p, fn.Field.Name)
			}
		}
	}
	ok := true
	for i := range c.Params {
		pp := &c.Params[i]
		fn := declared[pp.Name]
		if fn == nil {
			l.errorf(n.NamePos, "channel %q: {%s} needs an input, such as `int %s` or `text %s`", p, pp.Name, pp.Name, pp.Name)
			ok = false
			continue
		}
		ft := fieldTypes[fn.Field.Type]
		if !scalarParamTypes[ft] || fn.Field.Array {
			l.errorf(fn.Pos, "channel %q: {%s} must be a single scalar (int, text, decimal, bool, uuid, email, enum, timestamp, date), not %s", p, pp.Name, fn.Field.Type)
			ok = false
			continue
		}
		pp.Type = ft
		if ft == relaybase.TypeEnum && fn.Body != nil {
			if a := fn.Body.Attr("values"); a != nil {
				v, _ := Const(a.Value)
				arr, _ := v.([]any)
				for _, e := range arr {
					pp.Values = append(pp.Values, value.ToText(e))
				}
			}
		}
		if ft == relaybase.TypeEnum && len(pp.Values) == 0 {
			l.errorf(fn.Pos, "enum %s needs values = [...]", pp.Name)
			ok = false
		}
	}
	return ok
}

var deliverTo = map[string]bool{relaybase.DeliverChannel: true, relaybase.DeliverSender: true,
	relaybase.DeliverOthers: true, relaybase.DeliverExplicit: true}

func (l *loader) realtimeMessage(file string, n *xs.Node) {
	d := &relaybase.RealtimeMessage{Name: n.Name, File: file, DeliverTo: relaybase.DeliverChannel}
	if d.Name == "" || len(d.Name) > 100 || !relaybase.ValidPathSegment(d.Name) {
		l.errorf(n.Pos, "message needs a name of 1 to 100 letters, digits, '_' and '-'")
		return
	}
	pm := pendingMessage{m: &RealtimeMessage{Def: d, Node: n}, node: n}
	var ok bool
	if pm.server, pm.serverPos, ok = l.parentRef(n, "message", "realtime_server"); !ok {
		return
	}
	if pm.channel, pm.chanPos, ok = l.parentRef(n, "message", "channel"); !ok {
		return
	}
	d.Active = l.boolAttr(n.Body, "active", true)
	if a := n.Body.Attr("deliver_to"); a != nil {
		d.DeliverTo, _ = l.text(a.Value, "deliver_to")
		if !deliverTo[d.DeliverTo] {
			l.errorf(a.Pos, "message %s: deliver_to must be \"channel\", \"sender\", \"others\" or \"explicit\"", d.Name)
			return
		}
		if d.DeliverTo == relaybase.DeliverExplicit {
			l.warnf(a.Pos, "message %s: deliver_to = \"explicit\" delivers to nobody (as in Xano, no statement selects recipients)", d.Name)
		}
	}
	if a := n.Body.Attr("auth"); a != nil {
		if lit, isLit := a.Value.(*xs.Lit); !isLit || lit.Value != nil && lit.Value != false {
			d.Auth, _ = l.text(a.Value, "auth")
			pm.authPos = a.Pos
		}
	}
	if n.Body.Node("stack") == nil {
		l.errorf(n.Pos, "message %s needs a stack { ... }", d.Name)
		return
	}
	if n.Body.Attr("response") == nil {
		l.errorf(n.Pos, "message %s needs response = ...: it is what the message delivers", d.Name)
		return
	}
	l.rt.messages = append(l.rt.messages, pm)
}

func (l *loader) realtimeTrigger(file string, n *xs.Node, onChannel bool) {
	t := &RealtimeTrigger{Name: n.Name, File: file, Node: n}
	pt := pendingTrigger{t: t}
	var ok bool
	if pt.server, pt.serverPos, ok = l.parentRef(n, n.Keyword, "realtime_server"); !ok {
		return
	}
	known := []string{"connect", "disconnect"}
	if onChannel {
		if pt.channel, pt.chanPos, ok = l.parentRef(n, n.Keyword, "channel"); !ok {
			return
		}
		known = []string{"join", "leave", "deliver"}
	}
	t.Actions = map[string]bool{}
	if a := n.Body.Attr("actions"); a != nil {
		o := l.objectAttr(n.Body, "actions")
		for _, k := range o.Keys() {
			v, _ := o.Get(k)
			on, isBool := v.(bool)
			if !isBool || !containsString(known, k) {
				l.errorf(a.Pos, "%s %s: actions takes %s, each true or false", n.Keyword, n.Name, strings.Join(known, ", "))
				continue
			}
			t.Actions[k] = on
		}
	} else {
		t.Actions[known[0]] = true
	}
	if n.Body.Node("stack") == nil {
		l.errorf(n.Pos, "%s %s needs a stack { ... }", n.Keyword, n.Name)
		return
	}
	if l.boolAttr(n.Body, "active", true) {
		l.rt.triggers = append(l.rt.triggers, pt)
	}
}

func containsString(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// resolveRealtime ties channels to servers, messages and triggers to channels, and checks
// what only the whole workspace shows: names and canonicals used twice, references to
// objects that do not exist, auth tables.
func (l *loader) resolveRealtime() {
	byName := map[string]*relaybase.RealtimeServer{}
	canon := map[string]*relaybase.RealtimeServer{}
	for _, s := range l.ws.RealtimeServers {
		pos := xs.Pos{File: s.File, Line: 1, Col: 1}
		if prev := byName[s.Name]; prev != nil {
			l.errorf(pos, "realtime_server %s is also defined in %s", s.Name, prev.File)
			continue
		}
		if prev := canon[s.Canonical]; prev != nil {
			l.errorf(pos, "realtime_server %s: canonical %q is also used by %s", s.Name, s.Canonical, prev.File)
			continue
		}
		if s.Canonical == l.ws.Canonical {
			l.errorf(pos, "realtime_server %s: canonical %q is the workspace's legacy realtime canonical", s.Name, s.Canonical)
			continue
		}
		byName[s.Name], canon[s.Canonical] = s, s
	}
	for _, pc := range l.rt.channels {
		s := byName[pc.ch.Server]
		if s == nil {
			l.errorf(pc.serverPos, "channel %q: realtime_server %q is not defined", pc.ch.Path, pc.ch.Server)
			continue
		}
		if prev, dup := s.Channel(pc.ch.Path); dup {
			l.errorf(pc.serverPos, "channel %q of realtime_server %s is also defined in %s", pc.ch.Path, s.Name, prev.File)
			continue
		}
		s.Channels = append(s.Channels, pc.ch)
	}
	for _, pm := range l.rt.messages {
		d := pm.m.Def
		s := byName[pm.server]
		if s == nil {
			l.errorf(pm.serverPos, "message %s: realtime_server %q is not defined", d.Name, pm.server)
			continue
		}
		c, ok := s.Channel(pm.channel)
		if !ok {
			l.errorf(pm.chanPos, "message %s: realtime_server %s has no channel %q (name the channel's template, such as \"rooms/{room_id}\")", d.Name, s.Name, pm.channel)
			continue
		}
		if prev, dup := c.Message(d.Name); dup {
			l.errorf(pm.node.Pos, "message %s of channel %q is also defined in %s", d.Name, c.Path, prev.File)
			continue
		}
		if d.Auth != "" {
			t, ok := l.ws.Table(d.Auth)
			switch {
			case !ok:
				l.errorf(pm.authPos, "message %s: auth = %q: no such table", d.Name, d.Auth)
				continue
			case !t.Auth:
				l.errorf(pm.authPos, "message %s: auth = %q: table %s is not an auth table (auth = true)", d.Name, d.Auth, t.Name)
				continue
			}
			d.Auth = t.Name
		}
		pm.m.Server, pm.m.Channel = s, c
		c.Messages = append(c.Messages, d)
		l.ws.RealtimeMessages = append(l.ws.RealtimeMessages, pm.m)
	}
	for _, pt := range l.rt.triggers {
		t := pt.t
		s := byName[pt.server]
		if s == nil {
			l.errorf(pt.serverPos, "%s %s: realtime_server %q is not defined", t.Node.Keyword, t.Name, pt.server)
			continue
		}
		t.Server = s
		if pt.channel != "" {
			c, ok := s.Channel(pt.channel)
			if !ok {
				l.errorf(pt.chanPos, "%s %s: realtime_server %s has no channel %q", t.Node.Keyword, t.Name, s.Name, pt.channel)
				continue
			}
			t.Channel = c
		}
		l.ws.LifecycleTriggers = append(l.ws.LifecycleTriggers, t)
	}
	// Per-recipient delivery needs both halves, as in Xano: the channel's flag and an active
	// deliver trigger; either alone delivers every payload unchanged, so say so.
	delivers := map[*relaybase.RealtimeChannel]bool{}
	for _, t := range l.ws.LifecycleTriggers {
		if t.Channel != nil && t.Actions["deliver"] {
			delivers[t.Channel] = true
			if !t.Channel.PerRecipient {
				l.warnf(t.Node.Pos, "channel_trigger %s: its deliver action runs only on a channel with delivery.per_recipient, which %q does not set; payloads reach every recipient unchanged", t.Name, t.Channel.Path)
			}
		}
	}
	for _, pc := range l.rt.channels {
		if pc.ch.PerRecipient && !delivers[pc.ch] {
			l.warnf(pc.perRecipientPos, "channel %q: delivery.per_recipient does nothing without an active channel_trigger with actions = {deliver: true}; payloads reach every recipient unchanged", pc.ch.Path)
		}
	}
}
