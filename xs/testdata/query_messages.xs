// List messages of a room, newest first.
query "rooms/{room_id}/messages" verb=GET {
  api_group = "Chat"
  auth = "user"
  description = "Messages of one room"
  input {
    int room_id { table = "room" }
    int page?=1 filters=min:1
    int per_page?=20 filters=min:1|max:100
    text? search?
  }
  stack {
    db.get room {
      field_name = "id"
      field_value = $input.room_id
    } as $room

    precondition ($room != null) {
      error_type = "notfound"
      error = "Room not found"
    }

    db.query message {
      where = $db.message.room_id == $input.room_id && $db.message.body includes $input.search
      sort = {created_at: "desc"}
      return = {type: "list", paging: {page: $input.page, per_page: $input.per_page, totals: true}}
    } as $messages

    var $names {
      value = $messages.items|map:$$.author|unique
    }
  }
  response = {
    room: $room.name
    items: $messages.items
    names: $names
  }
  history = {inherit: true}
}
