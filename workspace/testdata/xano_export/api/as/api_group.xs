// Xano's export of a group it named with a keyword.
api_group as {
  canonical = "Xk3mP9aB"
}
