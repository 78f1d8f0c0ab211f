resource "defender_distribution_profile" "baseline" {
  name        = "MSP security baseline"
  description = "Detection rules and endpoint security policies every managed customer receives."

  # Optional. Change the value to sync the whole profile again on the next apply,
  # for example after fixing permissions in a target tenant. Required for syncing
  # at all when the provider runs with auto_sync = false.
  sync_trigger = "2025-08-01"
}
