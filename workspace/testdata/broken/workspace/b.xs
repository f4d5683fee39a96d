workspace b {
  realtime = {canonical: "has spaces"}
}
