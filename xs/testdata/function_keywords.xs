// Keywords used as names, and filters after a statement's result variable.
function "as/in" {
  input {
    text as
    int? if?
    json not?
  }

  stack {
    var $rows {
      value = [{as: 1, in: true}, {as: 2, in: false}]
    }

    array.find_index ($rows) if ($this.as == $input.if) as $x2|add:1

    db.get as {
      field_name = "id"
      field_value = $x2
    } as $row|get:"not":null

    function.run as as $nested|first_notnull:0
  }

  response = {index: $x2, row: $row, nested: $nested, in: $rows|map:$$.in}
}
