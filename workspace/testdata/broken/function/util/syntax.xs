function "util/bad" {
  stack {
    var $x { value = (1 + }
  }
}
