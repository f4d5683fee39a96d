query "orders/{id}" verb=GET {
  auth = "37"
  input {
    int id
  }
  stack {
    db.get "order" {
      field_name = "id"
      field_value = $input.id
    } as $order
  }
  response = $order
}
