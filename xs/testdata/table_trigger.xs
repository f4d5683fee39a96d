table_trigger "audit_user_changes" {
  table = "user"
  actions = {insert: true, update: true, delete: true, truncate: false}
  active = true
  datasources = ["live"]
  input {
    json new
    json old
    enum action {
      values = ["insert", "update", "delete", "truncate"]
    }
    text datasource
  }
  stack {
    try_catch {
      try {
        db.add audit_log {
          data = {
            action: $input.action,
            new_data: $input.new,
            old_data: $input.old,
            at: now
          }
        }
      }
      catch {
        debug.log { value = "audit failed: " ~ $error.message }
      }
      finally {
        debug.log { value = "done" }
      }
    }
  }
  history = 100
}
