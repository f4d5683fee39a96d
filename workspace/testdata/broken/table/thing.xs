table thing {
  schema {
    int id
    text name
    text name
    enum kind
  }
}
