realtime_channel items {
  settings = {anonymous_clients: true, message_history: 25, presence: false}
}
