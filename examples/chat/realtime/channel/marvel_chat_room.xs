// The seed's room: anyone may watch, members see who is online, the room keeps its
// recent history, and messages go through POST /api:chat/messages, not the socket.
realtime_channel marvel_chat_room {
  active = true
  public_messaging = {active: false, auth: false}
  private_messaging = {active: false, auth: false}
  settings = {
    anonymous_clients: true
    nested_channels: false
    message_history: 100
    auth_channel: false
    presence: true
  }
}
