// Open rooms for the SDK conformance test: anyone may join, broadcast and message another
// member privately; presence and history are on.
realtime_channel "sdk/*" {
  active = true
  public_messaging = {active: true, auth: false}
  private_messaging = {active: true, auth: false}
  settings = {
    anonymous_clients: true
    nested_channels: true
    message_history: 100
    auth_channel: false
    presence: true
  }
}
