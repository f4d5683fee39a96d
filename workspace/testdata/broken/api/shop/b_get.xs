query "user/me" verb=GET {
  auth = "thing"
  input {}
  stack {}
  response = 1
}
