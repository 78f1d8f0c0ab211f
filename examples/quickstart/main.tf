# Quickstart: one distribution profile with two content items and two target tenants,
# applied against the project's emulator (scripts/quickstart.sh starts it and sets the
# DEFENDER_* environment variables). All IDs are the emulator's demo world.

terraform {
  required_version = ">= 1.5"
  required_providers {
    defender = { source = "defender/defender" }
  }
}

provider "defender" {}

resource "defender_distribution_profile" "baseline" {
  name        = "MSP baseline"
  description = "Detection rules and antivirus policy for every customer tenant"
}

# Content of the home tenant (Contoso MSP) to copy.
resource "defender_profile_content" "powershell_rule" {
  profile_id   = defender_distribution_profile.baseline.id
  content_id   = "1001" # Suspicious PowerShell download cradle
  content_type = "custom_detection_rule"
}

resource "defender_profile_content" "antivirus_policy" {
  profile_id   = defender_distribution_profile.baseline.id
  content_id   = "5ec00000-0000-4000-8000-000000000001" # Antivirus baseline (MSP standard)
  content_type = "endpoint_security_policy"
}

# Where it goes, each tenant with its own scope.
resource "defender_profile_target_tenant" "fabrikam" {
  profile_id      = defender_distribution_profile.baseline.id
  tenant_id       = "c0000000-0000-4000-8000-000000000001"   # Fabrikam, Inc.
  entra_group_ids = ["e0000001-0000-4000-8000-000000000001"] # SOC Analysts
  device_groups   = ["Tier0-Servers"]
}

resource "defender_profile_target_tenant" "northwind" {
  profile_id      = defender_distribution_profile.baseline.id
  tenant_id       = "c0000000-0000-4000-8000-000000000002"   # Northwind Traders
  entra_group_ids = ["e0000002-0000-4000-8000-000000000001"] # All Employees
  device_groups   = ["Workstations"]
}

# Wait for the sync that the changes above started, then report it.
data "defender_distribution_status" "baseline" {
  profile_id = defender_distribution_profile.baseline.id
  wait       = true
  timeout    = "2m"
  depends_on = [
    defender_profile_content.powershell_rule,
    defender_profile_content.antivirus_policy,
    defender_profile_target_tenant.fabrikam,
    defender_profile_target_tenant.northwind,
  ]
}

output "profile_id" {
  value = defender_distribution_profile.baseline.id
}

output "status" {
  value = data.defender_distribution_status.baseline.status
}

output "copies" {
  description = "Each original content item with its copy in every target tenant."
  value = {
    for item in data.defender_distribution_status.baseline.content :
    item.name => { for copy in item.copies : copy.tenant_id => "${copy.status} (${copy.target_content_id})" }
  }
}
