//! Issued bearer tokens.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rand::distr::Alphanumeric;
use rand::Rng;

use crate::error::ApiError;

/// Who a token speaks for when it is accepted.
#[derive(Debug, Clone)]
struct Issued {
    expires: Instant,
    actor: String,
}

#[derive(Debug, Default)]
pub struct Tokens {
    issued: Mutex<HashMap<String, Issued>>,
}

/// Above this many tokens, issuing one first forgets the expired ones.
const PRUNE_ABOVE: usize = 1024;

impl Tokens {
    /// Issues a fresh opaque token valid for `lifetime`.
    pub fn issue(&self, lifetime: Duration, actor: &str) -> String {
        let random: String = rand::rng()
            .sample_iter(&Alphanumeric)
            .take(48)
            .map(char::from)
            .collect();
        let token = format!("emu.{random}");
        let now = Instant::now();
        let mut issued = self.issued.lock().unwrap_or_else(|e| e.into_inner());
        if issued.len() > PRUNE_ABOVE {
            issued.retain(|_, t| t.expires > now);
        }
        issued.insert(
            token.clone(),
            Issued {
                // A lifetime too long for the clock means "never expires" in practice.
                expires: now
                    .checked_add(lifetime)
                    .or_else(|| now.checked_add(Duration::from_secs(100 * 365 * 24 * 3600)))
                    .unwrap_or(now),
                actor: actor.to_owned(),
            },
        );
        token
    }

    /// The actor of a valid token.
    pub fn check(&self, token: &str) -> Result<String, ApiError> {
        let issued = self.issued.lock().unwrap_or_else(|e| e.into_inner());
        match issued.get(token) {
            Some(t) if t.expires > Instant::now() => Ok(t.actor.clone()),
            Some(_) => Err(ApiError::unauthorized(
                "the access token has expired; get a new one from the token endpoint",
            )),
            None => Err(ApiError::unauthorized(
                "the access token is not valid for this API",
            )),
        }
    }

    /// Forgets every issued token (the static token, if any, keeps working).
    pub fn revoke_all(&self) -> usize {
        let mut issued = self.issued.lock().unwrap_or_else(|e| e.into_inner());
        let n = issued.len();
        issued.clear();
        n
    }
}

/// The bearer token of an `Authorization` header value.
pub fn bearer(header: Option<&str>) -> Result<&str, ApiError> {
    let value = header.ok_or_else(|| {
        ApiError::unauthorized("no Authorization header; send Authorization: Bearer <token>")
    })?;
    let (scheme, token) = value.trim().split_once(' ').ok_or_else(|| {
        ApiError::unauthorized("the Authorization header is not of the form Bearer <token>")
    })?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(ApiError::unauthorized(
            "the Authorization header is not of the form Bearer <token>",
        ));
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_expire_and_revoke() {
        let t = Tokens::default();
        let a = t.issue(Duration::from_secs(60), "app");
        assert_eq!(t.check(&a).unwrap(), "app");
        let b = t.issue(Duration::ZERO, "app");
        assert!(t.check(&b).unwrap_err().message.contains("expired"));
        assert!(t.check("nope").is_err());
        let forever = t.issue(Duration::from_secs(u64::MAX), "app");
        assert!(t.check(&forever).is_ok());
        assert_eq!(t.revoke_all(), 3);
        assert!(t.check(&a).is_err());
    }

    #[test]
    fn bearer_header() {
        assert_eq!(bearer(Some("Bearer abc")).unwrap(), "abc");
        assert_eq!(bearer(Some("bearer  abc ")).unwrap(), "abc");
        assert!(bearer(None).is_err());
        assert!(bearer(Some("Basic abc")).is_err());
        assert!(bearer(Some("Bearer")).is_err());
    }
}
