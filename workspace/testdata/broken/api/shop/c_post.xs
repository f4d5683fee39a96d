query "c" verb=POST {
  api_group = "nope"
  stack {}
  response = 1
}
