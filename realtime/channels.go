package realtime

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"relaybase"
)

// Channels is a workspace's realtime channels without their connections: the rules that
// match channel names, the codec that encodes event frames once, the history kept in the
// Store, and the Engine that carries frames between nodes. It implements relaybase.Events,
// so the function-stack runtime can stage and publish api.realtime_event frames through it.
//
// It exists apart from the Server so that a process can be wired in the order the parts
// need each other, with nothing half-built in between: Channels first, then the program
// compiled against it (stack.Options.Events), then the Server built with the program's
// realtime triggers (Config.Triggers). The Server serves the connections of one Channels.
type Channels struct {
	rules  *matcher
	store  relaybase.Store
	engine relaybase.Engine
	log    *slog.Logger
	now    func() time.Time

	// srv is the Server serving these channels, once New has built it: Publish hands it
	// stored frames for its own members, and what the Engine fails to take.
	srv atomic.Pointer[Server]
}

var _ relaybase.Events = (*Channels)(nil)

// ChannelsConfig is what Channels needs. Zero fields take the defaults noted.
type ChannelsConfig struct {
	// Rules are the workspace's realtime_channel rules (see CheckRules).
	Rules []relaybase.ChannelRule
	// Store keeps history and offsets. Nil: no channel keeps history (a warning is logged
	// when a rule asks for some).
	Store relaybase.Store
	// Engine carries frames and presence between nodes. Required.
	Engine relaybase.Engine
	// Logger (nil: discard).
	Logger *slog.Logger
	// Now is the clock that stamps stored frames (nil: time.Now).
	Now func() time.Time
}

// NewChannels checks the rules (an invalid rule is an error; warnings go to the log) and
// returns the channels they define. It starts nothing: frames flow once a Server built on
// it is running.
func NewChannels(cfg ChannelsConfig) (*Channels, error) {
	if cfg.Engine == nil {
		return nil, errors.New("realtime: ChannelsConfig.Engine is required")
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	warnings, err := CheckRules(cfg.Rules)
	if err != nil {
		return nil, err
	}
	for _, w := range warnings {
		log.Warn(w)
	}
	if cfg.Store == nil {
		for _, r := range cfg.Rules {
			if r.Active && r.History > 0 {
				log.Warn("realtime: no store configured, so no channel keeps history", "pattern", r.Pattern)
				break
			}
		}
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Channels{
		rules:  newMatcher(cfg.Rules),
		store:  cfg.Store,
		engine: cfg.Engine,
		log:    log,
		now:    now,
	}, nil
}

// Match returns the rule for a concrete channel name (protocol.md §3): an exact pattern
// wins, then the longest prefix pattern; inactive rules match nothing. The rule is the
// channels' own copy: read it, don't change it.
func (ch *Channels) Match(channel string) (*relaybase.ChannelRule, bool) {
	return ch.rules.match(channel)
}

// keepsHistory reports whether channels of r store frames.
func (ch *Channels) keepsHistory(r *relaybase.ChannelRule) bool {
	return r.History > 0 && ch.store != nil
}

// NoTriggers is the Config.Triggers of a workspace that has no realtime_trigger stacks:
// every join and message is left to the channel rules alone. Triggers are required so that
// allowing everything is always a decision written down, never a default.
var NoTriggers relaybase.Triggers = noTriggers{}

type noTriggers struct{}

func (noTriggers) RunRealtimeTrigger(context.Context, *relaybase.TriggerCall) error { return nil }
func (noTriggers) HasRealtimeTrigger(string, string) bool                           { return false }
