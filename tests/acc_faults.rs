//! Faults: every apply of 1 profile + 3 items + 10 targets must land completely under
//! throttling, gateway pages, dropped connections, short-lived tokens and a foreign writer,
//! with an empty plan after. A fault that outlasts max_retries fails clearly and leaves no
//! orphan for the next apply to duplicate.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use serde_json::Value;

const TARGETS: u32 = 10;

fn config() -> String {
    format!(
        r#"
resource "defender_distribution_profile" "p" {{
  name        = "faults"
  description = "must land whole"
}}
resource "defender_profile_content" "c" {{
  for_each     = {{ "1001" = "custom_detection_rule", "1002" = "custom_detection_rule", "5ec00000-0000-4000-8000-000000000001" = "endpoint_security_policy" }}
  profile_id   = defender_distribution_profile.p.id
  content_id   = each.key
  content_type = each.value
}}
resource "defender_profile_target_tenant" "t" {{
  for_each        = toset([for i in range(1, {}) : format("%012d", i)])
  profile_id      = defender_distribution_profile.p.id
  tenant_id       = "00000000-0000-4000-8000-${{each.key}}"
  entra_group_ids = ["e0000000-0000-4000-8000-${{each.key}}"]
}}
"#,
        TARGETS + 1
    )
}

/// Everything the config declares is in the emulator, once (faults are turned off first so the
/// test's own reads get through).
fn assert_landed(emu: &Emulator) -> Value {
    emu.clear_faults();
    let items = emu.assignments();
    assert_eq!(items.len(), 1, "exactly one profile: {items:?}");
    let doc = items[0].clone();
    let templates = doc["templates"].as_array().unwrap();
    assert_eq!(templates.len(), 3, "{templates:?}");
    for i in 1..=TARGETS {
        let (t, g) = extra_tenant(i);
        let n = doc["targetTenantIds"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|x| x.as_str() == Some(&t))
            .count();
        assert_eq!(n, 1, "target {t} present once");
        assert_eq!(doc["variables"][&t]["EntraGroups"][0], g.as_str());
    }
    doc
}

fn run_under(flags: &[&str]) -> (Emulator, Workspace) {
    let mut args = vec!["--extra-tenants", "10"];
    args.extend_from_slice(flags);
    let emu = Emulator::start(&args);
    let ws = Workspace::new(&emu);
    ws.config(&config());
    (emu, ws)
}

fn faults(emu: &Emulator) -> Value {
    emu.http("GET", "/_emulator/faults", None, &[]).1
}

#[test]
fn throttling_429_every_4th_and_503_every_9th() {
    let (emu, ws) = run_under(&[
        "--fault-429-every",
        "4",
        "--fault-503-every",
        "9",
        "--fault-retry-after-secs",
        "1",
    ]);
    ws.apply();
    ws.assert_plan_empty();
    // A scope change of every target: more writes and syncs under the same faults.
    ws.config(&config().replace(
        "entra_group_ids = [",
        "device_groups = [\"All-Devices\"]\n  entra_group_ids = [",
    ));
    ws.apply();
    let f = faults(&emu);
    // Request 4 and 8 were answered 429 and request 9 was answered 503.
    assert!(
        f["counters"]["api_requests"].as_u64().unwrap_or(0) >= 9,
        "both faults were exercised: {f}"
    );
    let doc = assert_landed(&emu);
    let (t, _) = extra_tenant(TARGETS);
    assert_eq!(doc["variables"][&t]["DeviceGroups"][0], "All-Devices");
    ws.assert_plan_empty();
}

#[test]
fn garbage_body_every_6th_get() {
    let (emu, ws) = run_under(&["--fault-garbage-get-every", "6"]);
    ws.apply();
    assert_landed(&emu);
    ws.assert_plan_empty();
    ws.assert_plan_empty();
}

#[test]
fn dropped_connections_after_the_write_landed() {
    let (emu, ws) = run_under(&["--fault-drop-every", "5"]);
    ws.apply();
    assert_landed(&emu);
    ws.assert_plan_empty();
}

#[test]
fn two_second_tokens_with_120ms_latency() {
    let (emu, ws) = run_under(&["--token-lifetime-secs", "2", "--latency-ms", "120"]);
    ws.apply();
    assert_landed(&emu);
    ws.assert_plan_empty();
    assert!(
        emu.route_count("POST /token") >= 2,
        "tokens were renewed: {}",
        emu.stats()
    );
}

#[test]
fn foreign_writer_bumping_the_etag_mid_apply_keeps_both_changes() {
    // Every 2nd PUT meets a foreign write first (new eTag): the 13 edits take at least two
    // PUTs, so at least one of ours is refused with 412 and must be re-applied on a fresh read.
    let (emu, ws) = run_under(&["--fault-foreign-write-every", "2"]);
    ws.apply();
    let f = faults(&emu);
    assert!(
        f["counters"]["puts"].as_u64().unwrap_or(0) >= 3,
        "a foreign write and a retried PUT happened: {f}"
    );
    let doc = assert_landed(&emu);
    let foreign = "f0f0f0f0-0000-4000-8000-000000000001";
    assert!(
        doc["targetTenantIds"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == foreign),
        "the foreign writer's change was lost: {}",
        doc["targetTenantIds"]
    );
    ws.assert_plan_empty();
}

#[test]
fn fault_outlasting_max_retries_fails_clearly_and_leaves_no_orphan() {
    let (emu, mut ws) = run_under(&["--fault-503-every", "3", "--fault-retry-after-secs", "0"]);
    ws.set_env("DEFENDER_MAX_RETRIES", "0");
    let r = ws.apply_fails();
    let all = r.all().split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(all.contains("ServiceUnavailable"), "{all}");
    assert!(all.contains("request-id"), "{all}");
    assert!(!all.contains("stack backtrace"), "{all}");

    // Whatever exists in the emulator is in the state, and nothing in the state is missing.
    emu.clear_faults();
    let state = ws.state_list();
    let items = emu.assignments();
    assert!(items.len() <= 1, "{items:?}");
    if let Some(doc) = items.first() {
        assert!(
            state.contains(&"defender_distribution_profile.p".to_owned()),
            "profile created but not in state: {state:?}"
        );
        let in_state_targets = state
            .iter()
            .filter(|a| a.starts_with("defender_profile_target_tenant.t"))
            .count();
        assert_eq!(
            doc["targetTenantIds"].as_array().unwrap().len(),
            in_state_targets,
            "targets in the API vs state {state:?}"
        );
        let in_state_content = state
            .iter()
            .filter(|a| a.starts_with("defender_profile_content.c"))
            .count();
        assert_eq!(
            doc["templates"].as_array().unwrap().len(),
            in_state_content,
            "content in the API vs state {state:?}"
        );
    }

    // With the fault gone, the next apply completes without duplicating anything.
    emu.http(
        "POST",
        "/_emulator/faults",
        Some(&serde_json::json!({})),
        &[],
    );
    ws.apply();
    assert_landed(&emu);
    ws.assert_plan_empty();
}
