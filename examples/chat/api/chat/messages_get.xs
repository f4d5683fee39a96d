// The latest messages of a channel, newest first, a page at a time.
query messages verb=GET {
  api_group = "chat"
  input {
    text channel filters=trim|min:1
    int page?=1 filters=min:1
    int per_page?=50 filters=min:1|max:200
  }
  stack {
    db.query message {
      where = $db.message.channel == $input.channel
      sort = {id: "desc"}
      return = {type: "list", paging: {page: $input.page, per_page: $input.per_page, totals: true}}
    } as $messages
  }
  response = $messages
}
