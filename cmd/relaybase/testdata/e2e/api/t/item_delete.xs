query "items/{id}" verb=DELETE {
  input {
    int id
  }
  stack {
    db.del item {
      field_name = "id"
      field_value = $input.id
    }
  }
  response = {deleted: $input.id}
}
