// Fire one realtime event and nothing else: no table, no history. The fan-out scenarios
// publish through here, so what they measure is the server's fan-out, not a database.
query event verb=POST {
  api_group = "bench"
  input {
    text channel filters=trim|min:1|max:256
    json data
  }
  stack {
    api.realtime_event {
      channel = $input.channel
      data = $input.data
    }
  }
  response = {ok: true}
}
