table "order" {
  schema {
    int id
    int customer_id { table = "customer" }
    decimal total
    bool paid?=false
  }
}
