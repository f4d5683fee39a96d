query "items/{id}" verb=GET {
  input {
    int id
  }
  stack {
    db.get item {
      field_name = "id"
      field_value = $input.id
    } as $item
    precondition ($item != null) {
      error_type = "notfound"
      error = "No such item."
    }
    db.has audit {
      field_name = "item_id"
      field_value = $input.id
    } as $audited
  }
  response = {item: $item, audited: $audited}
}
