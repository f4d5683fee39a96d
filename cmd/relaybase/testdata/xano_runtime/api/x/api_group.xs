// Every query of the group gets the stamp, unless it names its own middleware.
api_group x {
  canonical = "x"
  middleware = {post: [{name: "stamp"}]}
}
