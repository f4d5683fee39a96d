query items verb=GET {
  input {
    text name?
    int min_qty?
    int page?=1
    int per_page?=2
    text kind?="list"
  }
  stack {
    switch ($input.kind) {
      case ("count") {
        db.query item {
          where = $db.item.name ==? $input.name && $db.item.qty >=? $input.min_qty
          return = {type: "count"}
        } as $result
      } break
      case ("exists") {
        db.query item {
          where = $db.item.name ==? $input.name
          return = {type: "exists"}
        } as $result
      } break
      case ("single") {
        db.query item {
          where = $db.item.name ==? $input.name
          return = {type: "single"}
        } as $result
      } break
      default {
        db.query item {
          where = $db.item.name ==? $input.name && $db.item.qty >=? $input.min_qty
          sort = {qty: "desc", id: "asc"}
          return = {type: "list", paging: {page: $input.page, per_page: $input.per_page, totals: true}}
        } as $result
      }
    }
  }
  response = $result
}
