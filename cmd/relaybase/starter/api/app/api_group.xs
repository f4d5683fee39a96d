api_group app {
  canonical = "app"
  description = "Sign-up, log-in and notes"
}
