// realtime.publish and nothing else: what fanout --protocol current publishes through.
query publish verb=POST {
  api_group = "bench"
  input {
    text channel filters=trim|min:1|max:256
    json data
  }
  stack {
    realtime.publish {
      realtime_server = "bench_rt"
      channel = $input.channel
      message = "bench"
      data = $input.data
    }
  }
  response = {ok: true}
}
