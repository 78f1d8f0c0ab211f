//! terraform-provider-defender: a Terraform provider for Microsoft Defender multi-tenant
//! content distribution.
//!
//! - [`api`]: the HTTP client of the distribution API (no Terraform types).

pub mod api;
pub mod store;
