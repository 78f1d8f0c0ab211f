//! The API contract over real HTTP against an in-process emulator.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const CDR: &str = "CustomDetectionRule";
const ESP: &str = "EndpointSecurityPolicy";

fn is_uuid(s: &str) -> bool {
    s.len() == 36 && s.chars().filter(|c| *c == '-').count() == 4
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_endpoint_issues_and_refuses() {
    let emu = start(&["--static-token", "static-secret-token"]).await;
    let good = [
        ("grant_type", "client_credentials"),
        ("client_id", "demo-client-id"),
        ("client_secret", "demo-client-secret"),
        ("scope", "https://api.security.microsoft.com/.default"),
    ];
    let ok = emu.token_request(HOME, &good).await;
    assert_eq!(ok.status, StatusCode::OK);
    let body = ok.json();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3599);
    assert!(body["access_token"].as_str().unwrap().len() > 20);
    assert!(is_uuid(&ok.header("request-id").unwrap()));

    let mut wrong_secret = good;
    wrong_secret[2] = ("client_secret", "hunter2-wrong");
    let r = emu.token_request(HOME, &wrong_secret).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.json()["error"], "invalid_client");
    let desc = r.json()["error_description"].as_str().unwrap().to_owned();
    assert!(
        desc.starts_with("AADSTS7000215: Invalid client secret"),
        "{desc}"
    );
    assert!(!r.text.contains("hunter2"), "the secret must not be echoed");

    let mut wrong_id = good;
    wrong_id[1] = ("client_id", "someone-else");
    let r = emu.token_request(HOME, &wrong_id).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.json()["error"], "invalid_client");

    let r = emu.token_request(HOME, &good[..3]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json()["error"], "invalid_request");
    assert!(r.text.contains("'scope'"));

    let r = emu.token_request(FABRIKAM, &good).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json()["error"], "invalid_request");

    let mut wrong_grant = good;
    wrong_grant[0] = ("grant_type", "password");
    let r = emu.token_request(HOME, &wrong_grant).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json()["error"], "unsupported_grant_type");

    // The API wants a valid bearer token.
    let url = emu.api("/assignments");
    let r = read(emu.http.get(&url).send().await.unwrap()).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.code(), "Unauthorized");
    assert!(is_uuid(&r.header("request-id").unwrap()));
    let r = read(
        emu.http
            .get(&url)
            .bearer_auth("made-up")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.code(), "Unauthorized");
    let r = read(
        emu.http
            .get(&url)
            .bearer_auth("static-secret-token")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json(), json!({"items": []}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_expire() {
    let emu = start(&["--token-lifetime-secs", "1"]).await;
    let r = emu.get("/assignments").await;
    assert_eq!(r.status, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let r = emu.get("/assignments").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.code(), "Unauthorized");
    assert!(r.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("expired"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenant_picker_lists_the_world() {
    let emu = start(&["--extra-tenants", "3"]).await;
    let r = emu.get("/tenants/TenantPicker").await;
    assert_eq!(r.status, StatusCode::OK);
    let body = r.json();
    let list = body["tenantInfoList"].as_array().unwrap();
    assert_eq!(list.len(), 6 + 3);
    let lost: Vec<&Value> = list.iter().filter(|t| t["lostAccess"] == true).collect();
    assert_eq!(lost.len(), 1);
    assert_eq!(lost[0]["tenantId"], WOODGROVE_LOST);
    let fab = list.iter().find(|t| t["tenantId"] == FABRIKAM).unwrap();
    assert_eq!(fab["name"], "Fabrikam, Inc.");
    assert_eq!(fab["selected"], true);
    assert_eq!(fab["tenantAadEnvironment"], 1);
    assert!(fab["addedOn"].as_str().unwrap().starts_with("2024-"));
    assert!(list
        .iter()
        .any(|t| t["tenantId"] == "00000000-0000-4000-8000-000000000003"));
    assert!(body["responseTypes"]["B2B"].is_string());
    assert!(body["responseTypes"]["GDAP"].is_string());

    let world = emu.control(Method::GET, "/world", None).await.json();
    assert_eq!(world["homeTenantId"], HOME);
    assert_eq!(world["content"].as_array().unwrap().len(), 6);
    let gen2 = world["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["tenantId"] == "00000000-0000-4000-8000-000000000002")
        .unwrap();
    assert_eq!(
        gen2["entraGroups"][0]["id"],
        "e0000000-0000-4000-8000-000000000002"
    );
    assert_eq!(gen2["deviceGroups"], json!(["All-Devices"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crud_with_etags() {
    let emu = start(&[]).await;
    let a = emu
        .create_ok(profile("Baseline", &[FABRIKAM], &[(RULE_1, CDR)]))
        .await;
    let id = a["id"].as_str().unwrap().to_owned();
    assert!(is_uuid(&id));
    let etag1 = a["eTag"].as_str().unwrap().to_owned();
    assert!(!etag1.is_empty());
    assert_eq!(a["createdBy"], "demo-client-id");
    assert!(a["createdOn"].as_str().unwrap().ends_with('Z'));
    assert_eq!(a["lastSyncedOn"], Value::Null);
    assert_eq!(a["lastSyncedBy"], Value::Null);
    assert_eq!(a["targetTenantIdsWithoutRelationship"], 0);
    // An empty template name is filled from the home tenant's content.
    assert_eq!(
        a["templates"][0]["name"],
        "Suspicious PowerShell download cradle"
    );
    let u = unit(&a, RULE_1, FABRIKAM);
    assert_eq!(u["syncStatus"], "NotSynced");
    assert_eq!(u["errorType"], "None");
    assert_eq!(u["sourceTenantId"], HOME);
    assert_eq!(u["assignmentId"], id.as_str());
    assert_eq!(u["contentType"], CDR);
    assert_eq!(u["syncedVariables"], json!({}));

    assert_eq!(emu.assignment(&id).await, a);
    let list = emu.get("/assignments").await.json();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);

    // PUT replaces the document; server-owned fields in the body are ignored.
    let mut doc = a.clone();
    doc["description"] = json!("changed");
    doc["id"] = json!("something-else");
    doc["createdOn"] = json!("1999-01-01T00:00:00Z");
    doc["createdBy"] = json!("mallory");
    doc["syncUnitStatuses"] = json!([{"syncStatus": "Success"}]);
    doc["someFutureField"] = json!({"x": 1});
    let r = emu.put(&id, &etag1, doc.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let b = r.json();
    let etag2 = b["eTag"].as_str().unwrap().to_owned();
    assert_ne!(etag1, etag2);
    assert_eq!(b["id"], id.as_str());
    assert_eq!(b["description"], "changed");
    assert_eq!(b["createdOn"], a["createdOn"]);
    assert_eq!(b["createdBy"], "demo-client-id");
    assert_eq!(unit(&b, RULE_1, FABRIKAM)["syncStatus"], "NotSynced");

    // A stale eTag is refused, and nothing changes.
    doc["description"] = json!("stale write");
    let r = emu.put(&id, &etag1, doc.clone()).await;
    assert_eq!(r.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(r.code(), "PreconditionFailed");
    assert_eq!(emu.assignment(&id).await["description"], "changed");

    // If-Match is required.
    let r = emu
        .call(
            Method::PUT,
            &format!("/assignments/{id}"),
            Some(doc.clone()),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.code(), "BadRequest");
    assert!(r.text.contains("If-Match"));

    let r = emu
        .put("00000000-1111-4000-8000-000000000000", &etag2, doc.clone())
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.code(), "NotFound");

    let r = emu
        .call(Method::DELETE, &format!("/assignments/{id}"), None, None)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert!(is_uuid(&r.header("request-id").unwrap()));
    let r = emu
        .call(Method::DELETE, &format!("/assignments/{id}"), None, None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.code(), "NotFound");
    let r = emu.get(&format!("/assignments/{id}")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.code(), "NotFound");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_are_unique() {
    let emu = start(&[]).await;
    let a = emu.create_ok(profile("One", &[], &[])).await;
    let b = emu.create_ok(profile("Two", &[], &[])).await;
    let r = emu.create(profile("One", &[], &[])).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "Conflict");

    // Renaming onto a taken name conflicts; keeping one's own name does not.
    let id_b = b["id"].as_str().unwrap();
    let etag_b = b["eTag"].as_str().unwrap();
    let r = emu.put(id_b, etag_b, profile("One", &[], &[])).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "Conflict");
    let r = emu
        .put(id_b, etag_b, profile("Two", &[FABRIKAM], &[]))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let etag_b = r.json()["eTag"].as_str().unwrap().to_owned();

    // A freed name can be taken again.
    let r = emu.put(id_b, &etag_b, profile("Three", &[], &[])).await;
    assert_eq!(r.status, StatusCode::OK);
    emu.create_ok(profile("Two", &[], &[])).await;
    let id_a = a["id"].as_str().unwrap();
    emu.call(Method::DELETE, &format!("/assignments/{id_a}"), None, None)
        .await;
    emu.create_ok(profile("One", &[], &[])).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validation_errors() {
    let emu = start(&[]).await;
    let bad = |body: Value, needle: &'static str| {
        let emu = &emu;
        async move {
            let r = emu.create(body).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
            assert_eq!(r.code(), "BadRequest");
            assert!(r.text.contains(needle), "{needle:?} not in {}", r.text);
        }
    };
    bad(profile("", &[], &[]), "name").await;
    bad(json!({"description": "no name"}), "name").await;
    bad(profile(&"n".repeat(257), &[], &[]), "257").await;
    emu.create_ok(profile(&"é".repeat(256), &[], &[])).await;

    let mut long = profile("desc", &[], &[]);
    long["description"] = json!("d".repeat(1025));
    bad(long.clone(), "1025").await;
    long["description"] = json!("d".repeat(1024));
    emu.create_ok(long).await;

    bad(profile("guid", &["not-a-guid"], &[]), "not-a-guid").await;
    bad(
        profile("guid2", &["c0000000000040008000000000000001"], &[]),
        "GUID",
    )
    .await;
    bad(profile("dup", &[FABRIKAM, FABRIKAM], &[]), "more than once").await;
    bad(
        profile("type", &[FABRIKAM], &[(RULE_1, "DetectionRule")]),
        "DetectionRule",
    )
    .await;
    bad(
        profile("duptpl", &[FABRIKAM], &[(RULE_1, CDR), (RULE_1, CDR)]),
        "more than once",
    )
    .await;

    // Bodies that are not JSON, or of the wrong shape.
    let raw = |text: &'static str| {
        let emu = &emu;
        async move {
            let r = read(
                emu.http
                    .post(emu.api("/assignments"))
                    .bearer_auth(&emu.token)
                    .header("content-type", "application/json")
                    .body(text)
                    .send()
                    .await
                    .unwrap(),
            )
            .await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
            assert_eq!(r.code(), "BadRequest");
            r.json()["error"]["message"].as_str().unwrap().to_owned()
        }
    };
    let msg = raw("{\"name\": ").await;
    assert!(msg.contains("not valid") && msg.contains("line 1"), "{msg}");
    let msg = raw("{\"name\": \"x\", \"targetTenantIds\": \"one\"}").await;
    assert!(msg.contains("invalid type"), "{msg}");
    let msg = raw("").await;
    assert!(msg.contains("empty"), "{msg}");

    // Unknown fields are ignored; all types are accepted.
    let mut body = profile(
        "types",
        &[FABRIKAM],
        &[
            (RULE_1, CDR),
            (POLICY_1, ESP),
            ("ar-1", "AnalyticsRule"),
            ("au-1", "AutomationRule"),
            ("wb-1", "Workbook"),
        ],
    );
    body["surprise"] = json!([1, 2, 3]);
    let a = emu.create_ok(body).await;
    assert_eq!(a["syncUnitStatuses"].as_array().unwrap().len(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_progresses_pending_in_progress_success() {
    let emu = start(&["--sync-delay-ms", "800"]).await;
    let a = emu
        .create_ok(profile(
            "Progress",
            &[FABRIKAM, NORTHWIND],
            &[(RULE_1, CDR), (POLICY_1, ESP)],
        ))
        .await;
    let id = a["id"].as_str().unwrap();
    let etag = a["eTag"].as_str().unwrap();

    let r = emu.sync(id, json!({})).await;
    let synced_at = Instant::now();
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    assert_eq!(r.json(), json!({"assignmentId": id, "syncUnits": 4}));

    let b = emu.assignment(id).await;
    assert!(synced_at.elapsed() < Duration::from_millis(800));
    for u in b["syncUnitStatuses"].as_array().unwrap() {
        assert_eq!(u["syncStatus"], "Pending", "{u}");
        assert_eq!(u["targetContentId"], Value::Null);
    }
    // Syncs never change the eTag.
    assert_eq!(b["eTag"], etag);
    assert_eq!(b["lastSyncedBy"], "demo-client-id");
    assert!(b["lastSyncedOn"].is_string());

    tokio::time::sleep_until((synced_at + Duration::from_millis(1000)).into()).await;
    let b = emu.assignment(id).await;
    assert!(synced_at.elapsed() < Duration::from_millis(1600));
    for u in b["syncUnitStatuses"].as_array().unwrap() {
        assert_eq!(u["syncStatus"], "InProgress", "{u}");
    }

    tokio::time::sleep_until((synced_at + Duration::from_millis(1750)).into()).await;
    let b = emu.assignment(id).await;
    assert_eq!(b["eTag"], etag);
    let mut content_ids = Vec::new();
    for u in b["syncUnitStatuses"].as_array().unwrap() {
        assert_eq!(u["syncStatus"], "Success", "{u}");
        assert_eq!(u["errorType"], "None");
        assert_eq!(u["lastSyncedBy"], "demo-client-id");
        assert!(u["lastSyncedOn"].is_string());
        let cid = u["targetContentId"].as_str().unwrap().to_owned();
        assert_ne!(cid, u["templateId"].as_str().unwrap());
        content_ids.push(cid);
    }
    content_ids.sort();
    content_ids.dedup();
    assert_eq!(content_ids.len(), 4, "one copy per unit");

    // A re-sync of one tenant: the previous result stays visible while it runs, and the
    // copy keeps its id.
    let before = unit(&b, RULE_1, FABRIKAM).clone();
    let r = emu.sync(id, json!({"targetTenantIds": [FABRIKAM]})).await;
    assert_eq!(r.json()["syncUnits"], 2);
    let c = emu.assignment(id).await;
    let running = unit(&c, RULE_1, FABRIKAM);
    assert_eq!(running["syncStatus"], "Pending");
    assert_eq!(running["targetContentId"], before["targetContentId"]);
    assert_eq!(running["lastSyncedOn"], before["lastSyncedOn"]);
    assert_eq!(unit(&c, RULE_1, NORTHWIND)["syncStatus"], "Success");
    tokio::time::sleep(Duration::from_millis(1750)).await;
    let c = emu.assignment(id).await;
    let after = unit(&c, RULE_1, FABRIKAM);
    assert_eq!(after["syncStatus"], "Success");
    assert_eq!(after["targetContentId"], before["targetContentId"]);
    assert_ne!(after["lastSyncedOn"], before["lastSyncedOn"]);

    // Only targets of the assignment can be synced; 404 for an unknown assignment.
    let r = emu.sync(id, json!({"targetTenantIds": [TAILSPIN]})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = emu
        .sync("00000000-1111-4000-8000-000000000000", json!({}))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_keeps_unit_status_of_remaining_pairs() {
    let emu = start(&["--sync-delay-ms", "0"]).await;
    let a = emu
        .create_ok(profile("Keep", &[FABRIKAM, NORTHWIND], &[(RULE_1, CDR)]))
        .await;
    let id = a["id"].as_str().unwrap();
    emu.sync(id, json!({})).await;
    let a = emu.assignment(id).await;
    let kept = unit(&a, RULE_1, NORTHWIND).clone();
    assert_eq!(kept["syncStatus"], "Success");

    let r = emu
        .put(
            id,
            a["eTag"].as_str().unwrap(),
            profile("Keep", &[NORTHWIND, TAILSPIN], &[(RULE_1, CDR)]),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let b = r.json();
    let units = b["syncUnitStatuses"].as_array().unwrap();
    assert_eq!(units.len(), 2);
    assert_eq!(unit(&b, RULE_1, NORTHWIND), &kept);
    let new = unit(&b, RULE_1, TAILSPIN);
    assert_eq!(new["syncStatus"], "NotSynced");
    assert_eq!(new["errorType"], "None");
    assert!(!units.iter().any(|u| u["targetTenantId"] == FABRIKAM));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_failure_reasons() {
    let emu = start(&["--sync-delay-ms", "0"]).await;
    let unknown = "12345678-1234-4234-8234-123456789012";
    let mut body = profile(
        "Failures",
        &[WOODGROVE_LOST, unknown, FABRIKAM, NORTHWIND, TAILSPIN],
        &[(RULE_1, CDR), ("9999", CDR)],
    );
    body["variables"] = json!({
        FABRIKAM: {"EntraGroups": [NORTHWIND_GROUP]},
        NORTHWIND: {"DeviceGroups": ["Tier0-Servers", "No-Such-Group"]},
        TAILSPIN: {"DeviceGroups": ["Store-POS"], "Region": ["emea"]},
    });
    let a = emu.create_ok(body).await;
    assert_eq!(a["targetTenantIdsWithoutRelationship"], 2);
    let id = a["id"].as_str().unwrap();
    let r = emu.sync(id, json!({})).await;
    assert_eq!(r.json()["syncUnits"], 10);
    let a = emu.assignment(id).await;
    let expect = |tenant: &str, template: &str, status: &str, error: &str| {
        let u = unit(&a, template, tenant);
        assert_eq!(u["syncStatus"], status, "{u}");
        assert_eq!(u["errorType"], error, "{u}");
        if status == "Failed" {
            assert_eq!(u["targetContentId"], Value::Null);
            assert_eq!(u["syncedVariables"], json!({}));
        }
    };
    for t in [RULE_1, "9999"] {
        expect(WOODGROVE_LOST, t, "Failed", "NoRelationship");
        expect(unknown, t, "Failed", "NoRelationship");
        expect(FABRIKAM, t, "Failed", "ScopeNotFound");
        expect(NORTHWIND, t, "Failed", "ScopeNotFound");
    }
    expect(TAILSPIN, "9999", "Failed", "SourceContentNotFound");
    expect(TAILSPIN, RULE_1, "Success", "None");
    let ok = unit(&a, RULE_1, TAILSPIN);
    let vars = json!({"DeviceGroups": ["Store-POS"], "Region": ["emea"]});
    assert_eq!(ok["expectedVariables"], vars);
    assert_eq!(ok["syncedVariables"], vars);
    assert_eq!(
        unit(&a, RULE_1, FABRIKAM)["expectedVariables"],
        json!({"EntraGroups": [NORTHWIND_GROUP]})
    );

    // Valid scope in the right tenant succeeds; a mismatched content type is not found.
    let mut body = profile(
        "Scoped",
        &[FABRIKAM],
        &[(POLICY_1, ESP), (RULE_2, "Workbook")],
    );
    body["variables"] =
        json!({FABRIKAM: {"EntraGroups": [FABRIKAM_GROUP], "DeviceGroups": ["workstations"]}});
    let b = emu.create_ok(body).await;
    let id = b["id"].as_str().unwrap();
    emu.sync(id, json!({})).await;
    let b = emu.assignment(id).await;
    assert_eq!(unit(&b, POLICY_1, FABRIKAM)["syncStatus"], "Success");
    assert_eq!(
        unit(&b, RULE_2, FABRIKAM)["errorType"],
        "SourceContentNotFound"
    );

    // The copy's id depends only on content and tenant: stable across syncs and profiles.
    let first = unit(&b, POLICY_1, FABRIKAM)["targetContentId"].clone();
    emu.sync(id, json!({})).await;
    let b = emu.assignment(id).await;
    assert_eq!(unit(&b, POLICY_1, FABRIKAM)["targetContentId"], first);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_limit_and_generated_tenants() {
    let emu = start(&["--sync-delay-ms", "0", "--extra-tenants", "4751"]).await;
    let targets: Vec<String> = (1..=4751)
        .map(|i| format!("00000000-0000-4000-8000-{i:012}"))
        .collect();
    let target_refs: Vec<&str> = targets.iter().map(String::as_str).collect();
    let mut body = profile("Big", &target_refs, &[(RULE_1, CDR), (POLICY_1, ESP)]);
    body["variables"] = json!({
        "00000000-0000-4000-8000-000000000007": {
            "EntraGroups": ["e0000000-0000-4000-8000-000000000007"],
            "DeviceGroups": ["All-Devices"]
        },
        "00000000-0000-4000-8000-000000000008": {
            "EntraGroups": ["e0000000-0000-4000-8000-000000000007"]
        }
    });
    let a = emu.create_ok(body).await;
    let id = a["id"].as_str().unwrap();
    assert_eq!(a["syncUnitStatuses"].as_array().unwrap().len(), 9502);

    let r = emu.sync(id, json!({})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.code(), "LimitExceeded");
    assert!(
        r.text.contains("9502") && r.text.contains("9500"),
        "{}",
        r.text
    );
    let a = emu.assignment(id).await;
    assert_eq!(a["lastSyncedOn"], Value::Null, "nothing started");

    let some: Vec<&str> = target_refs[..10].to_vec();
    let r = emu.sync(id, json!({"targetTenantIds": some})).await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    assert_eq!(r.json()["syncUnits"], 20);
    let a = emu.assignment(id).await;
    let t7 = "00000000-0000-4000-8000-000000000007";
    let t8 = "00000000-0000-4000-8000-000000000008";
    assert_eq!(unit(&a, POLICY_1, t7)["syncStatus"], "Success");
    assert_eq!(unit(&a, POLICY_1, t8)["errorType"], "ScopeNotFound");
    assert_eq!(
        unit(&a, RULE_1, "00000000-0000-4000-8000-000000000011")["syncStatus"],
        "NotSynced"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_count_routes_and_reset() {
    let emu = start(&[]).await;
    let a = emu.create_ok(profile("Stats", &[FABRIKAM], &[])).await;
    let id = a["id"].as_str().unwrap();
    emu.assignment(id).await;
    emu.assignment(id).await;
    emu.put(id, a["eTag"].as_str().unwrap(), profile("Stats", &[], &[]))
        .await;
    emu.sync(id, json!({})).await;
    emu.get("/tenants/TenantPicker").await;
    emu.control(Method::GET, "/world", None).await;
    let stats = emu.control(Method::GET, "/stats", None).await.json();
    assert_eq!(
        stats,
        json!({
            "total": 7,
            "routes": {
                "POST /token": 1,
                "POST /mtoapi/assignments": 1,
                "GET /mtoapi/assignments/{id}": 2,
                "PUT /mtoapi/assignments/{id}": 1,
                "POST /mtoapi/assignments/{id}/sync": 1,
                "GET /mtoapi/tenants/TenantPicker": 1,
            }
        })
    );
    let r = emu.control(Method::POST, "/stats/reset", None).await;
    assert_eq!(r.status, StatusCode::OK);
    emu.get("/assignments").await;
    let stats = emu.control(Method::GET, "/stats", None).await.json();
    assert_eq!(
        stats,
        json!({"total": 1, "routes": {"GET /mtoapi/assignments": 1}})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_paths_have_the_error_shape() {
    let emu = start(&[]).await;
    let r = emu.get("/nothing/here").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.code(), "NotFound");
    assert!(r.header("request-id").is_some());
    let r = emu
        .call(Method::PATCH, "/assignments/x", Some(json!({})), None)
        .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.code(), "BadRequest");
    let r = read(
        emu.http
            .get(format!("{}/elsewhere", emu.base))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.code(), "NotFound");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_reset_and_revoke() {
    let emu = start(&[]).await;
    emu.create_ok(profile("Gone soon", &[], &[])).await;
    let r = emu.control(Method::POST, "/reset", None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(emu.get("/assignments").await.json(), json!({"items": []}));
    let r = emu.control(Method::POST, "/tokens/revoke", None).await;
    assert_eq!(r.json(), json!({"revoked": 1}));
    assert_eq!(
        emu.get("/assignments").await.status,
        StatusCode::UNAUTHORIZED
    );
    let r = emu.control(Method::GET, "/nope", None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}
