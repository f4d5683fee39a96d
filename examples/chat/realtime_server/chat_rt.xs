// Xano's current realtime: the same chat on /ws/chatv2 (static/current.html).
realtime_server chat_rt {
  canonical = "chatv2"
  active = true
}
