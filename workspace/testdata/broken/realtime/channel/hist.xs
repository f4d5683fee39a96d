realtime_channel "h" {
  settings = {message_history: 30}
}
