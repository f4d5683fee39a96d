query errors verb=GET {
  input {
    text kind
  }
  stack {
    try_catch {
      try {
        conditional {
          if ($input.kind == "caught") {
            throw {
              name = "Oops"
              value = "caught me"
            }
          }
        }
      }
      catch {
        return {
          value = {caught: true}
        }
      }
    }
    precondition ($input.kind != "input") {
      error_type = "inputerror"
      error = "bad input"
    }
    precondition ($input.kind != "denied") {
      error_type = "accessdenied"
      error = "denied"
    }
    precondition ($input.kind != "missing") {
      error_type = "notfound"
      error = "missing"
    }
    precondition ($input.kind != "unauth") {
      error_type = "unauthorized"
      error = "who are you"
    }
    conditional {
      if ($input.kind == "throw") {
        throw {
          name = "Boom"
          value = "it broke"
        }
      }
      elseif ($input.kind == "math") {
        var $x { value = 1 / 0 }
      }
    }
  }
  response = {ok: true}
}
