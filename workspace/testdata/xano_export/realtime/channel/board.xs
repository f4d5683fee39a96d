realtime_channel board {
  settings = {anonymous_clients: true, message_history: 25}
}
