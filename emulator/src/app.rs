//! The HTTP surface: one handler that routes by hand, so that every answer (unknown paths
//! included) has the contract's error shape and every route has a stable template name for
//! the counters.

use std::collections::{BTreeMap, HashMap};
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::auth::{self, Tokens};
use crate::error::ApiError;
use crate::faults::{FaultConfig, FaultState};
use crate::persist::Persister;
use crate::store::{self, AssignmentInput, Store};
use crate::world::{self, World, HOME_TENANT_ID};

/// Largest request body read, generous enough for a profile with thousands of targets.
const MAX_BODY: usize = 64 * 1024 * 1024;

/// Who is recorded as creator/syncer when the static token is used.
pub const STATIC_TOKEN_ACTOR: &str = "demo-operator@contoso.onmicrosoft.com";

/// Request counters by route template.
#[derive(Debug, Default, Serialize)]
pub struct Stats {
    pub total: u64,
    pub routes: BTreeMap<String, u64>,
}

pub struct App {
    pub world: World,
    pub client_id: String,
    client_secret: String,
    static_token: Option<String>,
    pub sync_delay_ms: AtomicU64,
    store: Mutex<Store>,
    tokens: Tokens,
    faults: Mutex<FaultState>,
    stats: Mutex<Stats>,
    persister: Option<Arc<Persister>>,
}

pub struct AppConfig {
    pub world: World,
    pub client_id: String,
    pub client_secret: String,
    pub static_token: Option<String>,
    pub sync_delay_ms: u64,
    pub faults: FaultConfig,
    pub store: Store,
    pub persister: Option<Arc<Persister>>,
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn internal(what: &str, e: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Unknown",
        format!("{what}: {e}"),
    )
}

fn json_response(status: StatusCode, body: Vec<u8>) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body,
    )
        .into_response()
}

fn to_json<T: Serialize>(status: StatusCode, value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => json_response(status, body),
        Err(e) => internal("encoding the answer", e).into_response(),
    }
}

/// Decodes `%XX` escapes of one path segment; a malformed escape is kept as is.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(v) = hex {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn read_body(body: Body) -> Result<Bytes, ApiError> {
    axum::body::to_bytes(body, MAX_BODY).await.map_err(|e| {
        ApiError::bad_request(format!(
            "could not read the request body (at most {MAX_BODY} bytes): {e}"
        ))
    })
}

fn parse_json<T: for<'de> Deserialize<'de>>(body: &[u8], what: &str) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request(format!(
            "the request body is empty; expected {what} as JSON"
        )));
    }
    serde_json::from_slice(body).map_err(|e| {
        ApiError::bad_request(format!("the request body is not valid {what} JSON: {e}"))
    })
}

/// The one handler behind every path.
pub async fn dispatch(State(app): State<Arc<App>>, req: Request) -> Response {
    let started = Instant::now();
    let request_id = uuid::Uuid::new_v4().to_string();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let mut resp = route(&app, req).await;
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        resp.headers_mut().insert("request-id", v);
    }
    tracing::debug!(
        %method,
        %path,
        status = resp.status().as_u16(),
        ms = started.elapsed().as_millis() as u64,
        request_id = %request_id,
        "request"
    );
    resp
}

async fn route(app: &Arc<App>, req: Request) -> Response {
    let segments: Vec<String> = req
        .uri()
        .path()
        .trim_start_matches('/')
        .split('/')
        .map(percent_decode)
        .collect();
    let seg: Vec<&str> = segments.iter().map(String::as_str).collect();
    match seg.as_slice() {
        ["_emulator", rest @ ..] => control(app, rest, req).await,
        ["apiproxy", rest @ ..] => api(app, rest, req).await,
        [tenant, "oauth2", "v2.0", "token"] => {
            let tenant = (*tenant).to_owned();
            token(app, &tenant, req).await
        }
        _ => ApiError::not_found(format!(
            "no such endpoint: {} {}; the API lives under /apiproxy/mtoapi and the token endpoint at /{{tenantId}}/oauth2/v2.0/token",
            req.method(),
            req.uri().path()
        ))
        .into_response(),
    }
}

// ---- API ----

enum Api {
    TenantPicker,
    List,
    Create,
    Get(String),
    Put(String),
    Delete(String),
    Sync(String),
    NotAllowed(&'static str),
    Unknown,
}

fn match_api(method: &Method, seg: &[&str]) -> (String, Api) {
    let m = method.as_str();
    let (template, allow): (&str, &'static str) = match seg {
        ["mtoapi", "tenants", "TenantPicker"] => ("/mtoapi/tenants/TenantPicker", "GET"),
        ["mtoapi", "assignments"] => ("/mtoapi/assignments", "GET, POST"),
        ["mtoapi", "assignments", id] if !id.is_empty() => {
            ("/mtoapi/assignments/{id}", "GET, PUT, DELETE")
        }
        ["mtoapi", "assignments", id, "sync"] if !id.is_empty() => {
            ("/mtoapi/assignments/{id}/sync", "POST")
        }
        _ => return (format!("{m} (unmatched)"), Api::Unknown),
    };
    let key = format!("{m} {template}");
    let id = seg.get(2).map(|s| (*s).to_owned()).unwrap_or_default();
    let route = match (m, seg.len(), template) {
        ("GET", 3, "/mtoapi/tenants/TenantPicker") => Api::TenantPicker,
        ("GET", 2, _) => Api::List,
        ("POST", 2, _) => Api::Create,
        ("GET", 3, _) => Api::Get(id),
        ("PUT", 3, _) => Api::Put(id),
        ("DELETE", 3, _) => Api::Delete(id),
        ("POST", 4, _) => Api::Sync(id),
        _ => Api::NotAllowed(allow),
    };
    (key, route)
}

const GATEWAY_PAGE: &str = "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n<body><h1>Bad Gateway</h1><p>The upstream service did not answer in time. Please retry your request.</p><hr><p>Azure Front Door</p></body></html>\n";

async fn api(app: &Arc<App>, seg: &[&str], req: Request) -> Response {
    let method = req.method().clone();
    let (key, route) = match_api(&method, seg);
    app.count(key);
    let plan = lock(&app.faults).plan(method == Method::GET, method == Method::PUT);
    sleep_ms(plan.latency_ms).await;
    if let Some(status) = plan.reject_status {
        return throttled(status, plan.retry_after_secs);
    }
    let (parts, body) = req.into_parts();
    let actor = match app.authenticate(&parts.headers) {
        Ok(a) => a,
        Err(e) => {
            let mut resp = e.into_response();
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer error=\"invalid_token\""),
            );
            return resp;
        }
    };
    if plan.garbage {
        return (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            GATEWAY_PAGE,
        )
            .into_response();
    }
    let result = match route {
        Api::TenantPicker => Ok(app.tenant_picker()),
        Api::List => app.list(),
        Api::Get(id) => app.get(&id),
        Api::Create => match read_body(body).await {
            Ok(b) => app.create(&b, &actor).await,
            Err(e) => Err(e),
        },
        Api::Put(id) => match read_body(body).await {
            Ok(b) => {
                app.put(&id, &parts.headers, &b, plan.foreign_write.as_deref())
                    .await
            }
            Err(e) => Err(e),
        },
        Api::Delete(id) => app.delete(&id).await,
        Api::Sync(id) => match read_body(body).await {
            Ok(b) => app.sync(&id, &b, &actor).await,
            Err(e) => Err(e),
        },
        Api::NotAllowed(allow) => {
            let mut resp = ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "BadRequest",
                format!("method {method} is not allowed here; allowed: {allow}"),
            )
            .into_response();
            resp.headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static(allow));
            Ok(resp)
        }
        Api::Unknown => Err(ApiError::not_found(format!(
            "no such API endpoint: {method} /apiproxy/{}",
            seg.join("/")
        ))),
    };
    let resp = result.unwrap_or_else(IntoResponse::into_response);
    if plan.drop_connection {
        return cut_short(resp).await;
    }
    resp
}

async fn sleep_ms(ms: u64) {
    if ms > 0 {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
}

fn throttled(status: u16, retry_after_secs: u64) -> Response {
    let err = if status == 429 {
        ApiError::too_many_requests(format!(
            "too many requests; retry after {retry_after_secs} seconds"
        ))
    } else {
        ApiError::service_unavailable(format!(
            "the service is temporarily unavailable; retry after {retry_after_secs} seconds"
        ))
    };
    let mut resp = err.into_response();
    if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
    resp
}

/// Sends the status and the first part of the body, then breaks the connection.
async fn cut_short(resp: Response) -> Response {
    let (mut parts, body) = resp.into_parts();
    let mut bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default()
        .to_vec();
    if bytes.is_empty() {
        // A bodiless answer (204) has nothing to cut: send a 200 with a body instead.
        parts.status = StatusCode::OK;
        parts.headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        bytes = br#"{"result":"done","detail":"this answer is cut short on purpose"}"#.to_vec();
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    let half = Bytes::from(bytes[..bytes.len().div_ceil(2)].to_vec());
    let stream = futures::stream::unfold(0u8, move |step| {
        let half = half.clone();
        async move {
            match step {
                0 => Some((Ok::<Bytes, io::Error>(half), 1)),
                1 => {
                    // Give the first chunk time to reach the client before breaking off.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    Some((
                        Err(io::Error::new(
                            io::ErrorKind::ConnectionAborted,
                            "connection dropped by the emulator's fault injection",
                        )),
                        2,
                    ))
                }
                _ => None,
            }
        }
    });
    Response::from_parts(parts, Body::from_stream(stream))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ManagedTenant<'a> {
    tenant_id: &'a str,
    name: &'a str,
    selected: bool,
    lost_access: bool,
    tenant_aad_environment: u32,
    added_on: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TenantPicker<'a> {
    tenant_info_list: Vec<ManagedTenant<'a>>,
    response_types: BTreeMap<&'static str, &'static str>,
}

#[derive(Serialize)]
struct Items<'a> {
    items: Vec<store::AssignmentView<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct SyncBody {
    target_tenant_ids: Option<Vec<String>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SyncAccepted<'a> {
    assignment_id: &'a str,
    sync_units: usize,
}

impl App {
    pub fn new(c: AppConfig) -> Self {
        Self {
            world: c.world,
            client_id: c.client_id,
            client_secret: c.client_secret,
            static_token: c.static_token,
            sync_delay_ms: AtomicU64::new(c.sync_delay_ms),
            store: Mutex::new(c.store),
            tokens: Tokens::default(),
            faults: Mutex::new(FaultState::new(c.faults)),
            stats: Mutex::new(Stats::default()),
            persister: c.persister,
        }
    }

    fn count(&self, key: String) {
        let mut stats = lock(&self.stats);
        stats.total += 1;
        *stats.routes.entry(key).or_insert(0) += 1;
    }

    fn authenticate(&self, headers: &HeaderMap) -> Result<String, ApiError> {
        let value = headers
            .get(header::AUTHORIZATION)
            .map(|v| v.to_str().unwrap_or(""));
        let token = auth::bearer(value)?;
        if self.static_token.as_deref() == Some(token) {
            return Ok(STATIC_TOKEN_ACTOR.to_owned());
        }
        self.tokens.check(token)
    }

    /// After a write: hands the snapshot to the persister (still under the store lock) and
    /// returns the version to wait for.
    fn offer(&self, store: &Store) -> Result<Option<u64>, ApiError> {
        match &self.persister {
            None => Ok(None),
            Some(p) => {
                let bytes = store
                    .snapshot()
                    .map_err(|e| internal("serialising the state", e))?;
                p.offer(store.version, bytes);
                Ok(Some(store.version))
            }
        }
    }

    async fn persist(&self, version: Option<u64>) -> Result<(), ApiError> {
        if let (Some(p), Some(v)) = (&self.persister, version) {
            p.persist_through(v).await.map_err(|e| {
                tracing::error!(path = %p.path().display(), error = %e, "could not write the state file");
                ApiError::service_unavailable(format!(
                    "the change could not be saved to the state file: {e}"
                ))
            })?;
        }
        Ok(())
    }

    fn tenant_picker(&self) -> Response {
        let list = self
            .world
            .tenants
            .iter()
            .map(|t| ManagedTenant {
                tenant_id: &t.tenant_id,
                name: &t.name,
                selected: true,
                lost_access: t.lost_access,
                tenant_aad_environment: 1,
                added_on: &t.added_on,
            })
            .collect();
        to_json(
            StatusCode::OK,
            &TenantPicker {
                tenant_info_list: list,
                response_types: BTreeMap::from([("B2B", "Success"), ("GDAP", "Success")]),
            },
        )
    }

    fn list(&self) -> Result<Response, ApiError> {
        let now = now_ms();
        let store = lock(&self.store);
        let items = store
            .list()
            .into_iter()
            .map(|a| store::view(a, &self.world, now))
            .collect();
        Ok(to_json(StatusCode::OK, &Items { items }))
    }

    fn get(&self, id: &str) -> Result<Response, ApiError> {
        let now = now_ms();
        let store = lock(&self.store);
        let a = store.get(id)?;
        Ok(to_json(StatusCode::OK, &store::view(a, &self.world, now)))
    }

    async fn create(&self, body: &[u8], actor: &str) -> Result<Response, ApiError> {
        let input: AssignmentInput = parse_json(body, "assignment")?;
        let now = now_ms();
        let (bytes, version) = {
            let mut store = lock(&self.store);
            let a = store.create(input, &self.world, actor, now)?;
            let bytes = serde_json::to_vec(&store::view(a, &self.world, now))
                .map_err(|e| internal("encoding the answer", e))?;
            (bytes, self.offer(&store)?)
        };
        self.persist(version).await?;
        Ok(json_response(StatusCode::CREATED, bytes))
    }

    async fn put(
        &self,
        id: &str,
        headers: &HeaderMap,
        body: &[u8],
        foreign_tenant: Option<&str>,
    ) -> Result<Response, ApiError> {
        if let Some(tenant) = foreign_tenant {
            // The injected foreign writer lands first; a missing assignment is left to the PUT.
            match self.foreign_write(id, tenant, None).await {
                Ok(_) => tracing::info!(assignment = id, tenant, "fault: foreign write before PUT"),
                Err(e) if e.status == StatusCode::NOT_FOUND => {}
                Err(e) => return Err(e),
            }
        }
        let input: AssignmentInput = parse_json(body, "assignment")?;
        let if_match = headers
            .get(header::IF_MATCH)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| {
                ApiError::bad_request(
                    "the If-Match header is required: send the eTag of the assignment as read",
                )
            })?
            .to_owned();
        let now = now_ms();
        let (bytes, version) = {
            let mut store = lock(&self.store);
            let a = store.update(id, &if_match, input, &self.world)?;
            let bytes = serde_json::to_vec(&store::view(a, &self.world, now))
                .map_err(|e| internal("encoding the answer", e))?;
            (bytes, self.offer(&store)?)
        };
        self.persist(version).await?;
        Ok(json_response(StatusCode::OK, bytes))
    }

    async fn delete(&self, id: &str) -> Result<Response, ApiError> {
        let version = {
            let mut store = lock(&self.store);
            store.delete(id)?;
            self.offer(&store)?
        };
        self.persist(version).await?;
        Ok(StatusCode::NO_CONTENT.into_response())
    }

    async fn sync(&self, id: &str, body: &[u8], actor: &str) -> Result<Response, ApiError> {
        let req: SyncBody = if body.iter().all(u8::is_ascii_whitespace) {
            SyncBody::default()
        } else {
            parse_json(body, "sync request")?
        };
        let now = now_ms();
        let delay = self.sync_delay_ms.load(Ordering::Relaxed);
        let (count, version) = {
            let mut store = lock(&self.store);
            let n = store.sync(id, req.target_tenant_ids, &self.world, actor, now, delay)?;
            (n, self.offer(&store)?)
        };
        self.persist(version).await?;
        Ok(to_json(
            StatusCode::ACCEPTED,
            &SyncAccepted {
                assignment_id: id,
                sync_units: count,
            },
        ))
    }

    /// One write by "someone else": used by the fault and the control endpoint.
    async fn foreign_write(
        &self,
        id: &str,
        tenant: &str,
        description: Option<String>,
    ) -> Result<Vec<u8>, ApiError> {
        let now = now_ms();
        let (bytes, version) = {
            let mut store = lock(&self.store);
            let a = store.foreign_write(id, tenant, description)?;
            let bytes = serde_json::to_vec(&store::view(a, &self.world, now))
                .map_err(|e| internal("encoding the answer", e))?;
            (bytes, self.offer(&store)?)
        };
        self.persist(version).await?;
        Ok(bytes)
    }

    fn fault_config(&self) -> FaultConfig {
        lock(&self.faults).config.clone()
    }
}

// ---- the authority ----

#[derive(Serialize)]
struct TokenError {
    error: &'static str,
    error_description: String,
    error_codes: [u32; 1],
    timestamp: String,
    trace_id: String,
    correlation_id: String,
}

fn token_error(status: StatusCode, error: &'static str, code: u32, text: String) -> Response {
    let trace_id = uuid::Uuid::new_v4().to_string();
    let correlation_id = uuid::Uuid::new_v4().to_string();
    let timestamp = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let body = TokenError {
        error,
        error_description: format!(
            "AADSTS{code}: {text} Trace ID: {trace_id} Correlation ID: {correlation_id} Timestamp: {timestamp}"
        ),
        error_codes: [code],
        timestamp,
        trace_id,
        correlation_id,
    };
    to_json(status, &body)
}

#[derive(Serialize)]
struct TokenAnswer {
    token_type: &'static str,
    expires_in: u64,
    ext_expires_in: u64,
    access_token: String,
}

async fn token(app: &Arc<App>, tenant: &str, req: Request) -> Response {
    app.count(format!("{} /token", req.method()));
    let config = app.fault_config();
    sleep_ms(config.latency_ms).await;
    if req.method() != Method::POST {
        return token_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "invalid_request",
            900561,
            "The endpoint only accepts POST requests.".into(),
        );
    }
    if !tenant.eq_ignore_ascii_case(HOME_TENANT_ID) {
        return token_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            90002,
            format!("Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. This emulator only issues tokens for its home tenant {HOME_TENANT_ID}."),
        );
    }
    let body = match read_body(req.into_body()).await {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let mut form: HashMap<String, String> = HashMap::new();
    for (k, v) in form_urlencoded::parse(&body) {
        form.entry(k.into_owned()).or_insert_with(|| v.into_owned());
    }
    let field = |name: &str| form.get(name).map(String::as_str).filter(|v| !v.is_empty());
    for name in ["grant_type", "client_id", "client_secret", "scope"] {
        if field(name).is_none() {
            return token_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                900144,
                format!("The request body must contain the following parameter: '{name}'."),
            );
        }
    }
    if field("grant_type") != Some("client_credentials") {
        return token_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            70003,
            "The app requested an unsupported grant type; only client_credentials is supported."
                .into(),
        );
    }
    let client_id = field("client_id").unwrap_or_default();
    if client_id != app.client_id {
        return token_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            700016,
            format!("Application with identifier '{client_id}' was not found in the directory '{HOME_TENANT_ID}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant."),
        );
    }
    if field("client_secret") != Some(app.client_secret.as_str()) {
        return token_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000215,
            format!("Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{client_id}'."),
        );
    }
    let lifetime = config.token_lifetime_secs;
    let token = app.tokens.issue(Duration::from_secs(lifetime), client_id);
    to_json(
        StatusCode::OK,
        &TokenAnswer {
            token_type: "Bearer",
            expires_in: lifetime,
            ext_expires_in: lifetime,
            access_token: token,
        },
    )
}

// ---- control endpoints ----

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WorldView<'a> {
    home_tenant_id: &'static str,
    client_id: &'a str,
    foreign_tenant_id: String,
    sync_delay_ms: u64,
    tenants: &'a [world::Tenant],
    content: &'a [world::Content],
}

#[derive(Serialize)]
struct FaultsView {
    #[serde(flatten)]
    config: FaultConfig,
    counters: crate::faults::FaultCounters,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
struct ForeignWriteBody {
    add_target_tenant_id: Option<String>,
    description: Option<String>,
}

async fn control(app: &Arc<App>, seg: &[&str], req: Request) -> Response {
    let method = req.method().clone();
    let result = match (method.as_str(), seg) {
        ("GET", ["world"]) => {
            let config = app.fault_config();
            Ok(to_json(
                StatusCode::OK,
                &WorldView {
                    home_tenant_id: HOME_TENANT_ID,
                    client_id: &app.client_id,
                    foreign_tenant_id: config.foreign_tenant_id,
                    sync_delay_ms: app.sync_delay_ms.load(Ordering::Relaxed),
                    tenants: &app.world.tenants,
                    content: &app.world.content,
                },
            ))
        }
        ("GET", ["stats"]) => Ok(to_json(StatusCode::OK, &*lock(&app.stats))),
        ("POST", ["stats", "reset"]) => {
            *lock(&app.stats) = Stats::default();
            Ok(to_json(StatusCode::OK, &Stats::default()))
        }
        ("GET", ["faults"]) => {
            let f = lock(&app.faults);
            Ok(to_json(
                StatusCode::OK,
                &FaultsView {
                    config: f.config.clone(),
                    counters: f.counters,
                },
            ))
        }
        ("POST", ["faults"]) => set_faults(app, req).await,
        ("POST", ["assignments", id, "foreign-write"]) => {
            let id = (*id).to_owned();
            control_foreign_write(app, &id, req).await
        }
        ("POST", ["reset"]) => {
            let version = {
                let mut store = lock(&app.store);
                store.clear();
                app.offer(&store)
            };
            match version {
                Ok(v) => app
                    .persist(v)
                    .await
                    .map(|()| StatusCode::NO_CONTENT.into_response()),
                Err(e) => Err(e),
            }
        }
        ("POST", ["tokens", "revoke"]) => {
            let n = app.tokens.revoke_all();
            Ok(to_json(StatusCode::OK, &BTreeMap::from([("revoked", n)])))
        }
        _ => Err(ApiError::not_found(format!(
            "no such control endpoint: {method} /_emulator/{}",
            seg.join("/")
        ))),
    };
    result.unwrap_or_else(IntoResponse::into_response)
}

async fn set_faults(app: &Arc<App>, req: Request) -> Result<Response, ApiError> {
    let body = read_body(req.into_body()).await?;
    let config: FaultConfig = if body.iter().all(u8::is_ascii_whitespace) {
        FaultConfig::default()
    } else {
        parse_json(&body, "fault configuration")?
    };
    if !world::is_guid(&config.foreign_tenant_id) {
        return Err(ApiError::bad_request(format!(
            "foreign_tenant_id {:?} is not a GUID",
            config.foreign_tenant_id
        )));
    }
    tracing::info!(?config, "fault configuration replaced");
    let mut f = lock(&app.faults);
    *f = FaultState::new(config);
    Ok(to_json(
        StatusCode::OK,
        &FaultsView {
            config: f.config.clone(),
            counters: f.counters,
        },
    ))
}

async fn control_foreign_write(
    app: &Arc<App>,
    id: &str,
    req: Request,
) -> Result<Response, ApiError> {
    let body = read_body(req.into_body()).await?;
    let fw: ForeignWriteBody = if body.iter().all(u8::is_ascii_whitespace) {
        ForeignWriteBody::default()
    } else {
        parse_json(&body, "foreign write")?
    };
    let tenant = fw
        .add_target_tenant_id
        .unwrap_or_else(|| app.fault_config().foreign_tenant_id);
    if !world::is_guid(&tenant) {
        return Err(ApiError::bad_request(format!(
            "addTargetTenantId {tenant:?} is not a GUID"
        )));
    }
    let bytes = app.foreign_write(id, &tenant, fw.description).await?;
    Ok(json_response(StatusCode::OK, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_path_segments() {
        assert_eq!(percent_decode("a%20b"), "a b");
        assert_eq!(percent_decode("abc"), "abc");
        assert_eq!(percent_decode("bad%zz"), "bad%zz");
        assert_eq!(percent_decode("end%2"), "end%2");
        assert_eq!(percent_decode("%41"), "A");
    }

    #[test]
    fn route_templates() {
        assert_eq!(
            match_api(&Method::GET, &["mtoapi", "assignments", "x"]).0,
            "GET /mtoapi/assignments/{id}"
        );
        assert_eq!(
            match_api(&Method::POST, &["mtoapi", "assignments", "x", "sync"]).0,
            "POST /mtoapi/assignments/{id}/sync"
        );
        assert!(matches!(
            match_api(&Method::PATCH, &["mtoapi", "assignments", "x"]).1,
            Api::NotAllowed(_)
        ));
        assert!(matches!(
            match_api(&Method::GET, &["mtoapi", "nope"]).1,
            Api::Unknown
        ));
    }
}
