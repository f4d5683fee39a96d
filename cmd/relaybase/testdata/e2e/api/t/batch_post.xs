// Adds every name in one transaction; one bad name rolls all of them back and no event is
// sent for any.
query batch verb=POST {
  input {
    text[] names
  }
  stack {
    db.transaction {
      stack {
        foreach ($input.names) {
          each as $n {
            db.add item {
              data = {name: $n}
            } as $added
            api.realtime_event {
              channel = "items"
              data = $added
            }
          }
        }
      }
    }
  }
  response = {added: $input.names|count}
}
