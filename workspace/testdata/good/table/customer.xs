table customer {
  auth = true
  guid = "abc123"
  schema {
    int id
    text name filters=trim
    email email filters=trim|lower
    password password
    text country?=US
    enum tier?="free" { values = ["free", "pro"] }
    text[] tags?
    timestamp created_at?=now
  }
  index = [
    {type: "primary", field: [{name: "id"}]}
    {type: "btree|unique", field: [{name: "email"}]}
  ]
}
