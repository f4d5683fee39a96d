// A guest token, as in the chat example: the connect scenario calls it once to learn the
// member table's id (its dbo_id), then mints its own tokens with the server's key.
query "auth/guest" verb=POST {
  api_group = "bench"
  input {
    text name filters=trim|min:1|max:40
  }
  stack {
    db.add member {
      data = {name: $input.name}
    } as $member

    security.create_auth_token {
      table = "member"
      extras = {name: $member.name}
      expiration = 3600
      id = $member.id
    } as $authToken
  }
  response = {authToken: $authToken}
}
