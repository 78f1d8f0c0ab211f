# A distribution profile is imported by its ID (the assignment ID).
terraform import defender_distribution_profile.baseline 9b2d4c1e-5f6a-4b7c-8d9e-0a1b2c3d4e5f
