query "items/{id}" verb=PATCH {
  input {
    int id
    text name?
    int qty?
  }
  stack {
    var $changes { value = {} }
    conditional {
      if ($input.name != null) {
        var.update $changes { value = $changes|set:"name":$input.name }
      }
      elseif ($input.qty == null) {
        throw {
          name = "NothingToDo"
          value = "Give a name or a qty."
        }
      }
    }
    conditional {
      if ($input.qty != null) {
        var.update $changes { value = $changes|set:"qty":$input.qty }
      }
    }
    db.patch item {
      field_name = "id"
      field_value = $input.id
      data = $changes
    } as $item
  }
  response = $item
}
