// A guest picks a name; the token carries it so presence shows who is online.
query "auth/guest" verb=POST {
  api_group = "chat"
  input {
    text name filters=trim|min:1|max:40
  }
  stack {
    db.add guest {
      data = {name: $input.name}
    } as $guest

    security.create_auth_token {
      table = "guest"
      extras = {name: $guest.name}
      expiration = 604800
      id = $guest.id
    } as $authToken
  }
  response = {authToken: $authToken}
}
