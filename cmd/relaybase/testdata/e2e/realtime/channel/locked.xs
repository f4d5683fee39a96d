realtime_channel "locked/*" {
  public_messaging = {active: true, auth: false}
  settings = {anonymous_clients: true, nested_channels: true, message_history: 0, presence: false}
}
