terraform {
  # optional() attributes with defaults need Terraform 1.3.
  required_version = ">= 1.3"

  required_providers {
    defender = {
      source = "defender/defender"
    }
  }
}
