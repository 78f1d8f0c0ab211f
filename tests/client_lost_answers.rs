//! Writes whose answer is lost: a create never makes a second profile, a PUT is not repeated.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "client_support/mod.rs"]
mod support;

use serde_json::json;
use support::*;
use terraform_provider_defender::api::types::{Assignment, NewAssignment};
use terraform_provider_defender::api::ApiError;

fn new_profile(name: &str) -> NewAssignment {
    NewAssignment {
        name: name.to_owned(),
        description: "from terraform".to_owned(),
        ..Default::default()
    }
}

fn list_with(items: &[serde_json::Value]) -> Action {
    Action::Write(http_response(
        200,
        "OK",
        &json!({ "items": items }).to_string(),
    ))
}

#[tokio::test]
async fn create_whose_connection_drops_is_found_by_name_not_sent_twice() {
    let server = RawServer::start(|m, p, _| match (m, p) {
        ("POST", "/mtoapi/assignments") => Action::Drop,
        ("GET", "/mtoapi/assignments") => {
            list_with(&[assignment("other", "beta"), assignment("p-1", "alpha")])
        }
        _ => Action::Write(http_response(404, "Not Found", "")),
    })
    .await;
    let client = static_client(&server.uri, policy(3));

    let created = client
        .create_assignment(&new_profile("alpha"))
        .await
        .unwrap();
    assert_eq!(created.id, "p-1");
    assert_eq!(server.count("POST", "/mtoapi/assignments"), 1);
    assert_eq!(server.count("GET", "/mtoapi/assignments"), 1);
}

#[tokio::test]
async fn create_whose_answer_is_cut_off_is_found_by_name_not_sent_twice() {
    let server = RawServer::start(|m, p, _| match (m, p) {
        ("POST", "/mtoapi/assignments") => {
            Action::Write(truncated_response(201, r#"{"id":"p-1","na"#, 400))
        }
        ("GET", "/mtoapi/assignments") => list_with(&[assignment("p-1", "alpha")]),
        _ => Action::Write(http_response(404, "Not Found", "")),
    })
    .await;
    let client = static_client(&server.uri, policy(3));

    let created = client
        .create_assignment(&new_profile("alpha"))
        .await
        .unwrap();
    assert_eq!(created.id, "p-1");
    assert_eq!(server.count("POST", "/mtoapi/assignments"), 1);
}

#[tokio::test]
async fn create_lost_before_it_landed_is_sent_again() {
    // First POST dropped and nothing listed; the second POST succeeds.
    let server = RawServer::start(|m, p, n| match (m, p, n) {
        ("POST", "/mtoapi/assignments", 1) => Action::Drop,
        ("POST", "/mtoapi/assignments", _) => Action::Write(http_response(
            201,
            "Created",
            &assignment("p-2", "alpha").to_string(),
        )),
        ("GET", "/mtoapi/assignments", _) => list_with(&[]),
        _ => Action::Write(http_response(404, "Not Found", "")),
    })
    .await;
    let client = static_client(&server.uri, policy(3));

    let created = client
        .create_assignment(&new_profile("alpha"))
        .await
        .unwrap();
    assert_eq!(created.id, "p-2");
    assert_eq!(server.count("POST", "/mtoapi/assignments"), 2);
    assert_eq!(server.count("GET", "/mtoapi/assignments"), 1);
}

#[tokio::test]
async fn create_conflict_after_a_lost_answer_resolves_to_our_profile() {
    // The first POST landed but its answer was lost, and the list lagged behind: the second POST
    // gets 409, and a second look finds the profile.
    let server = RawServer::start(|m, p, n| match (m, p, n) {
        ("POST", "/mtoapi/assignments", 1) => Action::Drop,
        ("POST", "/mtoapi/assignments", _) => Action::Write(http_response(
            409,
            "Conflict",
            r#"{"error":{"code":"Conflict","message":"name in use"}}"#,
        )),
        ("GET", "/mtoapi/assignments", 1) => list_with(&[]),
        ("GET", "/mtoapi/assignments", _) => list_with(&[assignment("p-1", "alpha")]),
        _ => Action::Write(http_response(404, "Not Found", "")),
    })
    .await;
    let client = static_client(&server.uri, policy(3));

    let created = client
        .create_assignment(&new_profile("alpha"))
        .await
        .unwrap();
    assert_eq!(created.id, "p-1");
    assert_eq!(server.count("POST", "/mtoapi/assignments"), 2);
}

#[tokio::test]
async fn a_plain_conflict_on_create_is_an_error() {
    let server = RawServer::start(|_, _, _| {
        Action::Write(http_response(
            409,
            "Conflict",
            r#"{"error":{"code":"Conflict","message":"An assignment named alpha exists."}}"#,
        ))
    })
    .await;
    let client = static_client(&server.uri, policy(3));

    let e = client
        .create_assignment(&new_profile("alpha"))
        .await
        .unwrap_err();
    assert!(e.is_conflict());
    assert!(
        e.to_string()
            .contains("creating distribution profile \"alpha\""),
        "{e}"
    );
    assert_eq!(server.count("POST", "/mtoapi/assignments"), 1);
    assert_eq!(server.count("GET", "/mtoapi/assignments"), 0, "no lookup");
}

#[tokio::test]
async fn create_sends_are_bounded_by_max_retries() {
    let server = RawServer::start(|m, _, _| match m {
        "POST" => Action::Drop,
        _ => list_with(&[]),
    })
    .await;
    let client = static_client(&server.uri, policy(2));

    let e = client
        .create_assignment(&new_profile("alpha"))
        .await
        .unwrap_err();
    assert!(e.is_ambiguous(), "{e}");
    assert_eq!(server.count("POST", "/mtoapi/assignments"), 3);
}

#[tokio::test]
async fn put_whose_connection_drops_is_ambiguous_and_not_repeated() {
    let server = RawServer::start(|_, _, _| Action::Drop).await;
    let client = static_client(&server.uri, policy(3));
    let doc: Assignment = serde_json::from_value(assignment("p1", "alpha")).unwrap();

    let e = client
        .put_assignment("p1", "etag-p1", &doc)
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            ApiError::Transport {
                ambiguous: true,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.is_ambiguous());
    assert!(e.hint().contains("may or may not"), "{}", e.hint());
    assert_eq!(server.count("PUT", "/mtoapi/assignments/p1"), 1);
}

#[tokio::test]
async fn put_whose_answer_is_cut_off_is_ambiguous_and_not_repeated() {
    let server = RawServer::start(|_, _, _| {
        Action::Write(truncated_response(200, r#"{"id":"p1","eTag":"#, 300))
    })
    .await;
    let client = static_client(&server.uri, policy(3));
    let doc: Assignment = serde_json::from_value(assignment("p1", "alpha")).unwrap();

    let e = client
        .put_assignment("p1", "etag-p1", &doc)
        .await
        .unwrap_err();
    assert!(e.is_ambiguous(), "{e:?}");
    let text = e.to_string();
    assert!(
        text.starts_with("updating distribution profile p1: "),
        "{text}"
    );
    assert!(text.contains("HTTP 200"), "{text}");
    assert_eq!(server.count("PUT", "/mtoapi/assignments/p1"), 1);
}
