// api.request to a URL the client names: the outbound policy decides what it may reach.
query fetch verb=POST {
  input {
    text url
  }
  stack {
    api.request {
      url = $input.url
      method = "POST"
      params = {hello: "world"}
      headers = ["Content-Type: application/json", "X-Trace: e2e"]
      timeout = 5
    } as $api
  }
  response = {status: $api.response.status, result: $api.response.result}
}
