//! The API client's error type.

use std::fmt;

/// What went wrong talking to the API or the authority.
///
/// `Display` is written for people: it names the operation, the HTTP status, the API's `code`,
/// `message` and `request-id` where there are any. It never contains a secret or a token.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The API answered with a non-2xx status.
    #[error(
        "{operation}: HTTP {status}, code {code}: {message}{}",
        RequestIdSuffix(request_id)
    )]
    Api {
        operation: String,
        status: u16,
        code: String,
        message: String,
        request_id: Option<String>,
    },
    /// The authority refused to issue a token.
    #[error("getting a token from {url}: HTTP {status}, {error}: {description}")]
    Auth {
        url: String,
        status: u16,
        error: String,
        description: String,
    },
    /// The request never got a complete answer (connection refused, reset, timed out).
    #[error("{operation}: {message}")]
    Transport {
        operation: String,
        message: String,
        /// The request may have reached the server and been carried out.
        ambiguous: bool,
    },
    /// The answer could not be decoded.
    #[error(
        "{operation}: HTTP {status}, the answer is not the expected JSON ({detail}){}",
        RequestIdSuffix(request_id)
    )]
    Decode {
        operation: String,
        status: u16,
        detail: String,
        request_id: Option<String>,
    },
    /// The client is misconfigured (bad URL, …).
    #[error("{0}")]
    Config(String),
}

struct RequestIdSuffix<'a>(&'a Option<String>);

impl fmt::Display for RequestIdSuffix<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(id) => write!(f, " (request-id {id})"),
            None => Ok(()),
        }
    }
}

impl ApiError {
    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api { status, .. } | Self::Auth { status, .. } | Self::Decode { status, .. } => {
                Some(*status)
            }
            Self::Transport { .. } | Self::Config(_) => None,
        }
    }

    /// The API's error code, when the server sent one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Api { code, .. } => Some(code),
            Self::Auth { error, .. } => Some(error),
            _ => None,
        }
    }

    /// The `request-id` of the failed answer, when there was one.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Self::Api { request_id, .. } | Self::Decode { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    pub fn is_conflict(&self) -> bool {
        self.status() == Some(409)
    }

    pub fn is_precondition_failed(&self) -> bool {
        self.status() == Some(412)
    }

    /// The request may or may not have been carried out (answer lost after it was sent).
    pub fn is_ambiguous(&self) -> bool {
        matches!(
            self,
            Self::Transport {
                ambiguous: true,
                ..
            }
        ) || matches!(self, Self::Decode { status, .. } if (200..300).contains(status))
            || matches!(self.status(), Some(502 | 504))
    }

    /// What the user can do about it, for diagnostics.
    pub fn hint(&self) -> &'static str {
        match self {
            Self::Auth { .. } => "Check tenant_id, client_id and client_secret (or DEFENDER_* environment variables) and that the app registration has a valid secret.",
            Self::Api { status: 401, .. } => "The token was refused: check that the app registration has access to the multi-tenant portal API and the right scope.",
            Self::Api { status: 403, .. } => "The caller lacks permission: it needs Security settings (manage) to distribute content and Security Data Basic (read) to view it, by Azure B2B or GDAP in every tenant involved.",
            Self::Api { status: 404, .. } => "The object no longer exists; it may have been deleted outside Terraform.",
            Self::Api { status: 409, .. } => "Another object already uses this name or entry; choose another, or import the existing one.",
            Self::Api { status: 412, .. } => "Another writer kept changing the profile; run the apply again.",
            Self::Api { status: 429 | 503, .. } => "The API kept throttling past max_retries; run again later or raise max_retries.",
            Self::Api { code, .. } if code == "LimitExceeded" => "Split the profile: at most 9,500 sync units (target tenants × content items) are allowed in one sync.",
            Self::Api { .. } => "Check the values sent; run again with TF_LOG_PROVIDER=debug to see each request.",
            Self::Transport { .. } => "Check the endpoint and network; the provider retried up to max_retries.",
            Self::Decode { .. } => "The endpoint answered with something that is not this API (a gateway or proxy page?); check the endpoint setting.",
            Self::Config(_) => "Fix the provider configuration.",
        }
    }
}
