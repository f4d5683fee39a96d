// locked/no refuses every join by answering false; in the other locked/* channels a message
// whose payload says "shout" is dropped by a failed precondition.
realtime_trigger locked_gate {
  channel = "locked/*"
  actions = {join: true, message: true}
  stack {
    conditional {
      if ($input.action == "message") {
        precondition ($input.payload != "shout") {
          error_type = "accessdenied"
          error = "No shouting here."
        }
      }
    }
  }
  response = $input.channel != "locked/no"
}
