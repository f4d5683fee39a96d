table note {
  schema {
    int id
    timestamp created_at?=now
    int user_id { table = "user" }
    text text filters=trim
  }
  index = [
    {type: "primary", field: [{name: "id"}]}
    {type: "btree", field: [{name: "user_id"}]}
  ]
}
