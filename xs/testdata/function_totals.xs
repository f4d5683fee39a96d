/* Sums the prices of a cart.
   Block comments are allowed too. */
function "cart/totals" {
  description = "Totals of a cart"
  input {
    object[] items {
      schema {
        int id
        decimal price filters=min:0
        int qty?=1
      }
    }
    decimal? discount?=0.0
  }
  stack {
    var $total { value = 0 }
    foreach ($input.items) {
      each as $item {
        math.add $total { value = $item.price * $item.qty }
      }
    }
    for (3) {
      each as $i {
        debug.log { value = $i }
      }
    }
    var $n { value = 0 }
    while ($n < 3) {
      each {
        var.update $n { value = $n + 1 }
      }
    }
    switch ($input.discount) {
      case (0) {
        var $label { value = "none" }
      } break
      case (0.5) {
        var $label { value = "half" }
        break
      }
      default {
        var $label { value = "some" }
      }
    }
    group {
      stack {
        var $final { value = $total - ($total * ($input.discount ?? 0)) }
      }
    }
    db.transaction {
      stack {
        db.del cart { field_name = "id", field_value = 1 }
      }
    }
    function.run "cart/log" { input = {total: $final} } as $logged
    conditional {
      if ($final < 0) {
        throw {
          name = "NegativeTotal"
          value = "total below zero: " ~ $final
        }
      }
    }
  }
  response = $final
}
