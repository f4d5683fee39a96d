// Every chat message, so it outlives the connection that saw it.
table message {
  schema {
    int id
    timestamp created_at?=now
    text channel filters=trim
    text text
    text author filters=trim
  }
  index = [
    {type: "primary", field: [{name: "id"}]}
    {type: "btree", field: [{name: "channel"}, {name: "created_at", op: "desc"}]}
  ]
}
