//! Injected faults and latency, by flag and at run time.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_second_request_is_throttled_and_not_carried_out() {
    let emu = start(&["--fault-429-every", "2", "--fault-retry-after-secs", "7"]).await;
    // Request 1 passes, request 2 is throttled before anything happens.
    assert_eq!(emu.get("/assignments").await.status, StatusCode::OK);
    let r = emu.create(profile("Throttled", &[], &[])).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.code(), "TooManyRequests");
    assert_eq!(r.header("retry-after").as_deref(), Some("7"));
    assert!(r.header("request-id").is_some());
    // Request 3 passes and shows the throttled create did not land.
    let r = emu.get("/assignments").await;
    assert_eq!(r.json(), json!({"items": []}));
    // Token requests are never throttled.
    for _ in 0..3 {
        emu.fetch_token().await;
    }
    let faults = emu.control(Method::GET, "/faults", None).await.json();
    assert_eq!(faults["fault_429_every"], 2);
    assert_eq!(faults["counters"]["api_requests"], 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_unavailable_set_at_run_time() {
    let emu = start(&[]).await;
    let a = emu.create_ok(profile("Unavailable", &[], &[])).await;
    emu.set_faults(json!({"fault_503_every": 1, "fault_retry_after_secs": 3}))
        .await;
    let r = emu
        .get(&format!("/assignments/{}", a["id"].as_str().unwrap()))
        .await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.code(), "ServiceUnavailable");
    assert_eq!(r.header("retry-after").as_deref(), Some("3"));
    let r = emu
        .call(
            Method::DELETE,
            &format!("/assignments/{}", a["id"].as_str().unwrap()),
            None,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    // Control routes are never faulted; an empty configuration turns faults off.
    emu.set_faults(json!({})).await;
    let r = emu.get("/assignments").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.json()["items"].as_array().unwrap().len(),
        1,
        "DELETE did not land"
    );

    // Typos in a fault configuration are refused.
    let r = emu
        .control(Method::POST, "/faults", Some(json!({"fault_492_every": 1})))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_gets() {
    let emu = start(&["--fault-garbage-get-every", "2"]).await;
    let a = emu.create_ok(profile("Garbage", &[], &[])).await;
    let path = format!("/assignments/{}", a["id"].as_str().unwrap());
    let first = emu.get(&path).await;
    assert_eq!(first.status, StatusCode::OK);
    assert!(first.header("content-type").unwrap().contains("json"));
    let second = emu.get(&path).await;
    assert_eq!(second.status, StatusCode::OK);
    assert!(second
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    assert!(second.text.starts_with("<!DOCTYPE html>"));
    assert!(serde_json::from_str::<serde_json::Value>(&second.text).is_err());
    // Writes are not GETs: they do not count towards this fault.
    let r = emu
        .put(
            a["id"].as_str().unwrap(),
            a["eTag"].as_str().unwrap(),
            profile("Garbage", &[], &[]),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(emu
        .get(&path)
        .await
        .header("content-type")
        .unwrap()
        .contains("json"));
    assert!(emu.get(&path).await.text.starts_with('<'));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_connections_still_carry_out_the_write() {
    let emu = start(&[]).await;
    emu.set_faults(json!({"fault_drop_every": 1})).await;

    let resp = emu
        .http
        .post(emu.api("/assignments"))
        .bearer_auth(&emu.token)
        .json(&profile("Dropped", &[FABRIKAM], &[]))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    assert!(resp.headers().get("request-id").is_some());
    let body = resp.bytes().await;
    assert!(body.is_err(), "the body must break off: {body:?}");

    // A dropped DELETE answer is cut short too.
    emu.set_faults(json!({})).await;
    let list = emu.get("/assignments").await.json();
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "the create landed");
    assert_eq!(items[0]["name"], "Dropped");
    let id = items[0]["id"].as_str().unwrap().to_owned();

    emu.set_faults(json!({"fault_drop_every": 1})).await;
    let resp = emu
        .http
        .delete(emu.api(&format!("/assignments/{id}")))
        .bearer_auth(&emu.token)
        .send()
        .await
        .unwrap();
    assert!(resp.bytes().await.is_err());
    emu.set_faults(json!({})).await;
    assert_eq!(emu.get("/assignments").await.json(), json!({"items": []}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_writer_makes_the_put_stale() {
    let emu = start(&["--fault-foreign-write-every", "2"]).await;
    let a = emu
        .create_ok(profile(
            "Contended",
            &[FABRIKAM],
            &[(RULE_1, "CustomDetectionRule")],
        ))
        .await;
    let id = a["id"].as_str().unwrap();
    // PUT 1 goes through.
    let r = emu
        .put(
            id,
            a["eTag"].as_str().unwrap(),
            profile(
                "Contended",
                &[FABRIKAM, NORTHWIND],
                &[(RULE_1, "CustomDetectionRule")],
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let etag = r.json()["eTag"].as_str().unwrap().to_owned();
    // PUT 2 meets a foreign write first.
    let r = emu
        .put(
            id,
            &etag,
            profile("Contended", &[FABRIKAM], &[(RULE_1, "CustomDetectionRule")]),
        )
        .await;
    assert_eq!(r.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(r.code(), "PreconditionFailed");
    let b = emu.assignment(id).await;
    assert_ne!(b["eTag"], etag.as_str());
    assert_eq!(b["targetTenantIds"], json!([FABRIKAM, NORTHWIND, LITWARE]));
    assert_eq!(unit(&b, RULE_1, LITWARE)["syncStatus"], "NotSynced");
    // A retry on the fresh eTag (PUT 3) lands.
    let mut doc = b.clone();
    doc["description"] = json!("ours");
    let r = emu.put(id, b["eTag"].as_str().unwrap(), doc).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.json()["targetTenantIds"],
        json!([FABRIKAM, NORTHWIND, LITWARE])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_write_on_demand() {
    let emu = start(&[]).await;
    let a = emu.create_ok(profile("On demand", &[FABRIKAM], &[])).await;
    let id = a["id"].as_str().unwrap();
    let r = emu
        .control(
            Method::POST,
            &format!("/assignments/{id}/foreign-write"),
            Some(json!({"addTargetTenantId": TAILSPIN, "description": "theirs"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let b = r.json();
    assert_eq!(b["targetTenantIds"], json!([FABRIKAM, TAILSPIN]));
    assert_eq!(b["description"], "theirs");
    assert_ne!(b["eTag"], a["eTag"]);
    let r = emu
        .put(
            id,
            a["eTag"].as_str().unwrap(),
            profile("On demand", &[], &[]),
        )
        .await;
    assert_eq!(r.status, StatusCode::PRECONDITION_FAILED);
    // Without a body, the default foreign tenant is added.
    let r = emu
        .control(
            Method::POST,
            &format!("/assignments/{id}/foreign-write"),
            None,
        )
        .await;
    assert_eq!(
        r.json()["targetTenantIds"],
        json!([FABRIKAM, TAILSPIN, LITWARE])
    );
    let r = emu
        .control(Method::POST, "/assignments/nope/foreign-write", None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Control calls are not counted.
    let stats = emu.control(Method::GET, "/stats", None).await.json();
    assert_eq!(stats["total"], 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latency_is_added_to_api_and_token_requests_only() {
    let emu = start(&["--latency-ms", "300"]).await;
    let t = Instant::now();
    emu.get("/assignments").await;
    assert!(t.elapsed() >= Duration::from_millis(300));
    let t = Instant::now();
    emu.fetch_token().await;
    assert!(t.elapsed() >= Duration::from_millis(300));
    let t = Instant::now();
    emu.control(Method::GET, "/stats", None).await;
    assert!(t.elapsed() < Duration::from_millis(300));

    emu.set_faults(json!({"latency_ms": 0})).await;
    let t = Instant::now();
    emu.get("/assignments").await;
    assert!(t.elapsed() < Duration::from_millis(300));
    emu.set_faults(json!({"latency_ms": 500})).await;
    let t = Instant::now();
    emu.get("/assignments").await;
    assert!(t.elapsed() >= Duration::from_millis(500));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_are_not_serialised_by_latency() {
    let emu = start(&["--latency-ms", "400"]).await;
    let t = Instant::now();
    let calls: Vec<_> = (0..8).map(|_| emu.get("/assignments")).collect();
    for r in futures::future::join_all(calls).await {
        assert_eq!(r.status, StatusCode::OK);
    }
    assert!(
        t.elapsed() < Duration::from_millis(1600),
        "{:?}",
        t.elapsed()
    );
}
