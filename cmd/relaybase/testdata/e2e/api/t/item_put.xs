query "items/{id}" verb=PUT {
  input {
    int id
    text name
    int qty
  }
  stack {
    db.edit item {
      field_name = "id"
      field_value = $input.id
      data = {name: $input.name, qty: $input.qty}
    } as $item
  }
  response = $item
}
