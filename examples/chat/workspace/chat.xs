// The chat room of Xano's "Realtime Functions" page, as a relaybase workspace.
workspace chat {
  env = {
    ROOM_NAME: "Marvel chat room"
  }
  realtime = {canonical: "marvel-chat"}
}
