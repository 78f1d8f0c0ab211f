//! Acceptance tests of the whole distribution model: profile, content, targets with scope,
//! status and tenants, through the real terraform CLI against the emulator.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use serde_json::Value;

fn model(fabrikam_groups: &str) -> String {
    format!(
        r#"
resource "defender_distribution_profile" "p" {{
  name        = "MSP baseline"
  description = "Detections and AV for every customer"
}}

resource "defender_profile_content" "powershell" {{
  profile_id   = defender_distribution_profile.p.id
  content_id   = "{RULE_POWERSHELL}"
  content_type = "custom_detection_rule"
  name         = "Suspicious PowerShell download cradle"
}}

resource "defender_profile_content" "av" {{
  profile_id   = defender_distribution_profile.p.id
  content_id   = "{POLICY_AV}"
  content_type = "endpoint_security_policy"
  name         = "Antivirus baseline (MSP standard)"
}}

resource "defender_profile_target_tenant" "fabrikam" {{
  profile_id      = defender_distribution_profile.p.id
  tenant_id       = "{FABRIKAM}"
  entra_group_ids = [{fabrikam_groups}]
  device_groups   = ["Tier0-Servers"]
}}

resource "defender_profile_target_tenant" "woodgrove" {{
  profile_id = defender_distribution_profile.p.id
  tenant_id  = "{WOODGROVE_LOST}"
  variables  = {{ Region = ["emea"] }}
}}

data "defender_distribution_status" "s" {{
  profile_id = defender_distribution_profile.p.id
  wait       = true
  timeout    = "1m"
  depends_on = [
    defender_profile_content.powershell, defender_profile_content.av,
    defender_profile_target_tenant.fabrikam, defender_profile_target_tenant.woodgrove,
  ]
}}

data "defender_tenants" "all" {{}}

output "status" {{ value = data.defender_distribution_status.s.status }}
output "counts" {{
  value = {{
    tenants   = data.defender_distribution_status.s.tenant_count
    content   = data.defender_distribution_status.s.content_count
    succeeded = data.defender_distribution_status.s.succeeded_count
    failed    = data.defender_distribution_status.s.failed_count
    pending   = data.defender_distribution_status.s.pending_count
  }}
}}
output "content" {{ value = data.defender_distribution_status.s.content }}
output "tenants" {{ value = data.defender_tenants.all.tenants }}
output "profile_id" {{ value = defender_distribution_profile.p.id }}
"#
    )
}

fn q(s: &str) -> String {
    format!("\"{s}\"")
}

#[test]
fn whole_model_in_one_apply_then_status_imports_scope_drift_and_destroy() {
    let emu = Emulator::start(&[]);
    let ws = Workspace::new(&emu);
    ws.config(&model(&q(FABRIKAM_SOC)));
    ws.apply();
    ws.assert_plan_empty();

    // The document holds exactly what the resources declare.
    let items = emu.assignments();
    assert_eq!(items.len(), 1);
    let doc = &items[0];
    let id = doc["id"].as_str().unwrap().to_owned();
    let mut templates: Vec<&str> = doc["templates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    templates.sort();
    assert_eq!(templates, vec![RULE_POWERSHELL, POLICY_AV]);
    assert_eq!(
        doc["variables"][FABRIKAM]["EntraGroups"],
        serde_json::json!([FABRIKAM_SOC])
    );
    assert_eq!(
        doc["variables"][FABRIKAM]["DeviceGroups"],
        serde_json::json!(["Tier0-Servers"])
    );
    assert_eq!(
        doc["variables"][WOODGROVE_LOST]["Region"],
        serde_json::json!(["emea"])
    );

    // Status: the lost tenant fails, Fabrikam succeeds → partially successful, each copy shown.
    let out = ws.outputs();
    assert_eq!(out["status"], "partially_successful", "{out}");
    assert_eq!(out["counts"]["tenants"], 2);
    assert_eq!(out["counts"]["content"], 2);
    assert_eq!(out["counts"]["succeeded"], 2);
    assert_eq!(out["counts"]["failed"], 2);
    assert_eq!(out["counts"]["pending"], 0);
    let content = out["content"].as_array().unwrap();
    assert_eq!(content.len(), 2);
    for item in content {
        assert_eq!(item["status"], "partially_successful", "{item}");
        let copies = item["copies"].as_array().unwrap();
        assert_eq!(copies.len(), 2, "{item}");
        for copy in copies {
            if copy["tenant_id"] == FABRIKAM {
                assert_eq!(copy["status"], "success", "{copy}");
                assert_eq!(copy["error_type"], "none");
                assert!(
                    !copy["target_content_id"].as_str().unwrap().is_empty(),
                    "{copy}"
                );
                assert!(
                    !copy["last_synced_on"].as_str().unwrap().is_empty(),
                    "{copy}"
                );
            } else {
                assert_eq!(copy["tenant_id"], WOODGROVE_LOST);
                assert_eq!(copy["status"], "failed", "{copy}");
                assert_eq!(copy["error_type"], "no_relationship", "{copy}");
            }
        }
    }
    let tenants = out["tenants"].as_array().unwrap();
    assert!(
        tenants
            .iter()
            .any(|t| t["tenant_id"] == WOODGROVE_LOST && t["lost_access"] == true),
        "{tenants:?}"
    );
    assert!(tenants
        .iter()
        .any(|t| t["tenant_id"] == FABRIKAM && t["lost_access"] == false));

    // Import of each resource into a fresh state, then nothing to change.
    for (addr, import_id) in [
        ("defender_distribution_profile.p", id.clone()),
        (
            "defender_profile_content.powershell",
            format!("{id}/{RULE_POWERSHELL}"),
        ),
        ("defender_profile_content.av", format!("{id}/{POLICY_AV}")),
        (
            "defender_profile_target_tenant.fabrikam",
            format!("{id}/{FABRIKAM}"),
        ),
        (
            "defender_profile_target_tenant.woodgrove",
            format!("{id}/{WOODGROVE_LOST}"),
        ),
    ] {
        let r = ws.tf(&["state", "rm", addr]);
        assert_eq!(r.code, 0, "{}", r.all());
        let r = ws.tf(&["import", "-input=false", "-no-color", addr, &import_id]);
        assert_eq!(r.code, 0, "import {addr}: {}", r.all());
    }
    ws.assert_plan_empty();

    // A scope change is planned in place.
    ws.config(&model(&format!(
        "{}, {}",
        q(FABRIKAM_SOC),
        q(FABRIKAM_FINANCE)
    )));
    let (plan, changes) = ws.plan();
    assert!(changes);
    assert!(
        plan.stdout
            .contains("defender_profile_target_tenant.fabrikam will be updated in-place"),
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
    let mut groups: Vec<&str> = doc["variables"][FABRIKAM]["EntraGroups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    groups.sort();
    assert_eq!(groups, vec![FABRIKAM_SOC, FABRIKAM_FINANCE]);
    ws.assert_plan_empty();

    // A target removed behind Terraform's back is warned about and re-created.
    emu.modify(&id, |doc| {
        let ids: Vec<Value> = doc["targetTenantIds"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| *t != FABRIKAM)
            .cloned()
            .collect();
        doc["targetTenantIds"] = Value::Array(ids);
        doc["variables"].as_object_mut().unwrap().remove(FABRIKAM);
    });
    let (plan, changes) = ws.plan();
    assert!(changes);
    assert!(
        plan.all().contains("is no longer a target"),
        "{}",
        plan.all()
    );
    assert!(
        plan.stdout
            .contains("defender_profile_target_tenant.fabrikam will be created"),
        "{}",
        plan.stdout
    );
    ws.apply();
    let doc = emu.assignment(&id).unwrap();
    assert!(doc["targetTenantIds"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t == FABRIKAM));
    ws.assert_plan_empty();

    // Content removed behind Terraform's back comes back too.
    emu.modify(&id, |doc| {
        let t: Vec<Value> = doc["templates"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["id"] != RULE_POWERSHELL)
            .cloned()
            .collect();
        doc["templates"] = Value::Array(t);
    });
    let (plan, changes) = ws.plan();
    assert!(
        changes
            && plan
                .stdout
                .contains("defender_profile_content.powershell will be created"),
        "{}",
        plan.all()
    );
    ws.apply();
    ws.assert_plan_empty();

    // Destroy leaves nothing.
    ws.destroy();
    assert!(emu.assignments().is_empty());
}

#[test]
fn two_resources_claiming_one_tenant_conflict_clearly() {
    let emu = Emulator::start(&[]);
    let ws = Workspace::new(&emu);
    ws.config(&format!(
        r#"
resource "defender_distribution_profile" "p" {{ name = "dup" }}
resource "defender_profile_target_tenant" "a" {{
  profile_id    = defender_distribution_profile.p.id
  tenant_id     = "{NORTHWIND}"
  device_groups = ["Workstations"]
}}
resource "defender_profile_target_tenant" "b" {{
  profile_id    = defender_distribution_profile.p.id
  tenant_id     = "{NORTHWIND}"
  device_groups = ["Tier0-Servers"]
}}
"#
    ));
    let r = ws.apply_fails();
    let all = r.all().split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        all.contains(&format!("Tenant {NORTHWIND} is already a target")),
        "{all}"
    );
    // Exactly one of them landed; the other was not merged into it.
    let doc = &emu.assignments()[0];
    assert_eq!(doc["targetTenantIds"].as_array().unwrap().len(), 1);
    let groups = &doc["variables"][NORTHWIND]["DeviceGroups"];
    assert!(
        groups == &serde_json::json!(["Workstations"])
            || groups == &serde_json::json!(["Tier0-Servers"]),
        "{groups}"
    );
    assert_eq!(
        ws.state_list()
            .iter()
            .filter(|a| a.starts_with("defender_profile_target_tenant"))
            .count(),
        1
    );
}

#[test]
fn wait_times_out_with_a_clear_message() {
    let emu = Emulator::start(&["--sync-delay-ms", "60000"]);
    let ws = Workspace::new(&emu);
    ws.config(&format!(
        r#"
resource "defender_distribution_profile" "p" {{ name = "slow" }}
resource "defender_profile_content" "c" {{
  profile_id   = defender_distribution_profile.p.id
  content_id   = "{RULE_LSASS}"
  content_type = "custom_detection_rule"
}}
resource "defender_profile_target_tenant" "t" {{
  profile_id = defender_distribution_profile.p.id
  tenant_id  = "{TAILSPIN}"
}}
data "defender_distribution_status" "s" {{
  profile_id = defender_distribution_profile.p.id
  wait       = true
  timeout    = "2s"
  depends_on = [defender_profile_content.c, defender_profile_target_tenant.t]
}}
"#
    ));
    let r = ws.apply_fails();
    let all = r.all().split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        all.contains("Timed out after 2s waiting for the sync"),
        "{all}"
    );
    assert!(
        all.contains("1 of 1 units are still pending or in progress"),
        "{all}"
    );
    assert!(all.contains(TAILSPIN) && all.contains(RULE_LSASS), "{all}");
    assert!(r.elapsed.as_secs() < 30, "took {:?}", r.elapsed);
}

#[test]
fn auto_sync_off_syncs_only_on_sync_trigger() {
    let emu = Emulator::start(&[]);
    let mut ws = Workspace::new(&emu);
    ws.set_env("DEFENDER_AUTO_SYNC", "false");
    let cfg = |trigger: &str| {
        format!(
            r#"
resource "defender_distribution_profile" "p" {{
  name = "manual"
  {trigger}
}}
resource "defender_profile_content" "c" {{
  profile_id   = defender_distribution_profile.p.id
  content_id   = "{RULE_LSASS}"
  content_type = "custom_detection_rule"
}}
resource "defender_profile_target_tenant" "t" {{
  profile_id = defender_distribution_profile.p.id
  tenant_id  = "{NORTHWIND}"
  entra_group_ids = ["{NORTHWIND_ALL}"]
}}
"#
        )
    };
    ws.config(&cfg(""));
    ws.apply();
    assert_eq!(
        emu.route_count("POST /mtoapi/assignments/{id}/sync"),
        0,
        "{}",
        emu.stats()
    );
    ws.assert_plan_empty();
    ws.config(&cfg("sync_trigger = \"v1\""));
    let (plan, changes) = ws.plan();
    assert!(
        changes && plan.stdout.contains("will be updated in-place"),
        "{}",
        plan.stdout
    );
    ws.apply();
    assert_eq!(
        emu.route_count("POST /mtoapi/assignments/{id}/sync"),
        1,
        "{}",
        emu.stats()
    );
    ws.assert_plan_empty();
}

#[test]
fn two_hundred_targets_in_one_apply_at_default_parallelism() {
    let n = 200;
    let emu = Emulator::start(&["--extra-tenants", "200"]);
    let ws = Workspace::new(&emu);
    let mut cfg = String::from(
        r#"
resource "defender_distribution_profile" "p" { name = "scale" }
locals {
  content = { "1001" = "custom_detection_rule", "1002" = "custom_detection_rule", "1003" = "custom_detection_rule",
              "5ec00000-0000-4000-8000-000000000001" = "endpoint_security_policy", "5ec00000-0000-4000-8000-000000000002" = "endpoint_security_policy" }
}
resource "defender_profile_content" "c" {
  for_each     = local.content
  profile_id   = defender_distribution_profile.p.id
  content_id   = each.key
  content_type = each.value
}
"#,
    );
    cfg.push_str(&format!(
        r#"
resource "defender_profile_target_tenant" "t" {{
  for_each        = toset([for i in range(1, {}) : format("%012d", i)])
  profile_id      = defender_distribution_profile.p.id
  tenant_id       = "00000000-0000-4000-8000-${{each.key}}"
  entra_group_ids = ["e0000000-0000-4000-8000-${{each.key}}"]
}}
"#,
        n + 1
    ));
    ws.config(&cfg);
    emu.reset_stats();
    let r = ws.apply();
    let stats = emu.stats();
    let doc = &emu.assignments()[0];
    assert_eq!(
        doc["targetTenantIds"].as_array().unwrap().len(),
        n,
        "every target landed"
    );
    assert_eq!(doc["templates"].as_array().unwrap().len(), 5);
    for i in 1..=n as u32 {
        let (t, g) = extra_tenant(i);
        assert_eq!(
            doc["variables"][&t]["EntraGroups"][0],
            g.as_str(),
            "scope of {t}"
        );
    }
    let puts = emu.route_count("PUT /mtoapi/assignments/{id}");
    let gets = emu.route_count("GET /mtoapi/assignments/{id}");
    let syncs = emu.route_count("POST /mtoapi/assignments/{id}/sync");
    eprintln!("apply of 1 profile + 5 items + {n} targets: {:?}; PUT {puts}, GET {gets}, sync {syncs}; stats {stats}", r.elapsed);
    assert!(puts <= 70, "{puts} PUTs for 205 writes");

    emu.reset_stats();
    let started = std::time::Instant::now();
    ws.assert_plan_empty();
    let plan_gets = emu.route_count("GET /mtoapi/assignments/{id}");
    eprintln!(
        "no-change plan: {:?}; GET {plan_gets}; stats {}",
        started.elapsed(),
        emu.stats()
    );
    assert!(plan_gets <= 45, "{plan_gets} GETs for a no-change plan");
}

#[test]
fn destroying_what_is_already_gone_succeeds() {
    let emu = Emulator::start(&[]);
    let ws = Workspace::new(&emu);
    ws.config(&format!(
        r#"
resource "defender_distribution_profile" "p" {{ name = "gone" }}
resource "defender_profile_content" "c" {{
  profile_id   = defender_distribution_profile.p.id
  content_id   = "{RULE_LSASS}"
  content_type = "custom_detection_rule"
}}
resource "defender_profile_target_tenant" "t" {{
  profile_id = defender_distribution_profile.p.id
  tenant_id  = "{TAILSPIN}"
}}
"#
    ));
    ws.apply();
    let id = emu.assignments()[0]["id"].as_str().unwrap().to_owned();
    let (status, _) = emu.api("DELETE", &format!("/mtoapi/assignments/{id}"), None, &[]);
    assert_eq!(status, 204);
    // Without a refresh, destroy deletes the profile, its item and its target, all already gone.
    let r = ws.tf(&[
        "destroy",
        "-auto-approve",
        "-input=false",
        "-no-color",
        "-refresh=false",
    ]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stdout.contains("3 destroyed"), "{}", r.stdout);
    assert!(ws.state_list().is_empty());
}

#[test]
fn import_errors_say_what_to_pass() {
    let emu = Emulator::start(&[]);
    let ws = Workspace::new(&emu);
    let cfg = format!(
        r#"
resource "defender_distribution_profile" "p" {{ name = "imports" }}
resource "defender_profile_content" "c" {{
  profile_id   = defender_distribution_profile.p.id
  content_id   = "{RULE_LSASS}"
  content_type = "custom_detection_rule"
}}
resource "defender_profile_target_tenant" "t" {{
  profile_id = defender_distribution_profile.p.id
  tenant_id  = "{TAILSPIN}"
}}
"#
    );
    ws.config(&cfg);
    ws.apply();
    let id = emu.assignments()[0]["id"].as_str().unwrap().to_owned();
    for addr in [
        "defender_profile_content.c",
        "defender_profile_target_tenant.t",
    ] {
        let r = ws.tf(&["state", "rm", addr]);
        assert_eq!(r.code, 0, "{}", r.all());
    }
    let flat = |r: &common::Run| r.all().split_whitespace().collect::<Vec<_>>().join(" ");
    let cases = [
        (
            "defender_profile_content.c",
            "no-slash".to_owned(),
            "Import defender_profile_content with <profile_id>/<content_id>",
        ),
        (
            "defender_profile_content.c",
            format!("{id}/9999"),
            "Cannot import: content 9999 is not in distribution profile",
        ),
        (
            "defender_profile_target_tenant.t",
            format!("{id}/{NORTHWIND}"),
            "Cannot import: tenant",
        ),
        (
            "defender_profile_target_tenant.t",
            format!("missing-profile/{TAILSPIN}"),
            "HTTP 404",
        ),
    ];
    for (addr, import_id, want) in cases {
        let r = ws.tf(&["import", "-input=false", "-no-color", addr, &import_id]);
        assert_ne!(r.code, 0, "import {addr} {import_id} should fail");
        assert!(
            flat(&r).contains(want),
            "import {addr} {import_id}: want {want:?} in\n{}",
            r.all()
        );
    }
    // The right IDs import, and then nothing is left to change.
    for (addr, import_id) in [
        ("defender_profile_content.c", format!("{id}/{RULE_LSASS}")),
        (
            "defender_profile_target_tenant.t",
            format!("{id}/{TAILSPIN}"),
        ),
    ] {
        let r = ws.tf(&["import", "-input=false", "-no-color", addr, &import_id]);
        assert_eq!(r.code, 0, "{}", r.all());
    }
    ws.assert_plan_empty();
}
