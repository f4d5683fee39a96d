// Authentication endpoints.
api_group Authentication {
  canonical = "auth-abc"
  description = "Sign up and log in"
  swagger = {token: "cbO83nMTt7BVgq3QcQgKikDfHeo"}
  tags = ["auth"]
  history = 100
}
