realtime_channel "room:*" {
  description = "Chat room channels"
  active = true
  public_messaging = { active: true, auth: true }
  private_messaging = { active: false, auth: false }
  settings = {
    anonymous_clients: false,
    nested_channels: true,
    message_history: 100,
    auth_channel: true,
    presence: true
  }
}
