variable "profile_id" {
  type        = string
  description = "ID of the distribution profile to report on."
}

data "defender_distribution_status" "baseline" {
  profile_id = var.profile_id

  # Poll until no copy is pending or in progress; fail after 15 minutes.
  wait    = true
  timeout = "15m"
}

# not_synced, in_progress, success, partially_successful or failure.
output "status" {
  value = data.defender_distribution_status.baseline.status
}

# Every copy that failed, with the reason.
output "failed_copies" {
  value = flatten([
    for item in data.defender_distribution_status.baseline.content : [
      for copy in item.copies : {
        content    = item.name
        tenant_id  = copy.tenant_id
        error_type = copy.error_type
      } if copy.status == "failed"
    ]
  ])
}
