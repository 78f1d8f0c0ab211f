terraform {
  required_version = ">= 1.3"
  required_providers {
    defender = {
      source = "defender/defender"
    }
  }
}

# Every argument can also come from the environment, which keeps secrets out of files:
#   DEFENDER_TENANT_ID, DEFENDER_CLIENT_ID, DEFENDER_CLIENT_SECRET   client credentials
#   DEFENDER_ACCESS_TOKEN                                            or a token obtained elsewhere
#   DEFENDER_ENDPOINT, DEFENDER_AUTHORITY_HOST, DEFENDER_SCOPE       another API (e.g. the emulator)
#   DEFENDER_AUTO_SYNC, DEFENDER_MAX_RETRIES, DEFENDER_MAX_RETRY_WAIT
# A value set in this block wins over the environment.
provider "defender" {
  # The MSP's home tenant: the source of the distributed content.
  tenant_id     = var.home_tenant_id
  client_id     = var.client_id
  client_secret = var.client_secret

  # Sync a profile after its content or targets change (the default).
  auto_sync = true
}

variable "home_tenant_id" {
  type        = string
  description = "Directory (tenant) ID of the home tenant."
}

variable "client_id" {
  type        = string
  description = "Application (client) ID of the app registration."
}

variable "client_secret" {
  type        = string
  description = "Client secret of the app registration."
  sensitive   = true
}
