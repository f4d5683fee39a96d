// Takes a while, so a test can stop relaybase while it runs; the log line says it began.
query slow verb=GET {
  input {}
  stack {
    debug.log { value = "slow request started" }
    util.sleep { value = 1 }
  }
  response = {finished: true}
}
