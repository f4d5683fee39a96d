// Its table is missing, and its stack has problems of its own.
table_trigger ghost {
  table = "ghost"
  stack {
    db.get "" {
      field_name = "id"
      field_value = "1,2"|csv_parse
    } as $row
  }
}
