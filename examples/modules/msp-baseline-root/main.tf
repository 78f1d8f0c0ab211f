# An MSP's root configuration: one baseline profile for the managed customers.
# The tenant, group and content IDs are those of the defender-emulator demo world;
# replace them with your own.
terraform {
  required_version = ">= 1.3"

  required_providers {
    defender = {
      source = "defender/defender"
    }
  }
}

# Credentials and endpoint come from DEFENDER_* environment variables.
provider "defender" {}

module "baseline" {
  source = "../msp-baseline"

  name        = "Contoso MSP baseline"
  description = "Standard detections and endpoint security policies for every managed customer."

  content = [
    { content_id = "1001", content_type = "custom_detection_rule" },
    { content_id = "1002", content_type = "custom_detection_rule" },
    { content_id = "5ec00000-0000-4000-8000-000000000001", content_type = "endpoint_security_policy", name = "Antivirus baseline (MSP standard)" },
    { content_id = "5ec00000-0000-4000-8000-000000000002", content_type = "endpoint_security_policy" },
  ]

  targets = {
    # Fabrikam, Inc.
    "c0000000-0000-4000-8000-000000000001" = {
      entra_group_ids = ["e0000001-0000-4000-8000-000000000001", "e0000001-0000-4000-8000-000000000003"]
      device_groups   = ["Tier0-Servers", "Workstations"]
    }
    # Northwind Traders
    "c0000000-0000-4000-8000-000000000002" = {
      entra_group_ids = ["e0000002-0000-4000-8000-000000000001"]
      device_groups   = ["Workstations"]
    }
    # Tailspin Toys: detection rules only on its point-of-sale devices.
    "c0000000-0000-4000-8000-000000000003" = {
      device_groups = ["Store-POS"]
    }
  }

  wait_for_sync = true
  sync_timeout  = "5m"
}

output "profile_id" {
  value = module.baseline.profile_id
}

output "status" {
  value = module.baseline.status
}

output "counts" {
  value = module.baseline.counts
}

output "copies" {
  value = module.baseline.copies
}

output "failed_copies" {
  value = module.baseline.failed_copies
}
