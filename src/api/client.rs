//! The HTTP client: auth, retries, logging, decoding.

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::auth::{Credentials, TokenSource};
use super::error::ApiError;
use super::retry::{parse_retry_after, RetryPolicy};
use super::types::{
    Assignment, AssignmentList, ErrorEnvelope, NewAssignment, SyncAccepted, SyncRequest,
    TenantPicker,
};

/// Everything the client needs to talk to the API.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Base URL up to and including `/apiproxy`; paths `/mtoapi/…` are appended.
    pub endpoint: String,
    pub credentials: Credentials,
    pub retry: RetryPolicy,
    /// Timeout of one HTTP attempt.
    pub request_timeout: Duration,
    pub user_agent: String,
}

/// A cheap-to-clone handle; all clones share one connection pool and one token.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base: String,
    tokens: TokenSource,
    retry: RetryPolicy,
}

/// One request to send, possibly several times.
struct Call<'a> {
    method: Method,
    path: String,
    body: Option<Vec<u8>>,
    if_match: Option<&'a str>,
    operation: String,
    /// Safe to repeat after an answer was lost (GET, DELETE, sync).
    idempotent: bool,
}

/// A 2xx answer.
struct Answer {
    status: u16,
    body: bytes_like::Bytes,
    request_id: Option<String>,
}

mod bytes_like {
    pub type Bytes = Vec<u8>;
}

impl Client {
    pub fn new(config: ClientConfig) -> Result<Self, ApiError> {
        let http = reqwest::Client::builder()
            .user_agent(config.user_agent)
            .timeout(config.request_timeout)
            .connect_timeout(Duration::from_secs(10))
            .tcp_nodelay(true)
            .build()
            .map_err(|e| ApiError::Config(format!("building the HTTP client: {e}")))?;
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                base: config.endpoint.trim_end_matches('/').to_owned(),
                tokens: TokenSource::new(config.credentials),
                retry: config.retry,
            }),
        })
    }

    /// `GET /mtoapi/tenants/TenantPicker`.
    pub async fn tenant_picker(&self) -> Result<TenantPicker, ApiError> {
        self.json(Call::get(
            "/mtoapi/tenants/TenantPicker",
            "reading the tenant picker",
        ))
        .await
    }

    /// `GET /mtoapi/assignments`.
    pub async fn list_assignments(&self) -> Result<Vec<Assignment>, ApiError> {
        let list: AssignmentList = self
            .json(Call::get(
                "/mtoapi/assignments",
                "listing distribution profiles",
            ))
            .await?;
        Ok(list.items)
    }

    /// `GET /mtoapi/assignments/{id}`; a missing profile is an error with `is_not_found()`.
    pub async fn get_assignment(&self, id: &str) -> Result<Assignment, ApiError> {
        self.json(Call::get(
            &format!("/mtoapi/assignments/{}", encode(id)),
            &format!("reading distribution profile {id}"),
        ))
        .await
    }

    /// `POST /mtoapi/assignments`. If an attempt's answer is lost, the profile is looked up by
    /// name before trying again, so a retry never creates a second profile.
    pub async fn create_assignment(&self, new: &NewAssignment) -> Result<Assignment, ApiError> {
        let operation = format!("creating distribution profile {:?}", new.name);
        let body = to_body(new, &operation)?;
        let mut call = Call {
            method: Method::POST,
            path: "/mtoapi/assignments".into(),
            body: Some(body),
            if_match: None,
            operation,
            idempotent: false,
        };
        let mut lookups = 0;
        loop {
            match self.json::<Assignment>(call).await {
                Err(e) if e.is_ambiguous() && lookups < self.inner.retry.max_retries.max(1) => {
                    lookups += 1;
                    tracing::warn!(target: "defender::api", name = %new.name, error = %e, "create answer lost; looking the profile up by name before retrying");
                    if let Some(found) = self.find_by_name(&new.name).await? {
                        return Ok(found);
                    }
                    call = Call {
                        method: Method::POST,
                        path: "/mtoapi/assignments".into(),
                        body: Some(to_body(new, "creating distribution profile")?),
                        if_match: None,
                        operation: format!("creating distribution profile {:?}", new.name),
                        idempotent: false,
                    };
                }
                other => return other,
            }
        }
    }

    /// `PUT /mtoapi/assignments/{id}` with `If-Match`. A stale eTag is an error with
    /// `is_precondition_failed()`; a lost answer is one with `is_ambiguous()` (the write may
    /// have landed), which callers resolve by reading the profile again.
    pub async fn put_assignment(
        &self,
        id: &str,
        e_tag: &str,
        doc: &Assignment,
    ) -> Result<Assignment, ApiError> {
        let operation = format!("updating distribution profile {id}");
        let body = to_body(doc, &operation)?;
        self.json(Call {
            method: Method::PUT,
            path: format!("/mtoapi/assignments/{}", encode(id)),
            body: Some(body),
            if_match: Some(e_tag),
            operation,
            idempotent: false,
        })
        .await
    }

    /// `DELETE /mtoapi/assignments/{id}`; a missing profile is an error with `is_not_found()`.
    pub async fn delete_assignment(&self, id: &str) -> Result<(), ApiError> {
        self.send(Call {
            method: Method::DELETE,
            path: format!("/mtoapi/assignments/{}", encode(id)),
            body: None,
            if_match: None,
            operation: format!("deleting distribution profile {id}"),
            idempotent: true,
        })
        .await
        .map(|_| ())
    }

    /// `POST /mtoapi/assignments/{id}/sync`, for all targets (`None`) or some.
    pub async fn sync_assignment(
        &self,
        id: &str,
        target_tenant_ids: Option<Vec<String>>,
    ) -> Result<SyncAccepted, ApiError> {
        let operation = format!("starting a sync of distribution profile {id}");
        let body = to_body(&SyncRequest { target_tenant_ids }, &operation)?;
        self.json(Call {
            method: Method::POST,
            path: format!("/mtoapi/assignments/{}/sync", encode(id)),
            body: Some(body),
            if_match: None,
            operation,
            idempotent: true,
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

    async fn json<T: DeserializeOwned>(&self, call: Call<'_>) -> Result<T, ApiError> {
        let operation = call.operation.clone();
        let answer = self.send(call).await?;
        serde_json::from_slice(&answer.body).map_err(|e| ApiError::Decode {
            operation,
            status: answer.status,
            detail: describe_json_error(&e, &answer.body),
            request_id: answer.request_id,
        })
    }

    /// Sends `call`, retrying what may be retried, and returns the 2xx answer.
    async fn send(&self, call: Call<'_>) -> Result<Answer, ApiError> {
        let inner = &*self.inner;
        let url = format!("{}{}", inner.base, call.path);
        let mut attempt: u32 = 0;
        let mut renewed_after_401 = false;
        loop {
            let token = inner.tokens.token(&inner.http).await?;
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
            if let Some(tag) = call.if_match {
                req = req.header(reqwest::header::IF_MATCH, tag);
            }
            let started = Instant::now();
            let outcome = match req.send().await {
                Ok(resp) => {
                    let status = resp.status();
                    let request_id = header(&resp, "request-id")
                        .or_else(|| header(&resp, "x-ms-request-id"))
                        .or_else(|| header(&resp, "client-request-id"));
                    let retry_after =
                        header(&resp, "retry-after").and_then(|v| parse_retry_after(&v));
                    match resp.bytes().await {
                        Ok(body) => Ok((status, request_id, retry_after, body.to_vec())),
                        Err(e) => Err((e, Some(status))),
                    }
                }
                Err(e) => Err((e, None)),
            };
            let ms = started.elapsed().as_millis() as u64;
            attempt += 1;
            let retries_left = attempt <= inner.retry.max_retries;
            match outcome {
                Ok((status, request_id, retry_after, body)) => {
                    tracing::debug!(
                        target: "defender::api",
                        method = %call.method,
                        path = %call.path,
                        status = status.as_u16(),
                        ms,
                        request_id = request_id.as_deref().unwrap_or("-"),
                        attempt,
                        "API request"
                    );
                    if status.is_success() {
                        // A gateway page with 200 on a read: retry, it is safe.
                        if call.idempotent
                            && retries_left
                            && !body.is_empty()
                            && serde_json::from_slice::<serde::de::IgnoredAny>(&body).is_err()
                        {
                            let wait = inner.retry.delay(attempt, None);
                            tracing::warn!(target: "defender::api", method = %call.method, path = %call.path, wait_ms = wait.as_millis() as u64, "answer is not JSON; retrying");
                            tokio::time::sleep(wait).await;
                            continue;
                        }
                        return Ok(Answer {
                            status: status.as_u16(),
                            body,
                            request_id,
                        });
                    }
                    if status == StatusCode::UNAUTHORIZED && !renewed_after_401 {
                        renewed_after_401 = true;
                        if inner.tokens.invalidate(&token).await {
                            tracing::debug!(target: "defender::api", "401: renewing the token once");
                            attempt -= 1;
                            continue;
                        }
                    }
                    let throttled = matches!(status.as_u16(), 429 | 503);
                    let gateway = matches!(status.as_u16(), 502 | 504);
                    if retries_left && (throttled || (gateway && call.idempotent)) {
                        let wait = inner.retry.delay(attempt, retry_after);
                        tracing::warn!(
                            target: "defender::api",
                            method = %call.method,
                            path = %call.path,
                            status = status.as_u16(),
                            wait_ms = wait.as_millis() as u64,
                            attempt,
                            "retrying"
                        );
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                    return Err(api_error(
                        &call.operation,
                        status.as_u16(),
                        &body,
                        request_id,
                    ));
                }
                Err((e, status)) => {
                    // Not sent at all: always safe to retry. Sent: only idempotent calls.
                    let sent = !e.is_connect() && !e.is_builder();
                    tracing::debug!(
                        target: "defender::api",
                        method = %call.method,
                        path = %call.path,
                        status = status.map(|s| s.as_u16()).unwrap_or(0),
                        ms,
                        attempt,
                        error = %describe_reqwest_error(&e),
                        "API request failed"
                    );
                    if retries_left && (!sent || call.idempotent) {
                        let wait = inner.retry.delay(attempt, None);
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                    return Err(ApiError::Transport {
                        operation: call.operation.clone(),
                        message: describe_reqwest_error(&e),
                        ambiguous: sent,
                    });
                }
            }
        }
    }
}

impl Call<'_> {
    fn get(path: &str, operation: &str) -> Self {
        Self {
            method: Method::GET,
            path: path.to_owned(),
            body: None,
            if_match: None,
            operation: operation.to_owned(),
            idempotent: true,
        }
    }
}

fn header(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn to_body<T: Serialize>(value: &T, operation: &str) -> Result<Vec<u8>, ApiError> {
    serde_json::to_vec(value)
        .map_err(|e| ApiError::Config(format!("{operation}: encoding the request: {e}")))
}

/// Percent-encodes an id for use as one path segment.
fn encode(id: &str) -> String {
    url::form_urlencoded::byte_serialize(id.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

fn api_error(operation: &str, status: u16, body: &[u8], request_id: Option<String>) -> ApiError {
    let parsed: Option<ErrorEnvelope> = serde_json::from_slice(body).ok();
    let (code, message) = match parsed {
        Some(env) if !env.error.code.is_empty() => (env.error.code, env.error.message),
        _ => (
            default_code(status).to_owned(),
            format!(
                "the answer carried no API error body ({})",
                describe_body(body)
            ),
        ),
    };
    ApiError::Api {
        operation: operation.to_owned(),
        status,
        code,
        message,
        request_id,
    }
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
        503 => "ServiceUnavailable",
        _ => "Unknown",
    }
}

fn describe_body(body: &[u8]) -> String {
    if body.is_empty() {
        return "empty body".into();
    }
    let text = String::from_utf8_lossy(body);
    let trimmed = text.trim_start();
    if trimmed.starts_with('<') {
        return format!("an HTML or XML page of {} bytes", body.len());
    }
    let snippet: String = trimmed.chars().take(80).collect();
    format!("{} bytes starting {:?}", body.len(), snippet)
}

fn describe_json_error(e: &serde_json::Error, body: &[u8]) -> String {
    format!("{e}; got {}", describe_body(body))
}

/// A short, secret-free description of a transport error (reqwest's Display can include the URL,
/// never headers).
pub(crate) fn describe_reqwest_error(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_body() || e.is_decode() {
        "the connection broke while reading the answer"
    } else if e.is_request() {
        "the request failed"
    } else {
        "transport error"
    };
    let mut source = std::error::Error::source(e);
    let mut detail = String::new();
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    if detail.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind}: {detail}")
    }
}
