table item {
  schema {
    int id
    text name filters=trim
    int qty?=0
    decimal price?=0
    bool active?=true
    json meta?
    text[] tags?
    timestamp created_at?=now
    text stamp?
  }
  index = [
    {type: "primary", field: [{name: "id"}]}
    {type: "btree|unique", field: [{name: "name"}]}
  ]
}
