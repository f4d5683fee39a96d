// Every change to an item is audited in the same transaction; a name of "forbidden" fails
// the trigger, which rolls the whole change back.
table_trigger item_audit {
  table = "item"
  actions = {insert: true, update: true, delete: true}
  stack {
    precondition ($input.new.name != "forbidden") {
      error_type = "inputerror"
      error = "That name is not allowed."
    }
    db.add audit {
      data = {item_id: ($input.new.id ?? $input.old.id), action: $input.action}
    }
  }
}
