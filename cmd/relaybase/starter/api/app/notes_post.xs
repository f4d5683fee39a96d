// Add a note for the logged-in user and tell their channel about it.
query notes verb=POST {
  api_group = "app"
  auth = "user"
  input {
    text text filters=trim|min:1|max:5000
  }
  stack {
    db.add note {
      data = {user_id: $auth.id, text: $input.text}
    } as $note

    api.realtime_event {
      channel = "notes/" ~ $auth.id
      data = $note
    }
  }
  response = $note
}
