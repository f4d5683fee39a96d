// The logged-in user's notes, newest first.
query notes verb=GET {
  api_group = "app"
  auth = "user"
  input {
    int page?=1 filters=min:1
  }
  stack {
    db.query note {
      where = $db.note.user_id == $auth.id
      sort = {id: "desc"}
      return = {type: "list", paging: {page: $input.page, per_page: 25}}
    } as $notes
  }
  response = $notes
}
