package bench

import "fmt"

// judge adds product.md's performance targets that apply to this run's parameters. A
// target is stated for one configuration (1,000 members at 100 publishes/s, ...); a run
// with other parameters is reported without a verdict. A delivery that never arrived has
// no latency, so any loss misses a latency target.
func judge(o Options, r *Result) {
	add := func(what, want, got string, met bool) {
		r.Targets = append(r.Targets, Target{What: what, Want: want, Got: got, Met: met})
	}
	p99 := func(limitMs float64) {
		if r.Latency == nil {
			return
		}
		got := fmt.Sprintf("%s ms", ms(r.Latency.P99))
		if r.Lost > 0 {
			got += fmt.Sprintf(", %d lost", r.Lost)
		}
		add("publish→deliver p99", fmt.Sprintf("≤ %s ms", ms(limitMs)), got, r.Lost == 0 && r.Latency.Count > 0 && r.Latency.P99 <= limitMs)
	}
	switch {
	case o.Scenario == "fanout" && o.Members == 1000 && o.Rate == 100:
		// product.md asks for the floor + 10%; issue 13 (coalescing below one write per
		// frame) for at most 0.7 × the floor, with the same p99. The stricter one is judged:
		// it implies the other.
		limit := 0.7 * r.FloorMicros
		if r.ServerCPUPerDelivery > 0 {
			add("server CPU per delivery", fmt.Sprintf("≤ %.2f µs (0.7 × floor %.2f µs)", limit, r.FloorMicros),
				fmt.Sprintf("%.2f µs", r.ServerCPUPerDelivery), r.ServerCPUPerDelivery <= limit)
		}
		p99(20)
	case o.Scenario == "fanout" && o.Members == 1000 && o.Rate == 300:
		want := float64(o.Members) * o.Rate
		add("deliveries/s sustained", fmt.Sprintf("all %s/s", num(want)),
			fmt.Sprintf("%s/s, %d lost", num(r.DeliveriesPerSec), r.Lost), r.Lost == 0 && r.DeliveriesPerSec >= 0.98*want)
		p99(50)
	case o.Scenario == "bigroom" && o.Members == 10000 && o.Rate == 10:
		// product.md: 250 ms; issue 13: 100 ms.
		p99(250)
		p99(100)
	case o.Scenario == "endpoint" && o.Members == 1000 && o.Rate == 50:
		p99(30)
	case o.Scenario == "idle" && o.Members == 10000 && r.Idle != nil:
		const limit = 12000 // 12 KB: 12 GB per million connections
		switch {
		case r.Idle.Source == "metrics":
			add("heap + stacks per idle member", "≤ 12,000 B", fmt.Sprintf("%.0f B", r.Idle.HeapStackPerConn), r.Idle.HeapStackPerConn <= limit)
		case r.Idle.RSSPerConn > 0:
			add("RSS per idle member (no heap figures)", "≤ 12,000 B", fmt.Sprintf("%.0f B", r.Idle.RSSPerConn), r.Idle.RSSPerConn <= limit)
		}
	case o.Scenario == "connect" && r.Connect != nil:
		got := fmt.Sprintf("%s/s", num(r.Connect.PerSecond))
		if r.Connect.PerServerCPUSec > 0 {
			got += fmt.Sprintf("; %s per server-CPU-second", num(r.Connect.PerServerCPUSec))
		}
		add("connect+auth+join per core", "≥ 10,000/s", got, r.Connect.PerSecond >= 10000)
	}
}
