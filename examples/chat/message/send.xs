// A message to the room: validated, stored in the message table, and what the handler
// returns is what everyone in the room receives (and what later joiners see).
message send {
  realtime_server = "chat_rt"
  channel = "rooms/{room}"
  deliver_to = "channel"
  input {
    text text filters=trim|min:1|max:2000
  }
  stack {
    realtime.get_session as $session
    db.add message {
      data = {
        channel: "ws:" ~ $session.channel
        text: $input.text
        author: $session.extras.name
      }
    } as $message
  }
  response = {id: $message.id, text: $message.text, author: $message.author, created_at: $message.created_at}
}
