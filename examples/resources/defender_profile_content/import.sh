# Content of a profile is imported by <profile_id>/<content_id>.
terraform import defender_profile_content.antivirus 9b2d4c1e-5f6a-4b7c-8d9e-0a1b2c3d4e5f/5ec00000-0000-4000-8000-000000000001
