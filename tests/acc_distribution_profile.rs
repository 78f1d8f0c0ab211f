//! Acceptance tests of `defender_distribution_profile`: real terraform, real provider, real
//! emulator over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Emulator, Workspace};
use serde_json::json;

const PROFILE: &str = r#"
resource "defender_distribution_profile" "p" {
  name        = "Baseline detections"
  description = "first"
}
"#;

#[test]
fn lifecycle_apply_update_drift_import_destroy() {
    let emu = Emulator::start(&[]);
    let ws = Workspace::new(&emu);
    ws.config(PROFILE);

    ws.apply();
    let items = emu.assignments();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["name"], "Baseline detections");
    assert_eq!(items[0]["description"], "first");
    let id = items[0]["id"].as_str().unwrap().to_owned();
    ws.assert_plan_empty();

    // A description change is an in-place update that keeps the id.
    ws.config(&PROFILE.replace("first", "second"));
    let (plan, changes) = ws.plan();
    assert!(changes);
    assert!(
        plan.stdout.contains("will be updated in-place"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("0 to add, 1 to change, 0 to destroy"),
        "{}",
        plan.stdout
    );
    ws.apply();
    let doc = emu.assignment(&id).unwrap();
    assert_eq!(doc["description"], "second");
    ws.assert_plan_empty();

    // Deleted behind Terraform's back: warned, removed from state, planned for re-creation.
    let (status, _) = emu.api("DELETE", &format!("/mtoapi/assignments/{id}"), None, &[]);
    assert_eq!(status, 204);
    let (plan, changes) = ws.plan();
    assert!(changes);
    assert!(plan.all().contains("no longer exists"), "{}", plan.all());
    assert!(
        plan.stdout.contains("1 to add, 0 to change, 0 to destroy"),
        "{}",
        plan.stdout
    );
    ws.apply();
    let items = emu.assignments();
    assert_eq!(items.len(), 1);
    let new_id = items[0]["id"].as_str().unwrap().to_owned();
    assert_ne!(new_id, id);

    // Import into a fresh state, then nothing to change.
    let r = ws.tf(&["state", "rm", "defender_distribution_profile.p"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let r = ws.tf(&[
        "import",
        "-input=false",
        "-no-color",
        "defender_distribution_profile.p",
        &new_id,
    ]);
    assert_eq!(r.code, 0, "{}", r.all());
    ws.assert_plan_empty();

    // Destroy leaves nothing in the emulator.
    ws.destroy();
    assert!(emu.assignments().is_empty());
    // Destroying again (nothing in state) is a no-op that succeeds.
    ws.destroy();
}

#[test]
fn update_keeps_content_and_targets_managed_elsewhere() {
    let emu = Emulator::start(&[]);
    let ws = Workspace::new(&emu);
    ws.config(PROFILE);
    ws.apply();
    let id = emu.assignments()[0]["id"].as_str().unwrap().to_owned();
    let tenant = "11111111-2222-4333-8444-555555555555";
    emu.modify(&id, |doc| {
        doc["templates"] =
            json!([{"id": "rule-1", "type": "CustomDetectionRule", "name": "Rule one"}]);
        doc["targetTenantIds"] = json!([tenant]);
        doc["variables"] = json!({ tenant: {"DeviceGroups": ["Servers"]} });
    });
    // Content and targets are not this resource's business: no drift.
    ws.assert_plan_empty();
    ws.config(&PROFILE.replace("first", "third"));
    ws.apply();
    let doc = emu.assignment(&id).unwrap();
    assert_eq!(doc["description"], "third");
    assert_eq!(doc["templates"][0]["id"], "rule-1");
    assert_eq!(doc["targetTenantIds"][0], tenant);
    assert_eq!(doc["variables"][tenant]["DeviceGroups"][0], "Servers");
}

#[test]
fn name_conflict_is_a_clear_error() {
    let emu = Emulator::start(&[]);
    let (status, taken) = emu.api(
        "POST",
        "/mtoapi/assignments",
        Some(&json!({"name": "Baseline detections", "description": ""})),
        &[],
    );
    assert_eq!(status, 201, "{taken}");
    let ws = Workspace::new(&emu);
    ws.config(PROFILE);
    let r = ws.apply_fails();
    let all = r.all();
    assert!(all.contains("already exists"), "{all}");
    assert!(all.contains("Conflict"), "{all}");
    assert!(
        all.contains(taken["id"].as_str().unwrap()),
        "the error should name the existing id: {all}"
    );
    assert!(all.contains("request-id"), "{all}");
    assert!(
        !all.contains("stack backtrace") && !all.contains("rust_begin_unwind"),
        "{all}"
    );
    assert_eq!(emu.assignments().len(), 1);
}

#[test]
fn wrong_client_secret_fails_with_the_authority_error_and_no_secret() {
    let emu = Emulator::start(&[]);
    let mut ws = Workspace::new(&emu);
    ws.set_env("DEFENDER_CLIENT_SECRET", "wrong-secret-xyzzy-42");
    ws.config(PROFILE);
    let r = ws.apply_fails();
    let all = r.all();
    assert!(all.contains("invalid_client"), "{all}");
    assert!(all.contains("AADSTS"), "{all}");
    assert!(
        !all.contains("wrong-secret-xyzzy-42"),
        "the secret leaked: {all}"
    );
    assert!(!all.contains("stack backtrace"), "{all}");
    assert!(emu.assignments().is_empty());
}

#[test]
fn static_access_token_works() {
    let emu = Emulator::start(&["--static-token", "static-token-for-tests"]);
    let mut ws = Workspace::new(&emu);
    for v in ["DEFENDER_CLIENT_ID", "DEFENDER_CLIENT_SECRET"] {
        ws.remove_env(v);
    }
    ws.set_env("DEFENDER_ACCESS_TOKEN", "static-token-for-tests");
    ws.config(PROFILE);
    ws.apply();
    assert_eq!(emu.assignments().len(), 1);
    ws.assert_plan_empty();
}
