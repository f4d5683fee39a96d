query reset verb=POST {
  input {}
  stack {
    db.truncate audit {
      reset = true
    }
  }
  response = {ok: true}
}
