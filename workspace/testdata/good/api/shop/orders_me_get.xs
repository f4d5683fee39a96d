query "orders/mine/list" verb=GET {
  api_group = "Shop"
  auth = "customer"
  input {}
  stack {
  }
  response = null
}
