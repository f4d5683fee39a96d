// Rooms for signed-in clients only: an anonymous join is refused with unauthorized.
realtime_channel "members/*" {
  active = true
  public_messaging = {active: true, auth: false}
  private_messaging = {active: false, auth: false}
  settings = {
    anonymous_clients: false
    nested_channels: true
    message_history: 0
    auth_channel: false
    presence: false
  }
}
