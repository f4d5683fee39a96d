// bench/<name>: anyone may join, no presence, no history, and members may broadcast, so
// the server's work per frame is the fan-out alone.
realtime_channel "bench/*" {
  active = true
  public_messaging = {active: true, auth: false}
  private_messaging = {active: false, auth: false}
  settings = {
    anonymous_clients: true
    nested_channels: true
    message_history: 0
    auth_channel: false
    presence: false
  }
}
