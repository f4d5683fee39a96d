function total {
  input {
    decimal[] prices
  }
  stack {
    var $sum { value = 0 }
    foreach ($input.prices) {
      each as $p {
        math.add $sum { value = $p }
      }
    }
  }
  response = $sum
}
