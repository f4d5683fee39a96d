// The auth table: users log in with email and password.
table user {
  auth = true
  guid = "tgGYuUFKbBz4_6DIkDR5hUUCRno"
  schema {
    int id
    timestamp created_at?=now
    text name filters=trim {
      description = "Display name"
    }
    email email filters=trim|lower {
      sensitive = true
    }
    password password filters=min:8|minDigit:1 {
      sensitive = true
    }
    enum role?="user" {
      values = ["user", "admin"]
    }
    text country?=US
    text[] tags filters=trim|lower
    int? manager_id? { table = "user" }
    object[1:] addresses {
      schema {
        text street
        text? zip? filters=pattern:^\d{5}(-\d{4})?$
      }
    }
    json settings?={}
    bool is_active?=true
  }
  index = [
    {type: "primary", field: [{name: "id"}]}
    {type: "btree|unique", field: [{name: "email", op: "asc"}]}
    {type: "btree", field: [{name: "created_at", op: "desc"}]}
  ]
  tags = ["auth", "core"]
}
