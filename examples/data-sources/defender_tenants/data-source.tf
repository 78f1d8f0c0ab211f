data "defender_tenants" "managed" {}

# Tenants content can be distributed to: those whose B2B/GDAP relationship still stands.
output "reachable_tenants" {
  value = {
    for t in data.defender_tenants.managed.tenants : t.name => t.tenant_id
    if !t.lost_access
  }
}

# Tenants whose relationship is gone; distribution to them fails with no_relationship.
output "lost_tenants" {
  value = [for t in data.defender_tenants.managed.tenants : t.name if t.lost_access]
}
