//! Turning answer bodies into values or errors. Pure functions over bytes, so they can be
//! property-tested: none of them panics on any input.

use serde::de::DeserializeOwned;

use super::error::ApiError;
use super::types::{TokenErrorResponse, TokenResponse};

/// At most this many characters of a server's text go into an error message.
const MAX_DETAIL_CHARS: usize = 500;

/// Decodes a 2xx answer's body as `T`.
///
/// A failure is an [`ApiError::Decode`] that names `operation`, the status and the
/// `request-id`, and describes what came instead (e.g. "an HTML page of 1234 bytes").
pub fn decode<T: DeserializeOwned>(
    operation: &str,
    status: u16,
    request_id: Option<&str>,
    body: &[u8],
) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::Decode {
        operation: operation.to_owned(),
        status,
        detail: if is_json(body) {
            // JSON of the wrong shape: serde's message says where and what.
            format!("{}; got {}", truncate(&e.to_string()), describe_body(body))
        } else {
            format!("got {}", describe_body(body))
        },
        request_id: request_id.map(str::to_owned),
    })
}

/// The error for a non-2xx answer: the API's `{"error":{"code","message"}}` when the body has
/// it (flat `{"code","message"}` and OAuth2-style `{"error","error_description"}` are read
/// too), else the status's standard code and a description of the body.
pub fn error_from_answer(
    operation: &str,
    status: u16,
    request_id: Option<&str>,
    body: &[u8],
) -> ApiError {
    let (code, message) = match error_fields(body) {
        Some((code, message)) => (
            truncate(&code),
            if message.is_empty() {
                "(no message)".to_owned()
            } else {
                truncate(&message)
            },
        ),
        None => (
            default_code(status).to_owned(),
            format!("the answer is not an API error ({})", describe_body(body)),
        ),
    };
    ApiError::Api {
        operation: operation.to_owned(),
        status,
        code,
        message,
        request_id: request_id.map(str::to_owned),
    }
}

/// Decodes the authority's 2xx token answer. Errors never quote the body (it holds the token):
/// they only describe its shape.
pub(crate) fn decode_token(url: &str, status: u16, body: &[u8]) -> Result<TokenResponse, ApiError> {
    let operation = format!("getting a token from {url}");
    let parsed: TokenResponse = serde_json::from_slice(body).map_err(|_| ApiError::Decode {
        operation: operation.clone(),
        status,
        detail: format!(
            "expected {{\"access_token\":…,\"expires_in\":…}}, got {}",
            describe_shape(body)
        ),
        request_id: None,
    })?;
    if parsed.access_token.is_empty() {
        return Err(ApiError::Decode {
            operation,
            status,
            detail: "the answer has no access_token".into(),
            request_id: None,
        });
    }
    Ok(parsed)
}

/// The authority's non-2xx answer as an [`ApiError::Auth`].
pub(crate) fn token_error(url: &str, status: u16, body: &[u8]) -> ApiError {
    let parsed: Option<TokenErrorResponse> = serde_json::from_slice(body).ok();
    let (error, description) = match parsed {
        Some(p) if !p.error.is_empty() => (truncate(&p.error), truncate(&p.error_description)),
        _ => (
            "unexpected_answer".to_owned(),
            format!(
                "the authority's answer is not an OAuth2 error ({})",
                describe_body(body)
            ),
        ),
    };
    ApiError::Auth {
        url: url.to_owned(),
        status,
        error,
        description,
    }
}

/// A short description of a body for people: its kind and size, and the start of it when it
/// is text.
pub fn describe_body(body: &[u8]) -> String {
    match std::str::from_utf8(body) {
        Ok(text) if !looks_like_markup(text) && !text.trim().is_empty() => {
            let snippet: String = text.trim().chars().take(80).collect();
            let more = if snippet.len() < text.trim().len() {
                "…"
            } else {
                ""
            };
            format!("{} of {} bytes: {snippet:?}{more}", kind(body), body.len())
        }
        _ => describe_shape(body),
    }
}

/// Kind and size of a body, without quoting any of it.
pub fn describe_shape(body: &[u8]) -> String {
    if body.iter().all(u8::is_ascii_whitespace) {
        return "an empty body".to_owned();
    }
    format!("{} of {} bytes", kind(body), body.len())
}

fn kind(body: &[u8]) -> &'static str {
    let Ok(text) = std::str::from_utf8(body) else {
        return "binary data";
    };
    if looks_like_markup(text) {
        let head: String = text.trim_start().chars().take(200).collect();
        let head = head.to_ascii_lowercase();
        if head.contains("<html") || head.contains("<!doctype html") {
            "an HTML page"
        } else {
            "an XML or HTML document"
        }
    } else if is_json(body) {
        "JSON"
    } else {
        "text"
    }
}

fn looks_like_markup(text: &str) -> bool {
    text.trim_start().starts_with('<')
}

fn is_json(body: &[u8]) -> bool {
    serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok()
}

/// `(code, message)` from the error shapes servers use; `None` when there is no code.
fn error_fields(body: &[u8]) -> Option<(String, String)> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let text = |v: Option<&serde_json::Value>| match v {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    };
    let (code, message) = match value.get("error") {
        Some(inner @ serde_json::Value::Object(_)) => {
            (text(inner.get("code")), text(inner.get("message")))
        }
        Some(serde_json::Value::String(error)) => {
            (error.clone(), text(value.get("error_description")))
        }
        _ => (text(value.get("code")), text(value.get("message"))),
    };
    (!code.is_empty()).then_some((code, message))
}

fn default_code(status: u16) -> &'static str {
    match status {
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        409 => "Conflict",
        412 => "PreconditionFailed",
        429 => "TooManyRequests",
        502 => "BadGateway",
        503 => "ServiceUnavailable",
        504 => "GatewayTimeout",
        _ => "Unknown",
    }
}

fn truncate(s: &str) -> String {
    let mut chars = s.chars();
    let head: String = chars.by_ref().take(MAX_DETAIL_CHARS).collect();
    if chars.next().is_some() {
        format!("{head}…")
    } else {
        head
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::types::Assignment;

    #[test]
    fn html_is_described_not_quoted() {
        let page = b"<!DOCTYPE html><html><body>Bad gateway</body></html>";
        let e = decode::<Assignment>("reading p", 200, Some("r1"), page).unwrap_err();
        let text = e.to_string();
        assert!(text.contains("an HTML page of 52 bytes"), "{text}");
        assert!(text.contains("request-id r1"), "{text}");
        assert!(e.is_ambiguous());
    }

    #[test]
    fn error_shapes() {
        let e = error_from_answer(
            "op",
            409,
            None,
            br#"{"error":{"code":"Conflict","message":"name in use"}}"#,
        );
        assert_eq!(e.code(), Some("Conflict"));
        assert!(e.to_string().contains("name in use"));
        let flat = error_from_answer("op", 400, None, br#"{"code":"BadRequest","message":"m"}"#);
        assert_eq!(flat.code(), Some("BadRequest"));
        let html = error_from_answer("op", 503, Some("r"), b"<html>busy</html>");
        assert_eq!(html.code(), Some("ServiceUnavailable"));
        assert!(
            html.to_string().contains("an HTML page of 17 bytes"),
            "{html}"
        );
        let empty = error_from_answer("op", 404, None, b"");
        assert!(empty.to_string().contains("an empty body"), "{empty}");
    }

    #[test]
    fn token_errors_never_quote_the_body() {
        let body = br#"{"access_token":"eyJsecret","expires_in":{"x":1}}"#;
        let e = decode_token("https://login/t/oauth2/v2.0/token", 200, body).unwrap_err();
        assert!(!e.to_string().contains("eyJsecret"), "{e}");
        assert!(!format!("{e:?}").contains("eyJsecret"));
    }
}
