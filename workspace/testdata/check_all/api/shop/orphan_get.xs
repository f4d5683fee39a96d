// Its group is missing, and its stack has a problem of its own.
query orphan verb=GET {
  api_group = "nowhere"
  stack {
    var $x {
      value = "A"|lowercase
    }
  }
  response = $x
}
