//! The token: fetched once per client, shared, renewed before expiry and after a 401.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "client_support/mod.rs"]
mod support;

use std::time::Duration;

use serde_json::json;
use support::*;
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn mount_list(server: &MockServer, token: &str) {
    Mock::given(method("GET"))
        .and(path("/mtoapi/assignments"))
        .and(header("authorization", format!("Bearer {token}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"items": []})))
        .mount(server)
        .await;
}

#[tokio::test]
async fn token_is_fetched_once_and_shared_by_clones_and_concurrent_requests() {
    let server = MockServer::start().await;
    // A slow authority, so that the concurrent first calls really overlap the fetch.
    Mock::given(method("POST"))
        .and(path(token_path()))
        .and(body_string_contains("grant_type=client_credentials"))
        .and(body_string_contains("client_id=client-id-1"))
        .and(body_string_contains(
            "scope=https%3A%2F%2Fapi.security.microsoft.com%2F.default",
        ))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(token_body("tok-1", 3600))
                .set_delay(Duration::from_millis(200)),
        )
        .mount(&server)
        .await;
    mount_list(&server, "tok-1").await;
    let client = secret_client(&server, policy(3));

    // Concurrent first calls, from clones.
    let calls = (0..20).map(|_| {
        let c = client.clone();
        async move { c.list_assignments().await }
    });
    for result in futures::future::join_all(calls).await {
        result.unwrap();
    }
    // And later sequential ones.
    for _ in 0..5 {
        client.list_assignments().await.unwrap();
    }

    assert_eq!(count(&server, "POST", &token_path()).await, 1);
    assert_eq!(count(&server, "GET", "/mtoapi/assignments").await, 25);
}

#[tokio::test]
async fn token_is_renewed_before_it_expires() {
    let server = MockServer::start().await;
    mount_token(&server, "tok-1", 1, 1).await; // renewed after 0.8 s
    mount_token(&server, "tok-2", 3600, 1).await;
    mount_list(&server, "tok-1").await;
    mount_list(&server, "tok-2").await;
    let client = secret_client(&server, policy(0));

    client.list_assignments().await.unwrap();
    client.list_assignments().await.unwrap();
    assert_eq!(
        count(&server, "POST", &token_path()).await,
        1,
        "still fresh"
    );

    tokio::time::sleep(Duration::from_millis(900)).await;
    client.list_assignments().await.unwrap();
    client.list_assignments().await.unwrap();
    assert_eq!(count(&server, "POST", &token_path()).await, 2);
    let sent: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/mtoapi/assignments")
        .map(|r| r.headers["authorization"].to_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        sent,
        [
            "Bearer tok-1",
            "Bearer tok-1",
            "Bearer tok-2",
            "Bearer tok-2"
        ]
    );
}

#[tokio::test]
async fn token_is_renewed_once_after_a_401() {
    let server = MockServer::start().await;
    mount_token(&server, "tok-1", 3600, 1).await;
    mount_token(&server, "tok-2", 3600, 1).await;
    Mock::given(method("GET"))
        .and(path("/mtoapi/assignments"))
        .and(header("authorization", "Bearer tok-1"))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(
                json!({"error": {"code": "Unauthorized", "message": "token revoked"}}),
            ),
        )
        .mount(&server)
        .await;
    mount_list(&server, "tok-2").await;
    let client = secret_client(&server, policy(0));

    client.list_assignments().await.unwrap();
    assert_eq!(count(&server, "POST", &token_path()).await, 2);
    assert_eq!(count(&server, "GET", "/mtoapi/assignments").await, 2);
}

#[tokio::test]
async fn a_401_with_a_renewed_token_too_is_an_error_not_a_loop() {
    let server = MockServer::start().await;
    mount_token(&server, "tok-any", 3600, 100).await;
    Mock::given(method("GET"))
        .and(path("/mtoapi/assignments"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    let client = secret_client(&server, policy(3));

    let e = client.list_assignments().await.unwrap_err();
    assert_eq!(e.status(), Some(401));
    assert_eq!(count(&server, "POST", &token_path()).await, 2);
    assert_eq!(count(&server, "GET", "/mtoapi/assignments").await, 2);
}

#[tokio::test]
async fn a_static_token_is_sent_as_is_and_a_401_is_final() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/mtoapi/tenants/TenantPicker"))
        .and(header(
            "authorization",
            format!("Bearer {STATIC_TOKEN}").as_str(),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "tenantInfoList": [{"tenantId": TENANT, "name": "Contoso", "selected": true,
                                "lostAccess": false, "tenantAadEnvironment": 1,
                                "addedOn": "2024-01-01T00:00:00Z"}],
            "responseTypes": {"B2B": "ok", "GDAP": "ok"}
        })))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/mtoapi/tenants/TenantPicker"))
        .respond_with(ResponseTemplate::new(401).insert_header("request-id", "rid-401"))
        .mount(&server)
        .await;
    let client = static_client(&server.uri(), policy(3));

    let picker = client.tenant_picker().await.unwrap();
    assert_eq!(picker.tenant_info_list[0].name, "Contoso");

    let e = client.tenant_picker().await.unwrap_err();
    assert_eq!(e.status(), Some(401));
    assert_eq!(e.code(), Some("Unauthorized"));
    assert_eq!(e.request_id(), Some("rid-401"));
    assert_eq!(
        count(&server, "GET", "/mtoapi/tenants/TenantPicker").await,
        2
    );
    assert_eq!(count(&server, "POST", &token_path()).await, 0);
}

#[tokio::test]
async fn authority_refusal_is_a_clear_auth_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(token_path()))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "error": "invalid_client",
            "error_description": "AADSTS7000215: Invalid client secret provided."
        })))
        .mount(&server)
        .await;
    let client = secret_client(&server, policy(3));

    let e = client.list_assignments().await.unwrap_err();
    let text = e.to_string();
    assert!(text.contains("getting a token from"), "{text}");
    assert!(text.contains("HTTP 401 Unauthorized"), "{text}");
    assert!(text.contains("invalid_client"), "{text}");
    assert!(text.contains("AADSTS7000215"), "{text}");
    assert!(!e.is_not_found() && !e.is_ambiguous());
    // A refusal is final: no retries, and no API call.
    assert_eq!(count(&server, "POST", &token_path()).await, 1);
    assert_eq!(count(&server, "GET", "/mtoapi/assignments").await, 0);
}

#[tokio::test]
async fn a_throttled_authority_is_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(token_path()))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "0"))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    mount_token(&server, "tok-1", 3600, 1).await;
    mount_list(&server, "tok-1").await;
    let client = secret_client(&server, policy(3));

    client.list_assignments().await.unwrap();
    assert_eq!(count(&server, "POST", &token_path()).await, 3);
}
