// The endpoint → database → event path on the current realtime: store a message, then
// publish it to rooms/<room> (relaybase-bench endpoint --protocol current posts here).
query "current/messages" verb=POST {
  api_group = "chat"
  input {
    text channel filters=trim|min:1|max:256
    text text filters=trim|min:1|max:2000
    text author filters=trim|min:1|max:40
  }
  stack {
    db.add message {
      data = {
        channel: "ws:" ~ $input.channel
        text: $input.text
        author: $input.author
      }
    } as $message

    realtime.publish {
      realtime_server = "chat_rt"
      channel = $input.channel
      message = "send"
      data = $message
    }
  }
  response = $message
}
