query "auth/login" verb=POST {
  api_group = "chat"
  input {
    email email filters=trim|lower
    text password
  }
  stack {
    db.get user {
      field_name = "email"
      field_value = $input.email
    } as $user

    precondition ($user != null) {
      error_type = "accessdenied"
      error = "Invalid credentials."
    }

    security.check_password {
      text_password = $input.password
      hash_password = $user.password
    } as $ok

    precondition ($ok) {
      error_type = "accessdenied"
      error = "Invalid credentials."
    }

    security.create_auth_token {
      table = "user"
      extras = {name: $user.name}
      expiration = 86400
      id = $user.id
    } as $authToken
  }
  response = {authToken: $authToken}
}
