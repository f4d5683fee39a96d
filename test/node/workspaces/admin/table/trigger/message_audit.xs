// Audits every change to a message in the same transaction; "forbidden" as a text fails
// the trigger, which rolls the whole write back.
table_trigger message_audit {
  table = "message"
  actions = {insert: true, update: true, delete: true}
  stack {
    precondition ($input.new.text != "forbidden") {
      error_type = "inputerror"
      error = "That text is not allowed."
    }
    db.add audit {
      data = {message_id: ($input.new.id ?? $input.old.id), action: $input.action}
    }
  }
}
