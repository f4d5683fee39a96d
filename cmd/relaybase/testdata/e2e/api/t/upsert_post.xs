query upsert verb=POST {
  input {
    text name
    int qty
  }
  stack {
    db.add_or_edit item {
      field_name = "name"
      field_value = $input.name
      data = {name: $input.name, qty: $input.qty}
    } as $item
  }
  response = $item
}
