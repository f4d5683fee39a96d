realtime_trigger "room_messages" {
  channel = "room:*"
  actions = {join: true, message: true}
  active = true
  input {
    enum action {
      values = ["message", "join"]
    }
    text channel
    object client {
      schema {
        json extras
        object permissions {
          schema {
            int dbo_id
            text row_id
          }
        }
      }
    }
    json payload
  }
  stack {
    conditional {
      if ($input.action == "join") {
        var $welcome { value = "Welcome to " ~ $input.channel }
      }
      elseif ($input.action == "message" && ($input.payload.text|strlen) > 0) {
        db.add message {
          data = {
            channel: $input.channel,
            body: $input.payload.text|trim,
            user_id: $input.client.permissions.row_id|to_int,
            created_at: now
          }
        } as $msg
        api.realtime_event {
          channel = $input.channel
          data = $msg
          auth_table = null
          auth_id = ""
        }
        var $welcome { value = null }
      }
      else {
        var $welcome { value = null }
      }
    }
  }
  response = {status: "ok", welcome: $welcome}
  history = false
}
