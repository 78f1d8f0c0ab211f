//! Credentials and the cached OAuth2 token.

use std::fmt;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use super::error::ApiError;
use super::types::{TokenErrorResponse, TokenResponse};

/// A secret string: never printed, not even by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    /// The secret itself, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// How the client authenticates.
#[derive(Debug, Clone)]
pub enum Credentials {
    /// A bearer token obtained elsewhere; used as is.
    AccessToken(Secret),
    /// OAuth2 client credentials against `{authority_host}/{tenant_id}/oauth2/v2.0/token`.
    ClientSecret {
        authority_host: String,
        tenant_id: String,
        client_id: String,
        client_secret: Secret,
        scope: String,
    },
}

/// Renew a token this long before the authority says it expires.
const EXPIRY_MARGIN: Duration = Duration::from_secs(120);

#[derive(Clone)]
struct CachedToken {
    token: Secret,
    renew_at: Instant,
}

/// One token per client, shared by every request; renewed before expiry and on demand after a 401.
pub(crate) struct TokenSource {
    credentials: Credentials,
    cached: Mutex<Option<CachedToken>>,
}

impl TokenSource {
    pub(crate) fn new(credentials: Credentials) -> Self {
        Self {
            credentials,
            cached: Mutex::new(None),
        }
    }

    /// The current token, fetching one if there is none or it is about to expire.
    pub(crate) async fn token(&self, http: &reqwest::Client) -> Result<Secret, ApiError> {
        let (authority_host, tenant_id, client_id, client_secret, scope) = match &self.credentials {
            Credentials::AccessToken(t) => return Ok(t.clone()),
            Credentials::ClientSecret {
                authority_host,
                tenant_id,
                client_id,
                client_secret,
                scope,
            } => (authority_host, tenant_id, client_id, client_secret, scope),
        };
        // Holding the lock while fetching makes concurrent callers wait for one fetch.
        let mut cached = self.cached.lock().await;
        if let Some(c) = cached.as_ref() {
            if Instant::now() < c.renew_at {
                return Ok(c.token.clone());
            }
        }
        let url = format!(
            "{}/{}/oauth2/v2.0/token",
            authority_host.trim_end_matches('/'),
            tenant_id
        );
        let started = Instant::now();
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", client_id.as_str()),
            ("client_secret", client_secret.expose()),
            ("scope", scope.as_str()),
        ];
        let resp = http
            .post(&url)
            .form(&form)
            .send()
            .await
            .map_err(|e| ApiError::Transport {
                operation: format!("getting a token from {url}"),
                message: super::client::describe_reqwest_error(&e),
                ambiguous: false,
            })?;
        let status = resp.status().as_u16();
        let body = resp.bytes().await.map_err(|e| ApiError::Transport {
            operation: format!("getting a token from {url}"),
            message: super::client::describe_reqwest_error(&e),
            ambiguous: false,
        })?;
        tracing::debug!(
            target: "defender::auth",
            method = "POST",
            url = %url,
            status,
            ms = started.elapsed().as_millis() as u64,
            "token request"
        );
        if !(200..300).contains(&status) {
            let parsed: TokenErrorResponse = serde_json::from_slice(&body).unwrap_or_default();
            let (error, description) = if parsed.error.is_empty() {
                (
                    "unexpected_answer".to_owned(),
                    "the authority answered with something that is not an OAuth2 error".to_owned(),
                )
            } else {
                (parsed.error, parsed.error_description)
            };
            return Err(ApiError::Auth {
                url,
                status,
                error,
                description,
            });
        }
        let parsed: TokenResponse =
            serde_json::from_slice(&body).map_err(|e| ApiError::Decode {
                operation: format!("getting a token from {url}"),
                status,
                detail: e.to_string(),
                request_id: None,
            })?;
        if parsed.access_token.is_empty() {
            return Err(ApiError::Decode {
                operation: format!("getting a token from {url}"),
                status,
                detail: "no access_token in the answer".into(),
                request_id: None,
            });
        }
        let lifetime = Duration::from_secs(parsed.expires_in.max(1));
        let renew_at = Instant::now() + lifetime.saturating_sub(EXPIRY_MARGIN.min(lifetime / 2));
        let token = Secret::new(parsed.access_token);
        *cached = Some(CachedToken {
            token: token.clone(),
            renew_at,
        });
        Ok(token)
    }

    /// Forget `rejected` (after a 401) so the next call fetches a new token.
    /// Returns false when there is nothing to renew (a static access token).
    pub(crate) async fn invalidate(&self, rejected: &Secret) -> bool {
        if matches!(self.credentials, Credentials::AccessToken(_)) {
            return false;
        }
        let mut cached = self.cached.lock().await;
        if cached.as_ref().is_some_and(|c| &c.token == rejected) {
            *cached = None;
        }
        true
    }
}
