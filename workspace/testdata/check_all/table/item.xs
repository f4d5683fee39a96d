table item {
  schema {
    int id
    text name
  }
}
