middleware stamp {
  exception_policy = "silent"
  response_strategy = "merge"
  input {
    json vars
    enum type {
      values = ["pre", "post"]
    }
  }
  stack {
  }
  response = {served_by: "relaybase", phase: $input.type}
}
