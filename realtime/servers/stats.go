package servers

import "sort"

// ChannelStat is a channel of the current realtime with members on this node.
type ChannelStat struct {
	Server  string // the realtime server's canonical path (/ws/<canonical>)
	Path    string // the channel's path, as members joined it
	Members int    // memberships on this node
}

// ChannelStats lists the channels that have members on this node, by server and path,
// for the admin console. It takes each channel's lock briefly, once.
func (s *Service) ChannelStats() []ChannelStat {
	var out []ChannelStat
	for i := range s.hub.shards {
		sh := &s.hub.shards[i]
		sh.mu.Lock()
		chans := make([]*channel, 0, len(sh.m))
		for _, c := range sh.m {
			chans = append(chans, c)
		}
		sh.mu.Unlock()
		for _, c := range chans {
			c.mu.Lock()
			n := len(c.members)
			c.mu.Unlock()
			if n > 0 {
				out = append(out, ChannelStat{Server: c.sv.def.Canonical, Path: c.path, Members: n})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Server != out[j].Server {
			return out[i].Server < out[j].Server
		}
		return out[i].Path < out[j].Path
	})
	return out
}
