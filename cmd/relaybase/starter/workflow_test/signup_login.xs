// `relaybase test` runs this on an empty database, as it does every test block.
workflow_test "sign up, log in, keep notes" {
  stack {
    api.call "auth/signup" verb=POST {
      api_group = "app"
      input = {name: "Ann", email: "ann@example.com", password: "long-enough-pw"}
    } as $signup

    api.call "auth/login" verb=POST {
      api_group = "app"
      input = {email: "ann@example.com", password: "long-enough-pw"}
    } as $login
    expect.to_not_be_null ($login.authToken)

    expect.to_throw {
      stack {
        api.call "auth/login" verb=POST {
          api_group = "app"
          input = {email: "ann@example.com", password: "wrong password"}
        }
      }
      exception = "Invalid credentials."
    }

    api.call notes verb=POST {
      api_group = "app"
      input = {text: "buy milk"}
      headers = ["Authorization: Bearer " ~ $login.authToken]
    } as $note
    expect.to_equal ($note.text) { value = "buy milk" }
  }
}

workflow_test "prune_notes deletes only old notes" {
  stack {
    api.call "auth/signup" verb=POST {
      api_group = "app"
      input = {name: "Bob", email: "bob@example.com", password: "long-enough-pw"}
    }
    db.get user {
      field_name = "email"
      field_value = "bob@example.com"
    } as $bob
    db.add note {
      data = {user_id: $bob.id, text: "ancient", created_at: 0}
    }
    db.add note {
      data = {user_id: $bob.id, text: "fresh"}
    }

    task.call prune_notes as $result
    expect.to_equal ($result.deleted) { value = 1 }

    db.query note {
      return = {type: "list"}
    } as $left
    expect.to_equal ($left|count) { value = 1 }
    expect.to_equal ($left.0.text) { value = "fresh" }
  }
}
