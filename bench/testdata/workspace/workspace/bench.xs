// The benchmark workspace of relaybase-bench: the smallest server path for each scenario.
workspace bench {
  realtime = {canonical: "bench"}
}
