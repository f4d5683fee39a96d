query compute verb=GET {
  input {
    int n?=5
  }
  stack {
    var $squares { value = [] }
    for ($input.n) {
      each as $i {
        conditional {
          if ($i == 1) {
            continue
          }
        }
        array.push $squares { value = $i * $i }
      }
    }
    var $count { value = 0 }
    while ($count < 100) {
      each {
        math.add $count { value = 7 }
        conditional {
          if ($count > 20) {
            break
          }
        }
      }
    }
    var $greeting { value = "hi" }
    text.append $greeting { value = "!" }
    text.prepend $greeting { value = "well, " }
    function.run total {
      input = {prices: [1.5, 2.5, 3]}
    } as $total
    group {
      stack {
        var $label { value = ($greeting|to_upper) ~ " " ~ $env.GREETING }
      }
    }
    security.create_uuid as $uuid
    security.random_number {
      min = 1
      max = 6
    } as $die
    math.mul $count { value = 2 }
    math.sub $count { value = 1 }
    math.div $count { value = 2 }
    debug.log { value = $squares }
    util.get_raw_input as $raw
  }
  response = {
    squares: $squares
    count: $count
    greeting: $greeting
    total: $total
    label: $label
    uuid_ok: ($uuid|strlen) == 36
    die_ok: $die >= 1 && $die <= 6
    limit: $env.LIMIT
    method: $env.$request_method
    raw: $raw
    names: [{n: "a"}, {n: "b"}]|map:$$.n
  }
}
