# Not part of the rendered example: lets `terraform validate` run in this folder.
terraform {
  required_providers {
    defender = {
      source = "defender/defender"
    }
  }
}
