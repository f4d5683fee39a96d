query auth/login verb=POST {
  input {
    email email filters=trim|lower
    password password
  }
  stack {
    db.get "37" {
      field_name = "email"
      field_value = $input.email
    } as $user
    precondition ($user != null) {
      error_type = "accessdenied"
      error = "Invalid credentials"
    }
    security.check_password {
      text_password = $input.password
      hash_password = $user.password
    } as $ok
    precondition ($ok) {
      error_type = "accessdenied"
      error = "Invalid credentials"
    }
    security.create_auth_token {
      dbtable = "37"
      extras = {role: $user.role}
      expiration = 86400
      id = $user.id
    } as $token
    !debug.log { value = $token }
  }
  response = {authToken: $token, user: $user|unset:"password"}
}
