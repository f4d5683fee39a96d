// bench/<name> on the current realtime: anyone may join, no presence, no conversation;
// at least once, so every publish is stored in the stream with its id and members can ack.
channel "bench/{name}" {
  realtime_server = "bench_rt"
  access = {anonymous: true, presence: false}
  delivery = {guarantee: "at_least_once"}
  input {
    text name
  }
}
