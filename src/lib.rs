//! terraform-provider-defender: a Terraform provider for Microsoft Defender multi-tenant
//! content distribution.
//!
//! - [`api`]: the HTTP client of the distribution API (no Terraform types).
//! - [`store`]: every read and write of a profile document goes through it (group commit,
//!   shared reads, coalesced syncs).
//! - [`provider`], [`resources`], [`data_sources`]: the Terraform side.

pub mod api;
pub mod data_sources;
pub mod diag;
pub mod logging;
pub mod provider;
pub mod resources;
pub mod schema;
pub mod store;
pub mod validate;
