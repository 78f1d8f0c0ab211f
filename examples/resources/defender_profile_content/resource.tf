resource "defender_distribution_profile" "baseline" {
  name = "Ransomware detections"
}

# A custom detection rule of the home tenant, copied to every target tenant of the profile.
resource "defender_profile_content" "powershell_cradle" {
  profile_id   = defender_distribution_profile.baseline.id
  content_id   = "1001"
  content_type = "custom_detection_rule"
}

# An endpoint security policy; `name` is optional and defaults to the name the API reports.
resource "defender_profile_content" "antivirus" {
  profile_id   = defender_distribution_profile.baseline.id
  content_id   = "5ec00000-0000-4000-8000-000000000001"
  content_type = "endpoint_security_policy"
  name         = "Antivirus baseline (MSP standard)"
}
