resource "defender_distribution_profile" "this" {
  name         = var.name
  description  = var.description
  sync_trigger = var.sync_trigger
}

resource "defender_profile_content" "this" {
  # Keyed by content ID, so reordering the list changes nothing.
  for_each = { for c in var.content : c.content_id => c }

  profile_id   = defender_distribution_profile.this.id
  content_id   = each.key
  content_type = each.value.content_type
  name         = each.value.name
}

resource "defender_profile_target_tenant" "this" {
  for_each = var.targets

  profile_id = defender_distribution_profile.this.id
  tenant_id  = each.key

  entra_group_ids = each.value.entra_group_ids
  device_groups   = each.value.device_groups
  variables       = each.value.variables
}

# Read after every content item and target is in place, so the status covers all of them.
data "defender_distribution_status" "this" {
  profile_id = defender_distribution_profile.this.id
  wait       = var.wait_for_sync
  timeout    = var.sync_timeout

  depends_on = [
    defender_profile_content.this,
    defender_profile_target_tenant.this,
  ]
}
