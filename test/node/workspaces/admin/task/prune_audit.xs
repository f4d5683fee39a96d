// Every day at 04:00 UTC, delete the audit rows older than 90 days: a task for the console's
// Tasks view to show, with the runs `relaybase task run prune_audit` records.
task prune_audit {
  description = "Delete audit rows older than 90 days"
  stack {
    db.query audit {
      where = $db.audit.created_at < (now|add_secs_to_timestamp:-7776000)
    } as $old

    foreach ($old) {
      each as $a {
        db.del audit {
          field_name = "id"
          field_value = $a.id
        }
      }
    }
  }
  response = {deleted: $old|count}
  schedule = [{starts_on: 2025-01-01 04:00:00+0000, freq: 86400}]
}
