// Benchmark members that connect with a token.
table member {
  auth = true
  schema {
    int id
    timestamp created_at?=now
    text name filters=trim
  }
}
