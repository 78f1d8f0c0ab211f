//! The `terraform-provider-defender` plugin binary.

fn main() {}
