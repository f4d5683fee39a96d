// Xano's current realtime for relaybase-bench --protocol current: /ws/benchv2.
realtime_server bench_rt {
  canonical = "benchv2"
  active = true
}
