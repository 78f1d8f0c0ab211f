//! Every request is logged (method, path, status, ms, request-id), and no log line carries a
//! secret or a token, even at TRACE with the HTTP stack's own logs.
//!
//! Alone in its own test binary on purpose: `tracing` caches per-callsite interest globally, and
//! a thread-local subscriber (`set_default`) racing with other test threads hitting the same
//! callsites can miss events.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "client_support/mod.rs"]
mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};

use serde_json::json;
use support::*;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.fetched-token.sig";

fn assert_clean(what: &str, text: &str) {
    for secret in [CLIENT_SECRET, TOKEN, STATIC_TOKEN] {
        assert!(!text.contains(secret), "{what} leaks a secret: {text}");
    }
}

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Buffer {
    type Writer = Buffer;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn a_full_request_cycle_logs_requests_but_no_secrets() {
    let buffer = Buffer::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(buffer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = MockServer::start().await;
    mount_token(&server, TOKEN, 3600, 1).await;
    mount_token(&server, &format!("{TOKEN}-2"), 3600, 1).await;
    Mock::given(method("GET"))
        .and(path("/mtoapi/assignments"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"error": {"code": "Unauthorized", "message": "expired"}})),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/mtoapi/assignments"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("request-id", "rid-list-1")
                .set_body_json(json!({"items": [assignment("p1", "alpha")]})),
        )
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/mtoapi/assignments/p1"))
        .respond_with(
            ResponseTemplate::new(503)
                .insert_header("retry-after", "0")
                .insert_header("request-id", "rid-put-503"),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/mtoapi/assignments/p1"))
        .respond_with(
            ResponseTemplate::new(412)
                .insert_header("request-id", "rid-put-412")
                .set_body_json(
                    json!({"error": {"code": "PreconditionFailed", "message": "stale"}}),
                ),
        )
        .mount(&server)
        .await;
    let client = secret_client(&server, policy(3));

    let items = client.list_assignments().await.unwrap();
    let e = client
        .put_assignment("p1", "etag-p1", &items[0])
        .await
        .unwrap_err();
    assert!(e.is_precondition_failed());
    assert_clean("the error", &format!("{e} {e:?}"));
    drop(_guard);

    let logs = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    assert_clean("the log", &logs);
    assert!(!logs.to_ascii_lowercase().contains("bearer"), "{logs}");
    let api_lines: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains("defender::api"))
        .collect();
    let line = |needles: &[&str]| {
        api_lines
            .iter()
            .any(|l| needles.iter().all(|n| l.contains(n)))
    };
    assert!(
        line(&[
            "DEBUG",
            "method=POST",
            "oauth2/v2.0/token",
            "status=200",
            "ms="
        ]),
        "{logs}"
    );
    assert!(
        line(&[
            "DEBUG",
            "method=GET",
            "path=/mtoapi/assignments",
            "status=401"
        ]),
        "{logs}"
    );
    assert!(
        line(&[
            "DEBUG",
            "method=GET",
            "path=/mtoapi/assignments",
            "status=200",
            "request_id=rid-list-1",
            "ms="
        ]),
        "{logs}"
    );
    assert!(
        line(&[
            "method=PUT",
            "path=/mtoapi/assignments/p1",
            "status=503",
            "request_id=rid-put-503"
        ]),
        "{logs}"
    );
    assert!(line(&["WARN", "method=PUT", "retrying"]), "{logs}");
    assert!(
        line(&[
            "method=PUT",
            "path=/mtoapi/assignments/p1",
            "status=412",
            "request_id=rid-put-412"
        ]),
        "{logs}"
    );
}
