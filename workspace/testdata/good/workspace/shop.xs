// a workspace file that starts with a comment
workspace shop {
  env = {GREETING: "hi", LIMIT: 10}
  realtime = {canonical: "shop-rt"}
}
