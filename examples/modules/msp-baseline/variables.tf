variable "name" {
  type        = string
  description = "Name of the distribution profile, unique among the home tenant's profiles (1–256 characters)."

  validation {
    condition     = length(var.name) >= 1 && length(var.name) <= 256
    error_message = "The profile name must be 1 to 256 characters long."
  }
}

variable "description" {
  type        = string
  description = "Description of the distribution profile (at most 1,024 characters)."
  default     = null

  validation {
    condition     = var.description == null ? true : length(var.description) <= 1024
    error_message = "The profile description must be at most 1,024 characters long."
  }
}

variable "content" {
  type = list(object({
    content_id   = string
    content_type = string
    name         = optional(string)
  }))
  description = <<-EOT
    Content of the home tenant to distribute. content_id is the item's ID in the home tenant;
    content_type is one of custom_detection_rule, endpoint_security_policy, analytics_rule,
    automation_rule, workbook; name is optional (the API's name is used when it is left out).
  EOT
  default     = []

  validation {
    condition = alltrue([
      for c in var.content : contains(
        ["custom_detection_rule", "endpoint_security_policy", "analytics_rule", "automation_rule", "workbook"],
        c.content_type,
      )
    ])
    error_message = "content_type must be one of custom_detection_rule, endpoint_security_policy, analytics_rule, automation_rule, workbook."
  }

  validation {
    condition     = length(distinct([for c in var.content : c.content_id])) == length(var.content)
    error_message = "Each content_id may appear only once."
  }
}

variable "targets" {
  type = map(object({
    entra_group_ids = optional(set(string), [])
    device_groups   = optional(set(string), [])
    variables       = optional(map(list(string)), {})
  }))
  description = <<-EOT
    Target tenants by tenant ID (GUID), each with its scope: entra_group_ids are object IDs of
    Entra groups in that tenant (endpoint security policies are assigned to them),
    device_groups are names of Defender device groups in that tenant (custom detection rules
    run on them), variables are any further per-tenant variables.
  EOT
  default     = {}

  validation {
    condition = alltrue([
      for id in keys(var.targets) :
      can(regex("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$", id))
    ])
    error_message = "Every key of targets must be a tenant ID (a GUID)."
  }
}

variable "wait_for_sync" {
  type        = bool
  description = "Wait until the profile's sync has finished before reading its status (the outputs then show final results)."
  default     = true
}

variable "sync_timeout" {
  type        = string
  description = "How long to wait for the sync when wait_for_sync is true, as a duration (\"30s\", \"15m\")."
  default     = "15m"
}

variable "sync_trigger" {
  type        = string
  description = "Change this value to sync the whole profile again on the next apply (needed to sync at all when the provider has auto_sync = false)."
  default     = null
}
