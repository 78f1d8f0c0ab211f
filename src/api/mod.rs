//! Client of the multi-tenant distribution API. No Terraform types in here.

mod auth;
mod client;
mod error;
mod retry;
pub mod types;

pub use auth::{Credentials, Secret};
pub use client::{Client, ClientConfig};
pub use error::ApiError;
pub use retry::RetryPolicy;
