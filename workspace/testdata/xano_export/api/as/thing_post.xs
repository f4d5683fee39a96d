query thing verb=POST {
  api_group = "as"
  auth = "none"

  input {
    text name
  }

  stack {
    db.add thing {
      data = {name: $input.name}
    } as $thing
  }

  response = $thing
}
