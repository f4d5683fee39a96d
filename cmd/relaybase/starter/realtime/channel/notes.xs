// notes/<user id>: signed-in clients hear about new notes as they are added.
realtime_channel "notes/*" {
  active = true
  public_messaging = {active: false, auth: true}
  private_messaging = {active: false, auth: true}
  settings = {
    anonymous_clients: false
    nested_channels: true
    message_history: 25
    auth_channel: true
    presence: false
  }
}
