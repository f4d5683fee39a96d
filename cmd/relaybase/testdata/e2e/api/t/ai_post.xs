// Valid XanoScript that relaybase does not run: served as 501 naming the construct.
query ai verb=POST {
  input {}
  stack {
    api.request {
      url = "https://example.com"
      method = "GET"
    } as $r
  }
  response = $r
}
