// auth = "none", a filter after a result variable, and an event with no sender identity:
// all as Xano exports write them.
query rank verb=GET {
  auth = "none"

  input {
    text name filters=trim
  }

  stack {
    db.query thing {
      sort = {id: "asc"}
      return = {type: "list"}
    } as $things

    array.find_index ($things) if ($this.name == $input.name) as $x2|add:1

    api.realtime_event {
      channel = "board"
      data = {name: $input.name, rank: $x2}
      auth_table = "0"
      auth_id = ""
    }
  }

  response = {rank: $x2}
}
