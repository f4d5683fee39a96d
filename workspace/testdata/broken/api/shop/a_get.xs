query "user/{id}" verb=GET {
  input {}
  stack {}
  response = 1
}
