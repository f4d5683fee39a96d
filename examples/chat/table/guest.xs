// Guests pick a name and chat without an account; their token carries the name.
table guest {
  auth = true
  schema {
    int id
    timestamp created_at?=now
    text name filters=trim
  }
}
