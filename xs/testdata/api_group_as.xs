// An API group Xano itself named with a keyword, exported as it writes it.
api_group as {
  canonical = "aB3xYz9q"
  tags = ["auth"]
}
