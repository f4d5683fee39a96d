api_group t {
  canonical = "t"
}
