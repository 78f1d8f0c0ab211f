//! The HTTP client: auth, retries, logging, decoding.
//!
//! Every request goes through [`Client::execute`], which owns the retry rules:
//!
//! | what happened | safe request (GET, DELETE, sync) | unsafe request (create, PUT) |
//! |---|---|---|
//! | never sent (connect failed) | retry | retry |
//! | 429, 503 | retry after `Retry-After` or backoff | same (the server did nothing) |
//! | sent, answer lost (reset, timeout, body cut) | retry | ambiguous error |
//! | 502, 504 (a gateway gave up) | retry | ambiguous error |
//! | 2xx that does not decode (a gateway page) | retry | ambiguous error |
//! | 401 with a fetched token | renew the token once, retry | same |
//! | anything else | error | error |
//!
//! Retries stop after `max_retries`. A create resolves an ambiguous error itself by looking the
//! name up ([`Client::create_assignment`]); a PUT hands it to the caller, who re-reads.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::auth::{Credentials, Secret, TokenSource};
use super::decode::{decode, error_from_answer};
use super::error::ApiError;
use super::retry::{parse_retry_after, RetryPolicy};
use super::types::{
    Assignment, AssignmentList, NewAssignment, SyncAccepted, SyncRequest, Template, TenantPicker,
    Variables,
};

/// Everything the client needs to talk to the API.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Base URL up to and including `/apiproxy`; paths `/mtoapi/…` are appended.
    pub endpoint: String,
    pub credentials: Credentials,
    pub retry: RetryPolicy,
    /// Timeout of one HTTP attempt (connecting, sending and reading the whole answer).
    pub request_timeout: Duration,
    pub user_agent: String,
}

/// A cheap-to-clone handle; all clones share one connection pool and one token.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Client {
    /// The endpoint and the kind of credentials; never a secret or token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("endpoint", &self.inner.base)
            .field("retry", &self.inner.retry)
            .finish_non_exhaustive()
    }
}

struct Inner {
    http: reqwest::Client,
    base: String,
    tokens: TokenSource,
    retry: RetryPolicy,
}

/// Whether a request may be sent again when it is unknown if the first one was carried out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Repeat {
    /// Repeating it changes nothing, or nothing that matters (GET, DELETE, starting a sync).
    Safe,
    /// Repeating it could do the work twice (create) or overwrite a newer state (PUT).
    Unsafe,
}

/// One request to send, possibly several times.
struct Call {
    method: Method,
    path: String,
    body: Option<Vec<u8>>,
    if_match: Option<String>,
    /// For people: "reading distribution profile 42".
    operation: String,
    repeat: Repeat,
}

/// How many attempts a request (or a create with its re-sends) has made, against the budget.
struct Attempts {
    made: u32,
    max_retries: u32,
}

impl Attempts {
    fn new(max_retries: u32) -> Self {
        Self {
            made: 0,
            max_retries,
        }
    }

    /// Counts one attempt and returns its number (1-based).
    fn count(&mut self) -> u32 {
        self.made = self.made.saturating_add(1);
        self.made
    }

    fn may_retry(&self) -> bool {
        self.made <= self.max_retries
    }

    /// Takes back the last attempt: the one-off resend after a 401 is not a retry.
    fn uncount(&mut self) {
        self.made = self.made.saturating_sub(1);
    }
}

/// What one attempt produced.
enum Reply {
    /// A whole answer.
    Answer {
        status: StatusCode,
        request_id: Option<String>,
        retry_after: Option<Duration>,
        body: Vec<u8>,
    },
    /// No whole answer. `status` is set when the headers came but the body was cut off.
    Lost {
        error: reqwest::Error,
        status: Option<StatusCode>,
        request_id: Option<String>,
    },
}

impl Client {
    pub fn new(config: ClientConfig) -> Result<Self, ApiError> {
        check_url("endpoint", &config.endpoint)?;
        if let Credentials::ClientSecret { authority_host, .. } = &config.credentials {
            check_url("authority_host", authority_host)?;
        }
        // reqwest is built with `rustls-no-provider` and panics when no crypto provider is
        // installed. The binary installs ring at start; do it here too so that the library
        // (tests, other embedders) never panics. Losing the race to another installer is fine.
        if rustls::crypto::CryptoProvider::get_default().is_none() {
            let _ = rustls::crypto::ring::default_provider().install_default();
        }
        let http = reqwest::Client::builder()
            .user_agent(config.user_agent)
            .timeout(config.request_timeout)
            .connect_timeout(config.request_timeout.min(Duration::from_secs(10)))
            .tcp_nodelay(true)
            .build()
            .map_err(|e| {
                ApiError::Config(format!(
                    "building the HTTP client: {}",
                    describe_transport_error(&e)
                ))
            })?;
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                base: config.endpoint.trim_end_matches('/').to_owned(),
                tokens: TokenSource::new(config.credentials, config.retry.clone()),
                retry: config.retry,
            }),
        })
    }

    /// `GET /mtoapi/tenants/TenantPicker`.
    pub async fn tenant_picker(&self) -> Result<TenantPicker, ApiError> {
        self.json(Call::get(
            "/mtoapi/tenants/TenantPicker",
            "reading the tenant picker".into(),
        ))
        .await
    }

    /// `GET /mtoapi/assignments`.
    pub async fn list_assignments(&self) -> Result<Vec<Assignment>, ApiError> {
        let list: AssignmentList = self
            .json(Call::get(
                "/mtoapi/assignments",
                "listing distribution profiles".into(),
            ))
            .await?;
        Ok(list.items)
    }

    /// `GET /mtoapi/assignments/{id}`; a missing profile is an error with `is_not_found()`.
    pub async fn get_assignment(&self, id: &str) -> Result<Assignment, ApiError> {
        self.json(Call::get(
            &assignment_path(id),
            format!("reading distribution profile {id}"),
        ))
        .await
    }

    /// `POST /mtoapi/assignments`.
    ///
    /// A create is not safe to repeat blindly: if an attempt's answer is lost, the profile may
    /// exist. So after an ambiguous failure the profile is looked up by name (names are
    /// unique): found, it is the result; not found, the create is sent again. A `409` after an
    /// ambiguous attempt is resolved the same way (our own earlier attempt took the name).
    /// All sends share one budget of `max_retries`.
    pub async fn create_assignment(&self, new: &NewAssignment) -> Result<Assignment, ApiError> {
        let operation = format!("creating distribution profile \"{}\"", new.name);
        let call = Call {
            method: Method::POST,
            path: "/mtoapi/assignments".into(),
            body: Some(to_body(new, &operation)?),
            if_match: None,
            operation,
            repeat: Repeat::Unsafe,
        };
        let mut attempts = Attempts::new(self.inner.retry.max_retries);
        let mut maybe_created = false;
        loop {
            let error = match self.json_with(&call, &mut attempts).await {
                Ok(created) => return Ok(created),
                Err(e) if e.is_ambiguous() || (maybe_created && e.is_conflict()) => e,
                Err(e) => return Err(e),
            };
            maybe_created = true;
            tracing::warn!(
                target: "defender::api",
                name = %new.name,
                error = %error,
                "the create may have happened; looking the profile up by name"
            );
            match self.find_by_name(&new.name).await {
                Ok(Some(found)) => return Ok(found),
                Ok(None) if !error.is_conflict() && attempts.may_retry() => {}
                Ok(None) => return Err(error),
                Err(lookup) => {
                    // The create's own error says what matters: it may have happened.
                    tracing::warn!(target: "defender::api", error = %lookup, "the lookup failed too");
                    return Err(error);
                }
            }
            let wait = self.inner.retry.delay(attempts.made, None);
            tokio::time::sleep(wait).await;
        }
    }

    /// `PUT /mtoapi/assignments/{id}` with `If-Match`. A stale eTag is an error with
    /// `is_precondition_failed()`; a lost answer is one with `is_ambiguous()` (the write may
    /// have landed, and a blind retry would then fail with 412 or overwrite a newer state),
    /// which callers resolve by reading the profile again.
    pub async fn put_assignment(
        &self,
        id: &str,
        e_tag: &str,
        doc: &Assignment,
    ) -> Result<Assignment, ApiError> {
        let operation = format!("updating distribution profile {id}");
        let body = to_body(&PutBody::from(doc), &operation)?;
        self.json(Call {
            method: Method::PUT,
            path: assignment_path(id),
            body: Some(body),
            if_match: Some(e_tag.to_owned()),
            operation,
            repeat: Repeat::Unsafe,
        })
        .await
    }

    /// `DELETE /mtoapi/assignments/{id}`; a missing profile is an error with `is_not_found()`
    /// (also after a retry whose first attempt did delete it: callers treat it as done).
    pub async fn delete_assignment(&self, id: &str) -> Result<(), ApiError> {
        let call = Call {
            method: Method::DELETE,
            path: assignment_path(id),
            body: None,
            if_match: None,
            operation: format!("deleting distribution profile {id}"),
            repeat: Repeat::Safe,
        };
        let mut attempts = Attempts::new(self.inner.retry.max_retries);
        self.execute(&call, &mut attempts, |_, _, _| Ok(())).await
    }

    /// `POST /mtoapi/assignments/{id}/sync`, for all targets (`None`) or some. Starting a sync
    /// twice is harmless, so it is retried like a read.
    pub async fn sync_assignment(
        &self,
        id: &str,
        target_tenant_ids: Option<Vec<String>>,
    ) -> Result<SyncAccepted, ApiError> {
        let operation = format!("starting a sync of distribution profile {id}");
        let body = to_body(&SyncRequest { target_tenant_ids }, &operation)?;
        let call = Call {
            method: Method::POST,
            path: format!("{}/sync", assignment_path(id)),
            body: Some(body),
            if_match: None,
            operation,
            repeat: Repeat::Safe,
        };
        let mut attempts = Attempts::new(self.inner.retry.max_retries);
        self.execute(&call, &mut attempts, |status, request_id, body| {
            // A bare 202 is still an acceptance; re-sending it would start another sync.
            if status == 202 && body.iter().all(u8::is_ascii_whitespace) {
                return Ok(SyncAccepted {
                    assignment_id: id.to_owned(),
                    sync_units: 0,
                });
            }
            decode(&call.operation, status, request_id, body)
        })
        .await
    }

    async fn find_by_name(&self, name: &str) -> Result<Option<Assignment>, ApiError> {
        Ok(self
            .list_assignments()
            .await?
            .into_iter()
            .find(|a| a.name == name))
    }

    async fn json<T: DeserializeOwned>(&self, call: Call) -> Result<T, ApiError> {
        let mut attempts = Attempts::new(self.inner.retry.max_retries);
        self.json_with(&call, &mut attempts).await
    }

    async fn json_with<T: DeserializeOwned>(
        &self,
        call: &Call,
        attempts: &mut Attempts,
    ) -> Result<T, ApiError> {
        self.execute(call, attempts, |status, request_id, body| {
            decode(&call.operation, status, request_id, body)
        })
        .await
    }

    /// Sends `call` until it gets a 2xx answer that `read` accepts, or an error that is final
    /// under the rules in the module docs.
    async fn execute<T>(
        &self,
        call: &Call,
        attempts: &mut Attempts,
        read: impl Fn(u16, Option<&str>, &[u8]) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let inner = &*self.inner;
        let mut renewed_after_401 = false;
        loop {
            let token = inner.tokens.token(&inner.http).await?;
            let started = Instant::now();
            let reply = self.attempt(call, &token).await;
            let ms = started.elapsed().as_millis() as u64;
            let attempt = attempts.count();
            let (error, retry_after) = match reply {
                Reply::Answer {
                    status,
                    request_id,
                    retry_after,
                    body,
                } => {
                    tracing::debug!(
                        target: "defender::api",
                        method = %call.method,
                        path = %call.path,
                        status = status.as_u16(),
                        ms,
                        request_id = %request_id.as_deref().unwrap_or("-"),
                        attempt,
                        "API request"
                    );
                    if status.is_success() {
                        match read(status.as_u16(), request_id.as_deref(), &body) {
                            Ok(value) => return Ok(value),
                            // A 2xx that is not the API's answer (a gateway page): the request
                            // may or may not have been carried out.
                            Err(e) if call.repeat == Repeat::Safe => (e, None),
                            Err(e) => return Err(self.scrub(e, &token)),
                        }
                    } else {
                        let e = error_from_answer(
                            &call.operation,
                            status.as_u16(),
                            request_id.as_deref(),
                            &body,
                        );
                        if status == StatusCode::UNAUTHORIZED
                            && !renewed_after_401
                            && inner.tokens.invalidate(&token).await
                        {
                            // The token may have been revoked or expired early: renew it once.
                            renewed_after_401 = true;
                            attempts.uncount();
                            tracing::debug!(target: "defender::api", "401: renewing the token once");
                            continue;
                        }
                        let retry = match status.as_u16() {
                            429 | 503 => true,
                            502 | 504 => call.repeat == Repeat::Safe,
                            _ => false,
                        };
                        if !retry {
                            return Err(self.scrub(e.after_attempts(attempt), &token));
                        }
                        (e, retry_after)
                    }
                }
                Reply::Lost {
                    error,
                    status,
                    request_id,
                } => {
                    let sent = was_sent(&error);
                    let mut message = describe_transport_error(&error);
                    if let Some(status) = status {
                        message = format!("{message} (after HTTP {} headers)", status.as_u16());
                    }
                    tracing::debug!(
                        target: "defender::api",
                        method = %call.method,
                        path = %call.path,
                        status = status.map(|s| s.as_u16()),
                        ms,
                        request_id = %request_id.as_deref().unwrap_or("-"),
                        attempt,
                        error = %message,
                        "API request failed"
                    );
                    let e = ApiError::Transport {
                        operation: call.operation.clone(),
                        message,
                        ambiguous: sent,
                    };
                    if sent && call.repeat == Repeat::Unsafe {
                        return Err(self.scrub(e, &token));
                    }
                    (e, None)
                }
            };
            if !attempts.may_retry() {
                return Err(self.scrub(error.after_attempts(attempt), &token));
            }
            let wait = inner.retry.delay(attempt, retry_after);
            tracing::warn!(
                target: "defender::api",
                method = %call.method,
                path = %call.path,
                attempt,
                wait_ms = wait.as_millis() as u64,
                error = %self.scrub(error, &token),
                "retrying"
            );
            tokio::time::sleep(wait).await;
        }
    }

    /// Sends `call` once and reads the whole answer.
    async fn attempt(&self, call: &Call, token: &Secret) -> Reply {
        let inner = &*self.inner;
        let url = format!("{}{}", inner.base, call.path);
        // bearer_auth marks the header sensitive: hyper and h2 never log its value.
        let mut req = inner
            .http
            .request(call.method.clone(), &url)
            .bearer_auth(token.expose())
            .header(reqwest::header::ACCEPT, "application/json");
        if let Some(body) = &call.body {
            req = req
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        if let Some(tag) = &call.if_match {
            req = req.header(reqwest::header::IF_MATCH, tag);
        }
        let resp = match req.send().await {
            Ok(resp) => resp,
            Err(error) => {
                return Reply::Lost {
                    error,
                    status: None,
                    request_id: None,
                }
            }
        };
        let status = resp.status();
        let request_id = request_id(&resp);
        let retry_after = header(&resp, "retry-after").and_then(|v| parse_retry_after(&v));
        match resp.bytes().await {
            Ok(body) => Reply::Answer {
                status,
                request_id,
                retry_after,
                body: body.to_vec(),
            },
            Err(error) => Reply::Lost {
                error,
                status: Some(status),
                request_id,
            },
        }
    }

    /// Removes the token in use and the client secret from a server-derived error text.
    fn scrub(&self, e: ApiError, token: &Secret) -> ApiError {
        let e = e.redact(token.expose());
        match self.inner.tokens.client_secret() {
            Some(secret) => e.redact(secret),
            None => e,
        }
    }
}

impl Call {
    fn get(path: &str, operation: String) -> Self {
        Self {
            method: Method::GET,
            path: path.to_owned(),
            body: None,
            if_match: None,
            operation,
            repeat: Repeat::Safe,
        }
    }
}

/// Whether a failed request may have reached the server.
///
/// Only a failure to connect (DNS, TCP, TLS handshake, connect timeout) or to build the request
/// proves it was never sent. Everything else — a reset or close before the answer, a timeout
/// while waiting, a body cut off — happened after the request went out, and the server may
/// have carried it out. (hyper already re-sends by itself a request that it knows it never
/// wrote on a reused connection.)
fn was_sent(error: &reqwest::Error) -> bool {
    !(error.is_connect() || error.is_builder())
}

pub(crate) fn header(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// The answer's `request-id` (or the header names other Microsoft services use).
pub(crate) fn request_id(resp: &reqwest::Response) -> Option<String> {
    header(resp, "request-id")
        .or_else(|| header(resp, "x-ms-request-id"))
        .or_else(|| header(resp, "client-request-id"))
}

fn check_url(setting: &str, value: &str) -> Result<(), ApiError> {
    match url::Url::parse(value) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.has_host() => Ok(()),
        Ok(_) => Err(ApiError::Config(format!(
            "{setting} must be an http(s) URL, got {value:?}"
        ))),
        Err(e) => Err(ApiError::Config(format!(
            "{setting} is not a valid URL ({e}): {value:?}"
        ))),
    }
}

/// The body of a PUT: the document as read and edited, without `syncUnitStatuses`. The API owns
/// the units and ignores them in a PUT; at n targets they are 5·n entries and ~96 % of the
/// document (3.3 MB of 3.4 MB at 1,000 targets), which were encoded, copied and parsed for
/// nothing. Every other field, unknown ones included, goes back as it came.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PutBody<'a> {
    id: &'a str,
    #[serde(rename = "eTag")]
    e_tag: &'a str,
    name: &'a str,
    description: &'a str,
    created_on: &'a Option<String>,
    created_by: &'a Option<String>,
    last_synced_on: &'a Option<String>,
    last_synced_by: &'a Option<String>,
    target_tenant_ids: &'a [String],
    target_tenant_ids_without_relationship: u64,
    templates: &'a [Template],
    is_variable_per_template: bool,
    variables: &'a BTreeMap<String, Variables>,
    template_variables: &'a BTreeMap<String, BTreeMap<String, Variables>>,
    #[serde(flatten)]
    extra: &'a BTreeMap<String, serde_json::Value>,
}

impl<'a> From<&'a Assignment> for PutBody<'a> {
    fn from(doc: &'a Assignment) -> Self {
        // Exhaustive on purpose: a field added to `Assignment` must be decided on here.
        let Assignment {
            id,
            e_tag,
            name,
            description,
            created_on,
            created_by,
            last_synced_on,
            last_synced_by,
            target_tenant_ids,
            target_tenant_ids_without_relationship,
            templates,
            is_variable_per_template,
            variables,
            template_variables,
            sync_unit_statuses: _,
            extra,
        } = doc;
        Self {
            id,
            e_tag,
            name,
            description,
            created_on,
            created_by,
            last_synced_on,
            last_synced_by,
            target_tenant_ids,
            target_tenant_ids_without_relationship: *target_tenant_ids_without_relationship,
            templates,
            is_variable_per_template: *is_variable_per_template,
            variables,
            template_variables,
            extra,
        }
    }
}

fn to_body<T: Serialize>(value: &T, operation: &str) -> Result<Vec<u8>, ApiError> {
    serde_json::to_vec(value)
        .map_err(|e| ApiError::Config(format!("{operation}: encoding the request: {e}")))
}

fn assignment_path(id: &str) -> String {
    format!("/mtoapi/assignments/{}", encode_segment(id))
}

/// Percent-encodes an id for use as one path segment (so `a/b` or `..` stay inside it).
fn encode_segment(id: &str) -> String {
    let encoded: String = url::form_urlencoded::byte_serialize(id.as_bytes()).collect();
    // form encoding writes a space as '+' (a literal '+' is already %2B); in a path it is %20.
    let encoded = encoded.replace('+', "%20");
    match encoded.as_str() {
        "." => "%2E".to_owned(),
        ".." => "%2E%2E".to_owned(),
        _ => encoded,
    }
}

/// A short, secret-free description of a transport error. reqwest's own `Display` includes
/// the URL; this names the host only, and the root cause (e.g. "Connection refused").
pub(crate) fn describe_transport_error(e: &reqwest::Error) -> String {
    let host = e
        .url()
        .and_then(|u| {
            let host = u.host_str()?;
            Some(match u.port() {
                Some(port) => format!("{host}:{port}"),
                None => host.to_owned(),
            })
        })
        .unwrap_or_else(|| "the server".to_owned());
    let what = if e.is_connect() {
        format!("could not connect to {host}")
    } else if e.is_timeout() {
        format!("no whole answer from {host} in time")
    } else if e.is_body() || e.is_decode() {
        format!("the connection to {host} broke while reading the answer")
    } else if e.is_builder() {
        "could not build the request".to_owned()
    } else {
        format!("the connection to {host} failed before an answer came")
    };
    let mut root = None;
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        root = Some(s.to_string());
        source = s.source();
    }
    match root {
        Some(root) if !root.is_empty() => format!("{what}: {root}"),
        _ => what,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_body_is_the_document_without_its_units() {
        let doc: Assignment = serde_json::from_value(serde_json::json!({
            "id": "p1", "eTag": "e1", "name": "n", "description": "d",
            "createdOn": "2026-01-01T00:00:00Z", "targetTenantIds": ["t1"],
            "templates": [{"id": "1001", "type": "CustomDetectionRule", "name": "x"}],
            "variables": {"t1": {"EntraGroups": ["g"]}}, "someNewField": {"kept": true},
            "syncUnitStatuses": [{"id": "u1", "templateId": "1001", "targetTenantId": "t1"}]
        }))
        .unwrap();
        let mut full = serde_json::to_value(&doc).unwrap();
        full.as_object_mut().unwrap().remove("syncUnitStatuses");
        let body: serde_json::Value =
            serde_json::from_slice(&to_body(&PutBody::from(&doc), "test").unwrap()).unwrap();
        assert_eq!(body, full);
        assert_eq!(body["someNewField"]["kept"], true);
    }

    #[test]
    fn segments_are_encoded() {
        assert_eq!(encode_segment("abc-123_x.y"), "abc-123_x.y");
        assert_eq!(encode_segment("a/b c+d"), "a%2Fb%20c%2Bd");
        assert_eq!(encode_segment(".."), "%2E%2E");
    }

    #[test]
    fn urls_are_checked() {
        assert!(check_url("endpoint", "https://mto.security.microsoft.com/apiproxy").is_ok());
        assert!(check_url("endpoint", "http://127.0.0.1:8080").is_ok());
        assert!(check_url("endpoint", "mto.security.microsoft.com").is_err());
        assert!(check_url("endpoint", "ftp://x/").is_err());
    }

    #[test]
    fn attempts_budget() {
        let mut a = Attempts::new(2);
        assert_eq!(a.count(), 1);
        assert!(a.may_retry());
        a.count();
        assert!(a.may_retry());
        a.count();
        assert!(!a.may_retry());
    }
}
