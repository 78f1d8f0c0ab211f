resource "defender_distribution_profile" "baseline" {
  name = "Endpoint policies for managed customers"
}

# Fabrikam receives every content item of the profile.
resource "defender_profile_target_tenant" "fabrikam" {
  profile_id = defender_distribution_profile.baseline.id
  tenant_id  = "c0000000-0000-4000-8000-000000000001"

  # Endpoint security policies are assigned to these Entra groups of Fabrikam (object IDs).
  entra_group_ids = ["e0000001-0000-4000-8000-000000000001"]

  # Custom detection rules run on these Defender device groups of Fabrikam (names).
  device_groups = ["Tier0-Servers", "Workstations"]
}

# Further per-tenant variables travel to the target as given.
resource "defender_profile_target_tenant" "northwind" {
  profile_id    = defender_distribution_profile.baseline.id
  tenant_id     = "c0000000-0000-4000-8000-000000000002"
  device_groups = ["Workstations"]

  variables = {
    Region = ["westeurope"]
  }
}
