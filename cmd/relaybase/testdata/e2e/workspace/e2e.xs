workspace e2e {
  env = {GREETING: "hello from the workspace", LIMIT: 3}
  realtime = {canonical: "e2e-rt"}
}
