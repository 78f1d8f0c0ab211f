//! The API client's error type.

use std::fmt;

/// What went wrong talking to the API or the authority.
///
/// `Display` is written for people: it names the operation, the HTTP status, the API's `code`,
/// `message` and `request-id` where there are any. It never contains a secret or a token: the
/// client never puts one in, and text that came from a server is scrubbed of the token and
/// secret in use before it lands here.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The API answered with a non-2xx status.
    #[error("{operation}: HTTP {}, code {code}: {message}{}", StatusText(*status), RequestIdSuffix(request_id))]
    Api {
        operation: String,
        status: u16,
        code: String,
        message: String,
        request_id: Option<String>,
    },
    /// The authority refused to issue a token.
    #[error("getting a token from {url}: HTTP {}, {error}: {description}", StatusText(*status))]
    Auth {
        url: String,
        status: u16,
        error: String,
        description: String,
    },
    /// The request never got a complete answer (connection refused, reset, timed out, cut off).
    #[error("{operation}: {message}")]
    Transport {
        operation: String,
        message: String,
        /// The request may have reached the server and been carried out.
        ambiguous: bool,
    },
    /// A 2xx answer could not be decoded.
    #[error("{operation}: HTTP {}, but the answer is not the expected JSON: {detail}{}", StatusText(*status), RequestIdSuffix(request_id))]
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

/// `404 Not Found`, or just `599` for a status without a standard name.
struct StatusText(u16);

impl fmt::Display for StatusText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let reason = reqwest::StatusCode::from_u16(self.0)
            .ok()
            .and_then(|s| s.canonical_reason());
        match reason {
            Some(reason) => write!(f, "{} {reason}", self.0),
            None => write!(f, "{}", self.0),
        }
    }
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
    /// The HTTP status, when a server (the API or the authority) answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api { status, .. } | Self::Auth { status, .. } | Self::Decode { status, .. } => {
                Some(*status)
            }
            Self::Transport { .. } | Self::Config(_) => None,
        }
    }

    /// The API's error code (or the authority's OAuth2 `error`), when the server sent one.
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

    /// The API said the object does not exist (never true for the authority's answers).
    pub fn is_not_found(&self) -> bool {
        self.api_status() == Some(404)
    }

    /// The API refused because of a clash, e.g. a profile name already in use.
    pub fn is_conflict(&self) -> bool {
        self.api_status() == Some(409)
    }

    /// The API refused a write whose `If-Match` eTag is stale.
    pub fn is_precondition_failed(&self) -> bool {
        self.api_status() == Some(412)
    }

    /// The request may or may not have been carried out: it was sent, and its answer was lost
    /// (connection dropped or timed out after sending, body cut off, a 2xx that is not the
    /// expected JSON, or a gateway's 502/504). The caller must find out by reading.
    pub fn is_ambiguous(&self) -> bool {
        match self {
            Self::Transport { ambiguous, .. } => *ambiguous,
            Self::Decode { status, .. } => (200..300).contains(status),
            Self::Api { status, .. } => matches!(status, 502 | 504),
            Self::Auth { .. } | Self::Config(_) => false,
        }
    }

    /// What the user can do about it, for diagnostics.
    pub fn hint(&self) -> &'static str {
        match self {
            Self::Auth { .. } => "Check tenant_id, client_id and client_secret (or DEFENDER_* environment variables) and that the app registration has a valid secret.",
            Self::Api { status: 401, .. } => "The token was refused: check that the app registration has access to the multi-tenant portal API and the right scope, or that access_token is current.",
            Self::Api { status: 403, .. } => "The caller lacks permission: it needs Security settings (manage) to distribute content and Security Data Basic (read) to view it, by Azure B2B or GDAP in every tenant involved.",
            Self::Api { status: 404, .. } => "The object no longer exists; it may have been deleted outside Terraform.",
            Self::Api { status: 409, .. } => "Another object already uses this name or entry; choose another, or import the existing one.",
            Self::Api { status: 412, .. } => "Another writer kept changing the profile; run the apply again.",
            Self::Api { status: 429 | 503, .. } => "The API kept throttling past max_retries; run again later or raise max_retries.",
            Self::Api { code, .. } if code == "LimitExceeded" => "Split the profile: at most 9,500 sync units (target tenants × content items) are allowed in one sync.",
            Self::Api { status: 502 | 504, .. } => "A gateway in front of the API failed; the change may or may not have been made. Run terraform refresh or plan to see the current state, then apply again.",
            Self::Api { .. } => "Check the values sent; run again with TF_LOG_PROVIDER=debug to see each request.",
            Self::Transport { ambiguous: true, .. } => "The request was sent but its answer was lost, so the change may or may not have been made. Run terraform refresh or plan to see the current state, then apply again.",
            Self::Transport { .. } => "Check the endpoint and the network; the provider retried up to max_retries.",
            Self::Decode { .. } => "The endpoint answered with something that is not this API (a gateway or proxy page?); check the endpoint setting.",
            Self::Config(_) => "Fix the provider configuration.",
        }
    }

    fn api_status(&self) -> Option<u16> {
        match self {
            Self::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Removes every occurrence of `secret` from the text of this error (text that came from a
    /// server could echo a header or a form field back). Too-short strings are left alone:
    /// replacing them would garble the message and they are no real secret.
    pub(crate) fn redact(mut self, secret: &str) -> Self {
        if secret.len() < 8 {
            return self;
        }
        let scrub = |s: &mut String| {
            if s.contains(secret) {
                *s = s.replace(secret, "***");
            }
        };
        match &mut self {
            Self::Api {
                operation,
                code,
                message,
                request_id,
                ..
            } => {
                scrub(operation);
                scrub(code);
                scrub(message);
                if let Some(id) = request_id {
                    scrub(id);
                }
            }
            Self::Auth {
                url,
                error,
                description,
                ..
            } => {
                scrub(url);
                scrub(error);
                scrub(description);
            }
            Self::Transport {
                operation, message, ..
            } => {
                scrub(operation);
                scrub(message);
            }
            Self::Decode {
                operation,
                detail,
                request_id,
                ..
            } => {
                scrub(operation);
                scrub(detail);
                if let Some(id) = request_id {
                    scrub(id);
                }
            }
            Self::Config(message) => scrub(message),
        }
        self
    }

    /// Notes in the message that the client gave up after `attempts` tries.
    pub(crate) fn after_attempts(mut self, attempts: u32) -> Self {
        if attempts <= 1 {
            return self;
        }
        let note = format!(" (gave up after {attempts} attempts)");
        match &mut self {
            Self::Api { message, .. } | Self::Transport { message, .. } => message.push_str(&note),
            Self::Decode { detail, .. } => detail.push_str(&note),
            Self::Auth { description, .. } => description.push_str(&note),
            Self::Config(_) => {}
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16) -> ApiError {
        ApiError::Api {
            operation: "reading distribution profile p1".into(),
            status,
            code: "NotFound".into(),
            message: "no such assignment".into(),
            request_id: Some("rid-1".into()),
        }
    }

    #[test]
    fn display_reads_well() {
        assert_eq!(
            api(404).to_string(),
            "reading distribution profile p1: HTTP 404 Not Found, code NotFound: no such assignment (request-id rid-1)"
        );
        assert_eq!(
            ApiError::Api {
                operation: "x".into(),
                status: 599,
                code: "Unknown".into(),
                message: "m".into(),
                request_id: None
            }
            .to_string(),
            "x: HTTP 599, code Unknown: m"
        );
    }

    #[test]
    fn classification_only_from_the_api() {
        assert!(api(404).is_not_found());
        assert!(api(409).is_conflict());
        assert!(api(412).is_precondition_failed());
        assert!(api(502).is_ambiguous());
        let auth = ApiError::Auth {
            url: "u".into(),
            status: 404,
            error: "e".into(),
            description: "d".into(),
        };
        assert!(!auth.is_not_found());
        assert!(!auth.is_ambiguous());
    }

    #[test]
    fn redact_scrubs_every_field() {
        let e = ApiError::Api {
            operation: "op".into(),
            status: 400,
            code: "BadRequest".into(),
            message: "echo: Bearer tok-123456789".into(),
            request_id: None,
        }
        .redact("tok-123456789");
        assert!(!e.to_string().contains("tok-123456789"));
        assert!(!format!("{e:?}").contains("tok-123456789"));
    }
}
