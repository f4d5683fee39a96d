query "auth/me" verb=GET {
  api_group = "app"
  auth = "user"
  input {}
  stack {
    db.get user {
      field_name = "id"
      field_value = $auth.id
    } as $user
  }
  response = $user
}
