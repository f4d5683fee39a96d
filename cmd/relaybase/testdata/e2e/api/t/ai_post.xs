// Valid XanoScript that relaybase does not run: served as 501 naming the construct.
query ai verb=POST {
  input {}
  stack {
    ai.agent.run "Support agent" {
      args = {}
    } as $r
  }
  response = $r
}
