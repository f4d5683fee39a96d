api_group chat {
  canonical = "chat"
  description = "The chat room: messages, sign-up, log-in and guests"
}
