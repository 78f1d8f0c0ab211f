//! No secret or token in a Debug dump, an error or a log line; every request logged.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "client_support/mod.rs"]
mod support;

use serde_json::json;
use support::*;
use terraform_provider_defender::api::types::Assignment;
use terraform_provider_defender::api::{ApiError, Credentials, Secret};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.fetched-token.sig";

fn assert_clean(what: &str, text: &str) {
    for secret in [CLIENT_SECRET, TOKEN, STATIC_TOKEN] {
        assert!(!text.contains(secret), "{what} leaks a secret: {text}");
    }
}

fn assert_error_clean(e: &ApiError) {
    assert_clean("Display", &e.to_string());
    assert_clean("Debug", &format!("{e:?}"));
    assert_clean("hint", e.hint());
}

#[test]
fn config_debug_hides_secrets() {
    let with_secret = config(
        "https://mto.security.microsoft.com/apiproxy",
        secret_credentials("https://login.microsoftonline.com"),
        policy(3),
    );
    let with_token = config(
        "https://mto.security.microsoft.com/apiproxy",
        Credentials::AccessToken(Secret::new(STATIC_TOKEN)),
        policy(3),
    );
    for c in [with_secret, with_token] {
        let text = format!("{c:?} {:#?}", c.credentials);
        assert_clean("ClientConfig Debug", &text);
        assert!(
            text.contains("client-id-1") || text.contains("AccessToken"),
            "{text}"
        );
    }
}

#[tokio::test]
async fn errors_never_carry_secrets_even_when_a_server_echoes_them() {
    let server = MockServer::start().await;
    // An authority that echoes the secret back in its error description.
    Mock::given(method("POST"))
        .and(path(token_path()))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": "invalid_client",
            "error_description": format!("client_secret={CLIENT_SECRET} is wrong")
        })))
        .mount(&server)
        .await;
    let client = secret_client(&server, policy(1));
    let e = client.list_assignments().await.unwrap_err();
    assert!(e.to_string().contains("invalid_client"), "{e}");
    assert_error_clean(&e);

    // An API (or proxy) that echoes the Authorization header in errors and gateway pages.
    let api = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/mtoapi/assignments/p1"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": {"code": "BadRequest", "message": format!("bad header Bearer {STATIC_TOKEN}")}
        })))
        .mount(&api)
        .await;
    Mock::given(method("PUT"))
        .and(path("/mtoapi/assignments/p1"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(format!("Authorization: Bearer {STATIC_TOKEN}")),
        )
        .mount(&api)
        .await;
    let client = static_client(&api.uri(), policy(1));
    let e = client.get_assignment("p1").await.unwrap_err();
    assert_eq!(e.code(), Some("BadRequest"));
    assert_error_clean(&e);
    let e = client
        .put_assignment("p1", "etag", &Assignment::default())
        .await
        .unwrap_err();
    assert!(e.is_ambiguous());
    assert_error_clean(&e);

    // Transport errors.
    let closed = static_client(&closed_port_uri().await, policy(0));
    assert_error_clean(&closed.list_assignments().await.unwrap_err());
}
