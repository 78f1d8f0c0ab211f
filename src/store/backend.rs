//! What the store needs from the API, so tests can put an in-memory fake behind it.

use crate::api::types::{Assignment, SyncAccepted};
use crate::api::{ApiError, Client};

/// The three assignment calls the store makes. [`Client`] implements it; tests use a fake.
#[async_trait::async_trait]
pub trait AssignmentBackend: Send + Sync + 'static {
    /// `GET /mtoapi/assignments/{id}`; a missing profile is an error with `is_not_found()`.
    async fn get(&self, id: &str) -> Result<Assignment, ApiError>;
    /// `PUT /mtoapi/assignments/{id}` with `If-Match: e_tag`; stale → `is_precondition_failed()`,
    /// answer lost after sending → `is_ambiguous()`.
    async fn put(&self, id: &str, e_tag: &str, doc: &Assignment) -> Result<Assignment, ApiError>;
    /// `POST /mtoapi/assignments/{id}/sync` for all target tenants.
    async fn sync(&self, id: &str) -> Result<SyncAccepted, ApiError>;
}

#[async_trait::async_trait]
impl AssignmentBackend for Client {
    async fn get(&self, id: &str) -> Result<Assignment, ApiError> {
        self.get_assignment(id).await
    }

    async fn put(&self, id: &str, e_tag: &str, doc: &Assignment) -> Result<Assignment, ApiError> {
        self.put_assignment(id, e_tag, doc).await
    }

    async fn sync(&self, id: &str) -> Result<SyncAccepted, ApiError> {
        self.sync_assignment(id, None).await
    }
}

/// A copy of `e` for the second and later waiters of a shared request (`ApiError` is not
/// `Clone`). Every field of the variants the client produces is kept; anything else keeps its
/// message.
pub(crate) fn clone_api_error(e: &ApiError) -> ApiError {
    match e {
        ApiError::Api {
            operation,
            status,
            code,
            message,
            request_id,
        } => ApiError::Api {
            operation: operation.clone(),
            status: *status,
            code: code.clone(),
            message: message.clone(),
            request_id: request_id.clone(),
        },
        ApiError::Auth {
            url,
            status,
            error,
            description,
        } => ApiError::Auth {
            url: url.clone(),
            status: *status,
            error: error.clone(),
            description: description.clone(),
        },
        ApiError::Transport {
            operation,
            message,
            ambiguous,
        } => ApiError::Transport {
            operation: operation.clone(),
            message: message.clone(),
            ambiguous: *ambiguous,
        },
        ApiError::Decode {
            operation,
            status,
            detail,
            request_id,
        } => ApiError::Decode {
            operation: operation.clone(),
            status: *status,
            detail: detail.clone(),
            request_id: request_id.clone(),
        },
        other => ApiError::Config(other.to_string()),
    }
}

/// The error a caller gets if the store's background task for its profile ended without
/// answering (it cannot happen short of a bug; the outcome of a write is then unknown).
pub(crate) fn store_stopped(operation: String) -> ApiError {
    ApiError::Transport {
        operation,
        message: "the provider's profile store stopped before the request finished; \
                  its outcome is unknown"
            .into(),
        ambiguous: true,
    }
}
