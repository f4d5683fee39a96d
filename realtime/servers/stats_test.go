package servers

import (
	"testing"

	"relaybase"
)

func TestChannelStats(t *testing.T) {
	s := &Service{}
	s.hub.init()
	sv := &server{def: &relaybase.RealtimeServer{Canonical: "chat"}}
	a := s.hub.acquire("k1", "rooms/1", sv, nil, false)
	a.members = []*member{{}, {}}
	s.hub.acquire("k2", "rooms/2", sv, nil, false) // no member yet: not listed
	got := s.ChannelStats()
	if len(got) != 1 || got[0] != (ChannelStat{Server: "chat", Path: "rooms/1", Members: 2}) {
		t.Fatalf("ChannelStats = %+v", got)
	}
}
