//! Client of the multi-tenant distribution API. No Terraform types in here.
//!
//! - [`Client`]: the requests, with the token, retries and logging (target `defender::api`).
//! - [`types`]: the wire types.
//! - [`decode()`]: how answer bodies become values or [`ApiError`]s (never panics).

mod auth;
mod client;
pub mod decode;
mod error;
mod retry;
pub mod types;

pub use auth::{Credentials, Secret};
pub use client::{Client, ClientConfig};
pub use decode::{decode, error_from_answer};
pub use error::ApiError;
pub use retry::RetryPolicy;
