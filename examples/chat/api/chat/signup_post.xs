query "auth/signup" verb=POST {
  api_group = "chat"
  input {
    text name filters=trim|min:1|max:40
    email email filters=trim|lower
    text password filters=min:8
  }
  stack {
    db.get user {
      field_name = "email"
      field_value = $input.email
    } as $existing

    precondition ($existing == null) {
      error_type = "accessdenied"
      error = "This email is already in use."
    }

    db.add user {
      data = {name: $input.name, email: $input.email, password: $input.password}
    } as $user

    security.create_auth_token {
      table = "user"
      extras = {name: $user.name}
      expiration = 86400
      id = $user.id
    } as $authToken
  }
  response = {authToken: $authToken}
}
