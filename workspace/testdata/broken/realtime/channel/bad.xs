realtime_channel "a*b" {
  active = true
}
