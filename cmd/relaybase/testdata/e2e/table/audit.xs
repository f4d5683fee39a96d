table audit {
  schema {
    int id
    int item_id
    text action
  }
}
