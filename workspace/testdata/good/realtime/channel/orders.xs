realtime_channel "orders/*" {
  active = true
  public_messaging = {active: true, auth: true}
  private_messaging = {active: false, auth: false}
  settings = {
    anonymous_clients: false
    nested_channels: false
    message_history: 25
    auth_channel: true
    presence: true
  }
}
