api_group shop {
  canonical = "shop"
}
