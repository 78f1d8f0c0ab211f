//! Credentials and the cached OAuth2 token.

use std::fmt;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use super::client::{describe_transport_error, header, request_id};
use super::decode::{decode_token, token_error};
use super::error::ApiError;
use super::retry::{parse_retry_after, RetryPolicy};

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
    /// A bearer token obtained elsewhere; used as is, never renewed.
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

/// Renew a token this long before the authority says it expires, but never earlier than
/// 4/5 of its lifetime: a 60-minute token is renewed after 58 minutes, a 1-second one after
/// 0.8 s. The margin covers clock skew and the time a request spends in flight.
const MAX_RENEW_MARGIN: Duration = Duration::from_secs(120);

fn renew_after(lifetime: Duration) -> Duration {
    lifetime.saturating_sub(MAX_RENEW_MARGIN.min(lifetime / 5))
}

#[derive(Clone)]
struct CachedToken {
    token: Secret,
    renew_at: Instant,
}

/// One token per client, shared by every clone and request; renewed before expiry and on
/// demand after a 401.
pub(crate) struct TokenSource {
    credentials: Credentials,
    retry: RetryPolicy,
    /// The lock is held while fetching, so concurrent callers wait for one fetch and share it.
    cached: Mutex<Option<CachedToken>>,
}

impl TokenSource {
    pub(crate) fn new(credentials: Credentials, retry: RetryPolicy) -> Self {
        Self {
            credentials,
            retry,
            cached: Mutex::new(None),
        }
    }

    /// The token to send: the static one, or the cached one, fetching a new one when there is
    /// none or it is due for renewal.
    pub(crate) async fn token(&self, http: &reqwest::Client) -> Result<Secret, ApiError> {
        if let Credentials::AccessToken(token) = &self.credentials {
            return Ok(token.clone());
        }
        let mut cached = self.cached.lock().await;
        if let Some(c) = cached.as_ref() {
            if Instant::now() < c.renew_at {
                return Ok(c.token.clone());
            }
        }
        let fresh = self.fetch(http).await?;
        let token = fresh.token.clone();
        *cached = Some(fresh);
        Ok(token)
    }

    /// Forgets `rejected` (after a 401) so the next call fetches a new token. Another request
    /// may already have replaced it; then the newer token stays. Returns false when there is
    /// nothing to renew (a static access token): the 401 is final.
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

    /// The secret this source sends (to scrub from errors), if any.
    pub(crate) fn client_secret(&self) -> Option<&str> {
        match &self.credentials {
            Credentials::ClientSecret { client_secret, .. } => Some(client_secret.expose()),
            Credentials::AccessToken(_) => None,
        }
    }

    /// Asks the authority for a token. Repeating this request is harmless, so transport
    /// errors, 429, 5xx and undecodable answers are all retried within the retry policy.
    async fn fetch(&self, http: &reqwest::Client) -> Result<CachedToken, ApiError> {
        let Credentials::ClientSecret {
            authority_host,
            tenant_id,
            client_id,
            client_secret,
            scope,
        } = &self.credentials
        else {
            return Err(ApiError::Config(
                "internal: no client credentials to fetch a token with".into(),
            ));
        };
        let url = format!(
            "{}/{}/oauth2/v2.0/token",
            authority_host.trim_end_matches('/'),
            tenant_id
        );
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", client_id.as_str()),
            ("client_secret", client_secret.expose()),
            ("scope", scope.as_str()),
        ];
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let started = Instant::now();
            let sent = http
                .post(&url)
                .header(reqwest::header::ACCEPT, "application/json")
                .form(&form)
                .send()
                .await;
            let answer = match sent {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let rid = request_id(&resp);
                    let retry_after =
                        header(&resp, "retry-after").and_then(|v| parse_retry_after(&v));
                    resp.bytes()
                        .await
                        .map(|body| (status, rid, retry_after, body))
                }
                Err(e) => Err(e),
            };
            let ms = started.elapsed().as_millis() as u64;
            let (error, retry_after) = match answer {
                Ok((status, rid, retry_after, body)) => {
                    tracing::debug!(
                        target: "defender::api",
                        method = %"POST",
                        url = %url,
                        status,
                        ms,
                        request_id = %rid.as_deref().unwrap_or("-"),
                        attempt,
                        "token request"
                    );
                    if (200..300).contains(&status) {
                        match decode_token(&url, status, &body) {
                            Ok(parsed) => {
                                let lifetime = Duration::from_secs(parsed.expires_in.max(1));
                                return Ok(CachedToken {
                                    token: Secret::new(parsed.access_token),
                                    renew_at: started + renew_after(lifetime),
                                });
                            }
                            Err(e) => (e, None),
                        }
                    } else {
                        let e = token_error(&url, status, &body);
                        if !matches!(status, 429 | 500 | 502 | 503 | 504) {
                            return Err(e.redact(client_secret.expose()));
                        }
                        (e, retry_after)
                    }
                }
                Err(e) => {
                    let message = describe_transport_error(&e);
                    tracing::debug!(
                        target: "defender::api",
                        method = %"POST",
                        url = %url,
                        ms,
                        attempt,
                        error = %message,
                        "token request failed"
                    );
                    let e = ApiError::Transport {
                        operation: format!("getting a token from {url}"),
                        message,
                        ambiguous: false,
                    };
                    (e, None)
                }
            };
            if attempt > self.retry.max_retries {
                return Err(error.after_attempts(attempt).redact(client_secret.expose()));
            }
            let wait = self.retry.delay(attempt, retry_after);
            tracing::warn!(
                target: "defender::api",
                url = %url,
                wait_ms = wait.as_millis() as u64,
                attempt,
                error = %error.redact(client_secret.expose()),
                "token request failed; retrying"
            );
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renewal_leaves_a_sensible_margin() {
        assert_eq!(
            renew_after(Duration::from_secs(3600)),
            Duration::from_secs(3480)
        );
        assert_eq!(
            renew_after(Duration::from_secs(300)),
            Duration::from_secs(240)
        );
        assert_eq!(
            renew_after(Duration::from_secs(1)),
            Duration::from_millis(800)
        );
    }

    #[test]
    fn secret_debug_is_masked() {
        let c = Credentials::ClientSecret {
            authority_host: "https://login.example".into(),
            tenant_id: "t".into(),
            client_id: "c".into(),
            client_secret: Secret::new("hunter2-very-secret"),
            scope: "s".into(),
        };
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
