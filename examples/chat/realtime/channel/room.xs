// Every other room: room/<name>.
realtime_channel "room/*" {
  active = true
  public_messaging = {active: false, auth: false}
  private_messaging = {active: true, auth: true}
  settings = {
    anonymous_clients: true
    nested_channels: true
    message_history: 100
    auth_channel: false
    presence: true
  }
}
