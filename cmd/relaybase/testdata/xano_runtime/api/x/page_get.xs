// An HTML page with a cookie: util.set_header, and no middleware on this one.
query page verb=GET {
  input {
    text name?=world
  }
  stack {
    util.set_header {
      value = "Content-Type: text/html; charset=utf-8"
      duplicates = "replace"
    }
    util.set_header {
      value = "Set-Cookie: seen=1; HttpOnly"
      duplicates = "append"
    }
    util.set_header {
      value = "Set-Cookie: theme=dark"
      duplicates = "append"
    }
  }
  response = "<h1>Hello, " ~ $input.name ~ "</h1>"
  middleware = {}
}
