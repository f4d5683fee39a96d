api_group Shop {
  canonical = "shop"
}
