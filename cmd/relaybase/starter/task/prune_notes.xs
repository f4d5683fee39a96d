// Every day at 03:00 UTC, delete the notes older than a year. `relaybase task run
// prune_notes` runs it now; `relaybase task list` shows its schedule and last runs.
task prune_notes {
  description = "Delete notes older than a year"
  stack {
    db.query note {
      where = $db.note.created_at < (now|add_secs_to_timestamp:-31536000)
    } as $old

    foreach ($old) {
      each as $n {
        db.del note {
          field_name = "id"
          field_value = $n.id
        }
      }
    }
  }
  response = {deleted: $old|count}
  schedule = [{starts_on: 2025-01-01 03:00:00+0000, freq: 86400}]
}
