//! Helpers shared by the `client_*` integration tests: clients with fast retry settings,
//! wiremock fixtures, and a hand-rolled HTTP server that can drop connections (which wiremock
//! cannot).
#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use terraform_provider_defender::api::{Client, ClientConfig, Credentials, RetryPolicy, Secret};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub const TENANT: &str = "11111111-1111-1111-1111-111111111111";
pub const CLIENT_SECRET: &str = "cs-Very~Secret.Value_0123456789";
pub const STATIC_TOKEN: &str = "static-token-abcdefghijklmnop";

pub fn token_path() -> String {
    format!("/{TENANT}/oauth2/v2.0/token")
}

/// Fast retries: 10 ms base, 50 ms max, Retry-After capped at 5 s.
pub fn policy(max_retries: u32) -> RetryPolicy {
    RetryPolicy {
        max_retries,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
        retry_after_cap: Duration::from_secs(5),
    }
}

pub fn secret_credentials(authority: &str) -> Credentials {
    Credentials::ClientSecret {
        authority_host: authority.to_owned(),
        tenant_id: TENANT.to_owned(),
        client_id: "client-id-1".to_owned(),
        client_secret: Secret::new(CLIENT_SECRET),
        scope: "https://api.security.microsoft.com/.default".to_owned(),
    }
}

pub fn config(endpoint: &str, credentials: Credentials, retry: RetryPolicy) -> ClientConfig {
    ClientConfig {
        endpoint: endpoint.to_owned(),
        credentials,
        retry,
        request_timeout: Duration::from_secs(5),
        user_agent: "terraform-provider-defender/test".to_owned(),
    }
}

pub fn static_client(endpoint: &str, retry: RetryPolicy) -> Client {
    Client::new(config(
        endpoint,
        Credentials::AccessToken(Secret::new(STATIC_TOKEN)),
        retry,
    ))
    .unwrap()
}

/// A client whose API and authority are both `server`.
pub fn secret_client(server: &MockServer, retry: RetryPolicy) -> Client {
    Client::new(config(
        &server.uri(),
        secret_credentials(&server.uri()),
        retry,
    ))
    .unwrap()
}

pub fn token_body(token: &str, expires_in: u64) -> Value {
    json!({"token_type": "Bearer", "expires_in": expires_in, "ext_expires_in": expires_in, "access_token": token})
}

/// Serves `token` from the token endpoint at most `times` times (then the next mounted one).
pub async fn mount_token(server: &MockServer, token: &str, expires_in: u64, times: u64) {
    Mock::given(method("POST"))
        .and(path(token_path()))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body(token, expires_in)))
        .up_to_n_times(times)
        .mount(server)
        .await;
}

pub fn assignment(id: &str, name: &str) -> Value {
    json!({
        "id": id, "eTag": format!("etag-{id}"), "name": name, "description": "",
        "createdOn": "2024-05-01T10:00:00Z", "createdBy": "admin@contoso.com",
        "lastSyncedOn": null, "lastSyncedBy": null,
        "targetTenantIds": [], "targetTenantIdsWithoutRelationship": 0,
        "templates": [], "isVariablePerTemplate": false,
        "variables": {}, "templateVariables": {}, "syncUnitStatuses": []
    })
}

/// How many requests `server` received with this method and path.
pub async fn count(server: &MockServer, m: &str, p: &str) -> usize {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.method.as_str() == m && r.url.path() == p)
        .count()
}

/// What [`RawServer`] does with one request.
pub enum Action {
    /// Write these bytes (a whole HTTP response, or a cut-off one) and close.
    Write(String),
    /// Close the connection without a word.
    Drop,
}

pub fn http_response(status: u16, reason: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\nrequest-id: raw-{status}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// A response that promises `promised` body bytes and sends only `body`, then closes.
pub fn truncated_response(status: u16, body: &str, promised: usize) -> String {
    format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {promised}\r\nconnection: close\r\n\r\n{body}"
    )
}

/// A minimal HTTP/1.1 server on a loopback port: one request per connection, answered by a
/// handler that may also drop the connection or cut the answer short.
pub struct RawServer {
    pub uri: String,
    /// `(method, path)` of every request received, in order.
    pub requests: Arc<Mutex<Vec<(String, String)>>>,
}

impl RawServer {
    pub async fn start<F>(handler: F) -> Self
    where
        F: Fn(&str, &str, usize) -> Action + Send + Sync + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let uri = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        let handler = Arc::new(handler);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let seen = seen.clone();
                let handler = handler.clone();
                tokio::spawn(async move {
                    let _ = serve_one(stream, seen, handler).await;
                });
            }
        });
        Self { uri, requests }
    }

    pub fn count(&self, m: &str, p: &str) -> usize {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .filter(|(rm, rp)| rm == m && rp == p)
            .count()
    }
}

async fn serve_one<F>(
    mut stream: TcpStream,
    seen: Arc<Mutex<Vec<(String, String)>>>,
    handler: Arc<F>,
) -> std::io::Result<()>
where
    F: Fn(&str, &str, usize) -> Action,
{
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    // Read the head.
    let head_end = loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.lines();
    let mut first = lines.next().unwrap_or_default().split_whitespace();
    let m = first.next().unwrap_or_default().to_owned();
    let p = first.next().unwrap_or_default().to_owned();
    let length: usize = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or(0);
    // Read the whole body, so that the request is certainly "sent".
    while buf.len() < head_end + length {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let n = {
        let mut seen = seen.lock().unwrap();
        seen.push((m.clone(), p.clone()));
        seen.iter().filter(|(sm, sp)| *sm == m && *sp == p).count()
    };
    match handler(&m, &p, n) {
        Action::Write(bytes) => {
            stream.write_all(bytes.as_bytes()).await?;
            stream.flush().await?;
            stream.shutdown().await?;
        }
        Action::Drop => {}
    }
    Ok(())
}

/// A loopback port with nothing listening on it.
pub async fn closed_port_uri() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}
