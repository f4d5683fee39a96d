// What happened to which message: written by the message_audit trigger.
table audit {
  schema {
    int id
    timestamp created_at?=now
    int message_id
    text action
  }
}
