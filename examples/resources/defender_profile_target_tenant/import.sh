# A target tenant of a profile is imported by <profile_id>/<tenant_id>.
terraform import defender_profile_target_tenant.fabrikam 9b2d4c1e-5f6a-4b7c-8d9e-0a1b2c3d4e5f/c0000000-0000-4000-8000-000000000001
