function "util/greet" {
  input {
    text name
  }
  stack {
    var $g { value = "hi " ~ $input.name }
  }
  response = $g
}
