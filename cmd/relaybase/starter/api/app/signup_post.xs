query "auth/signup" verb=POST {
  api_group = "app"
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

  test "signs up a new user" {
    input = {name: "Ann", email: "Ann@Example.com", password: "long-enough-pw"}
    expect.to_not_be_null ($response.authToken)
  }

  test "refuses a short password" {
    input = {name: "Ann", email: "ann@example.com", password: "short"}
    expect.to_throw
  }
}
