workspace "chat_app" {
  description = "Chat backend"
  env = {
    APP_NAME: "Chat",
    MAX_ROOMS: 10
    DEBUG: false
  }
  realtime = {canonical: "chat-app"}
  preferences = {internal_docs: false, track_performance: true}
}
