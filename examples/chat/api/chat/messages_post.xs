// Store a message, then announce it to the channel: the seed's second option.
query messages verb=POST {
  api_group = "chat"
  input {
    text channel filters=trim|min:1|max:256
    text text filters=trim|min:1|max:2000
    text author filters=trim|min:1|max:40
  }
  stack {
    db.add message {
      data = {
        channel: $input.channel
        text: $input.text
        author: $input.author
      }
    } as $message

    api.realtime_event {
      channel = $input.channel
      data = $message
    }
  }
  response = $message
}
