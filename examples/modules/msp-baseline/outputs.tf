output "profile_id" {
  description = "ID of the distribution profile."
  value       = defender_distribution_profile.this.id
}

output "status" {
  description = "Overall sync status: not_synced, in_progress, success, partially_successful or failure."
  value       = data.defender_distribution_status.this.status
}

output "counts" {
  description = "Target tenants and content items of the profile, and its sync units (content item × tenant) by outcome."
  value = {
    tenants   = data.defender_distribution_status.this.tenant_count
    content   = data.defender_distribution_status.this.content_count
    succeeded = data.defender_distribution_status.this.succeeded_count
    failed    = data.defender_distribution_status.this.failed_count
    pending   = data.defender_distribution_status.this.pending_count
  }
}

output "copies" {
  description = "Per content ID: its name, rolled-up status, and its copy in each target tenant (tenant ID → target content ID, status, error type)."
  value = {
    for item in data.defender_distribution_status.this.content : item.content_id => {
      name   = item.name
      status = item.status
      copies = {
        for copy in item.copies : copy.tenant_id => {
          target_content_id = copy.target_content_id
          status            = copy.status
          error_type        = copy.error_type
          last_synced_on    = copy.last_synced_on
        }
      }
    }
  }
}

output "failed_copies" {
  description = "Copies whose last sync failed, with the reason (error_type), for alerting."
  value = flatten([
    for item in data.defender_distribution_status.this.content : [
      for copy in item.copies : {
        content_id = item.content_id
        name       = item.name
        tenant_id  = copy.tenant_id
        error_type = copy.error_type
      } if copy.status == "failed"
    ]
  ])
}
