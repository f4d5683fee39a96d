query items verb=POST {
  input {
    text name filters=trim|min:1
    int qty?=1 filters=min:0
    decimal price?=0
    json meta?
    text[] tags?
  }
  stack {
    db.add item {
      data = {name: $input.name, qty: $input.qty, price: $input.price, meta: $input.meta, tags: $input.tags}
    } as $item
    api.realtime_event {
      channel = "items"
      data = $item
    }
  }
  response = $item
}
