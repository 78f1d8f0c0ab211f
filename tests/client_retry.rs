//! Retries: Retry-After, bounded backoff, transport errors, undecodable answers, error text.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "client_support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use serde_json::json;
use support::*;
use terraform_provider_defender::api::types::Assignment;
use terraform_provider_defender::api::{ApiError, RetryPolicy};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn throttled_then_ok(retry_after: &str, retry: RetryPolicy) -> Duration {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/mtoapi/assignments"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", retry_after)
                .set_body_json(
                    json!({"error": {"code": "TooManyRequests", "message": "slow down"}}),
                ),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/mtoapi/assignments"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"items": []})))
        .mount(&server)
        .await;
    let client = static_client(&server.uri(), retry);
    let started = Instant::now();
    client.list_assignments().await.unwrap();
    let waited = started.elapsed();
    assert_eq!(count(&server, "GET", "/mtoapi/assignments").await, 2);
    waited
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let waited = throttled_then_ok("1", policy(3)).await;
    assert!(waited >= Duration::from_secs(1), "{waited:?}");
    assert!(waited < Duration::from_secs(3), "{waited:?}");
}

#[tokio::test]
async fn retry_after_is_capped() {
    let retry = RetryPolicy {
        retry_after_cap: Duration::from_secs(1),
        ..policy(3)
    };
    let waited = throttled_then_ok("100", retry).await;
    assert!(waited >= Duration::from_secs(1), "{waited:?}");
    assert!(waited < Duration::from_secs(3), "{waited:?}");
}

#[tokio::test]
async fn throttling_gives_up_after_max_retries() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/mtoapi/assignments/p1"))
        .respond_with(
            ResponseTemplate::new(503)
                .insert_header("request-id", "rid-503")
                .set_body_json(
                    json!({"error": {"code": "ServiceUnavailable", "message": "try later"}}),
                ),
        )
        .mount(&server)
        .await;
    let client = static_client(&server.uri(), policy(3));

    let e = client.get_assignment("p1").await.unwrap_err();
    assert_eq!(count(&server, "GET", "/mtoapi/assignments/p1").await, 4);
    assert_eq!(e.status(), Some(503));
    assert_eq!(e.code(), Some("ServiceUnavailable"));
    assert_eq!(e.request_id(), Some("rid-503"));
    assert!(e.to_string().contains("gave up after 4 attempts"), "{e}");
}

#[tokio::test]
async fn a_throttled_put_is_retried_the_server_did_nothing() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path("/mtoapi/assignments/p1"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "0"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/mtoapi/assignments/p1"))
        .and(header("if-match", "etag-p1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(assignment("p1", "alpha")))
        .mount(&server)
        .await;
    let client = static_client(&server.uri(), policy(3));
    let doc: Assignment = serde_json::from_value(assignment("p1", "alpha")).unwrap();

    let put = client.put_assignment("p1", "etag-p1", &doc).await.unwrap();
    assert_eq!(put.id, "p1");
    assert_eq!(count(&server, "PUT", "/mtoapi/assignments/p1").await, 2);
}

#[tokio::test]
async fn never_sent_requests_are_retried_a_bounded_number_of_times() {
    let uri = closed_port_uri().await;
    let client = static_client(&uri, policy(3));
    let doc = Assignment::default();

    for e in [
        client.list_assignments().await.unwrap_err(),
        // Even a PUT: a refused connection proves nothing was sent.
        client.put_assignment("p1", "etag", &doc).await.unwrap_err(),
    ] {
        assert!(matches!(e, ApiError::Transport { .. }), "{e:?}");
        assert!(!e.is_ambiguous(), "{e}");
        let text = e.to_string();
        assert!(text.contains("could not connect"), "{text}");
        assert!(text.contains("gave up after 4 attempts"), "{text}");
    }
}

#[tokio::test]
async fn reads_whose_connection_drops_are_retried_a_bounded_number_of_times() {
    let server = RawServer::start(|_, _, _| Action::Drop).await;
    let client = static_client(&server.uri, policy(2));

    let e = client.get_assignment("p1").await.unwrap_err();
    assert_eq!(server.count("GET", "/mtoapi/assignments/p1"), 3);
    assert!(matches!(e, ApiError::Transport { .. }), "{e:?}");
    assert!(e.to_string().contains("gave up after 3 attempts"), "{e}");
}

#[tokio::test]
async fn gateway_errors_are_retried_on_reads() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/mtoapi/assignments/p1"))
        .respond_with(ResponseTemplate::new(502).set_body_string("<html>Bad Gateway</html>"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/mtoapi/assignments/p1"))
        .respond_with(ResponseTemplate::new(504))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/mtoapi/assignments/p1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(assignment("p1", "alpha")))
        .mount(&server)
        .await;
    let client = static_client(&server.uri(), policy(3));

    assert_eq!(client.get_assignment("p1").await.unwrap().name, "alpha");
    assert_eq!(count(&server, "GET", "/mtoapi/assignments/p1").await, 3);
}

#[tokio::test]
async fn api_errors_read_well() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/mtoapi/assignments/p1"))
        .respond_with(
            ResponseTemplate::new(404)
                .insert_header("request-id", "rid-404")
                .set_body_json(json!({"error": {"code": "NotFound", "message": "Assignment p1 was not found."}})),
        )
        .mount(&server)
        .await;
    let client = static_client(&server.uri(), policy(3));

    let e = client.get_assignment("p1").await.unwrap_err();
    assert!(e.is_not_found());
    assert_eq!(
        count(&server, "GET", "/mtoapi/assignments/p1").await,
        1,
        "404 is final"
    );
    assert_eq!(
        e.to_string(),
        "reading distribution profile p1: HTTP 404 Not Found, code NotFound: \
         Assignment p1 was not found. (request-id rid-404)"
    );
}

#[tokio::test]
async fn a_non_json_error_body_gives_clear_text() {
    let server = MockServer::start().await;
    let page = "<!DOCTYPE html><html><head><title>500</title></head><body>Oops</body></html>";
    Mock::given(method("DELETE"))
        .and(path("/mtoapi/assignments/p1"))
        .respond_with(
            ResponseTemplate::new(500)
                .insert_header("request-id", "rid-500")
                .set_body_raw(page, "text/html"),
        )
        .mount(&server)
        .await;
    let client = static_client(&server.uri(), policy(3));

    let e = client.delete_assignment("p1").await.unwrap_err();
    let text = e.to_string();
    assert_eq!(
        text,
        format!(
            "deleting distribution profile p1: HTTP 500 Internal Server Error, code Unknown: \
             the answer is not an API error (an HTML page of {} bytes) (request-id rid-500)",
            page.len()
        )
    );
    assert!(!text.contains("DOCTYPE"));
}

#[tokio::test]
async fn a_200_gateway_page_on_a_read_is_retried() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/mtoapi/assignments"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw("<html><body>Signing you in…</body></html>", "text/html"),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/mtoapi/assignments"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"items": [assignment("p1", "alpha")]})),
        )
        .mount(&server)
        .await;
    let client = static_client(&server.uri(), policy(3));

    let items = client.list_assignments().await.unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(count(&server, "GET", "/mtoapi/assignments").await, 2);
}

#[tokio::test]
async fn a_200_gateway_page_on_a_put_is_ambiguous_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path("/mtoapi/assignments/p1"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("request-id", "rid-put")
                .set_body_raw("<html>proxy</html>", "text/html"),
        )
        .mount(&server)
        .await;
    let client = static_client(&server.uri(), policy(3));
    let doc: Assignment = serde_json::from_value(assignment("p1", "alpha")).unwrap();

    let e = client
        .put_assignment("p1", "etag-p1", &doc)
        .await
        .unwrap_err();
    assert!(matches!(e, ApiError::Decode { .. }), "{e:?}");
    assert!(e.is_ambiguous());
    assert_eq!(e.request_id(), Some("rid-put"));
    assert!(e.to_string().contains("an HTML page of 18 bytes"), "{e}");
    assert_eq!(count(&server, "PUT", "/mtoapi/assignments/p1").await, 1);
}

#[tokio::test]
async fn a_stale_etag_is_precondition_failed_and_final() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path("/mtoapi/assignments/p1"))
        .respond_with(ResponseTemplate::new(412).set_body_json(
            json!({"error": {"code": "PreconditionFailed", "message": "eTag mismatch"}}),
        ))
        .mount(&server)
        .await;
    let client = static_client(&server.uri(), policy(3));

    let e = client
        .put_assignment("p1", "old", &Assignment::default())
        .await
        .unwrap_err();
    assert!(e.is_precondition_failed());
    assert!(!e.is_ambiguous());
    assert_eq!(count(&server, "PUT", "/mtoapi/assignments/p1").await, 1);
}

#[tokio::test]
async fn sync_sends_the_targets_or_an_empty_object() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/mtoapi/assignments/p%2F1/sync"))
        .respond_with(
            ResponseTemplate::new(202)
                .set_body_json(json!({"assignmentId": "p/1", "syncUnits": 4})),
        )
        .mount(&server)
        .await;
    let client = static_client(&server.uri(), policy(0));

    let accepted = client.sync_assignment("p/1", None).await.unwrap();
    assert_eq!(accepted.sync_units, 4);
    client
        .sync_assignment("p/1", Some(vec![TENANT.to_owned()]))
        .await
        .unwrap();
    let bodies: Vec<serde_json::Value> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    assert_eq!(bodies, [json!({}), json!({"targetTenantIds": [TENANT]})]);
}

#[tokio::test]
async fn a_bare_202_sync_is_accepted_not_resent() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/mtoapi/assignments/p1/sync"))
        .respond_with(ResponseTemplate::new(202))
        .mount(&server)
        .await;
    let client = static_client(&server.uri(), policy(3));

    let accepted = client.sync_assignment("p1", None).await.unwrap();
    assert_eq!(accepted.assignment_id, "p1");
    assert_eq!(
        count(&server, "POST", "/mtoapi/assignments/p1/sync").await,
        1
    );
    assert!(!format!("{client:?}").contains(STATIC_TOKEN));
}
