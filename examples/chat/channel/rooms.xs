// One channel per room: rooms/marvel, rooms/dc, ... Signed-in people (guests included)
// talk; anyone may listen. Joiners see the last 50 messages; a client that acks what it
// read gets what it missed replayed when it comes back.
channel "rooms/{room}" {
  realtime_server = "chat_rt"
  access = {anonymous: true, presence: true}
  publish = {who: "authenticated", direct: false}
  conversation = {enabled: true, limit: 50}
  delivery = {guarantee: "at_least_once"}
  rate_limit = {messages_per_minute: 120}
  input {
    text room
  }
}
