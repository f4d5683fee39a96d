#!/usr/bin/env python3
"""coalesce_sim.py: what the flushers' pacing (realtime/coalesce.go) can do for fanout.

A discrete-event model of one server core fanning out to N members: every T ms a publish
queues one frame for every member; one flusher writes members first in, first out; a write
costs CW ms plus CF ms per frame it carries, a publish CPUB ms. With pacing delay D, a member
written at s is not written again before s + D (the later list, soonest due first): frames
that reach it meanwhile leave in one write. It prints, for each D, writes per frame and the
server-side publish->write latency (no generator, no kernel queueing, no scheduler), so the
trade-off between fewer writes and a low p99 can be read without a quiet machine:

    python3 docs/profiles/coalesce_sim.py

CW defaults to the quiet floor of 2026-12-04 (9.3 us per write), CF and CPUB to what the
fanout profile puts outside write(2). `--jitter` spreads publish intervals by +-that fraction.
"""
import argparse
import heapq
import random
from collections import deque


def simulate(delay, period=10.0, members=1000, publishes=300, cw=0.0093, cf=0.0003,
             cpub=0.25, jitter=0.0, seed=1):
    rnd = random.Random(seed)
    times, t = [], 0.0
    for _ in range(publishes):
        times.append(t + rnd.random())  # up to 1 ms late, as the generator's publishers are
        t += period * (1 + jitter * (2 * rnd.random() - 1))
    queued = [[] for _ in range(members)]
    last = [None] * members  # when each member's last write began
    waiting = [False] * members  # ready or later: has a writer coming
    ready, later = deque(), []
    now, nxt, seq = 0.0, 0, 0
    latency, writes, frames = [], 0, 0
    while nxt < len(times) or ready or later:
        if nxt < len(times) and times[nxt] <= now:
            at = times[nxt]
            nxt += 1
            now += cpub
            for m in range(members):
                queued[m].append(at)
                if waiting[m]:
                    continue
                waiting[m] = True
                if delay > 0 and last[m] is not None and last[m] + delay > now:
                    seq += 1
                    heapq.heappush(later, (last[m] + delay, seq, m))
                else:
                    ready.append(m)
            continue
        while later and later[0][0] <= now:
            ready.append(heapq.heappop(later)[2])
        if ready:
            m = ready.popleft()
            batch, queued[m] = queued[m], []
            waiting[m] = False
            last[m] = now
            now += cw + cf * len(batch)
            writes += 1
            frames += len(batch)
            latency.extend(now - at for at in batch)
            continue
        upcoming = [times[nxt]] if nxt < len(times) else []
        if later:
            upcoming.append(later[0][0])
        now = max(now, min(upcoming))
    latency.sort()
    n = len(latency)
    return {
        "writes/frame": writes / frames,
        "p50": latency[n // 2],
        "p99": latency[int(n * 0.99)],
        "max": latency[-1],
        "us/delivery": ((writes * cw + frames * cf) / frames + cpub / members) * 1000,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jitter", type=float, default=0.0)
    ap.add_argument("--period", type=float, default=10.0, help="ms between publishes")
    ap.add_argument("delays", nargs="*", type=float, default=[0, 12, 15, 16, 18, 20])
    a = ap.parse_args()
    print("delay ms  writes/frame  p50 ms  p99 ms  max ms  us/delivery (model)")
    for d in a.delays:
        r = simulate(d, period=a.period, jitter=a.jitter)
        print(f"{d:8g}  {r['writes/frame']:12.2f}  {r['p50']:6.1f}  {r['p99']:6.1f}  "
              f"{r['max']:6.1f}  {r['us/delivery']:6.2f}")


if __name__ == "__main__":
    main()
