// notes/<id> belongs to user <id>: anyone else's join is refused with `forbidden`.
realtime_trigger notes_owner {
  channel = "notes/*"
  actions = {join: true}
  stack {
    precondition ($input.channel == "notes/" ~ $auth.id) {
      error_type = "accessdenied"
      error = "These notes belong to someone else."
    }
  }
  response = true
}
