api_group bench {
  canonical = "bench"
  description = "Benchmark-only endpoints: fire a realtime event, mint a guest token"
}
