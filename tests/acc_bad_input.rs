//! Bad input fails at `terraform plan` with an error that names the attribute, and never
//! panics. No API is reachable here: every check must happen before any request.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::Workspace;

const GOOD_TENANT: &str = "9a5c2f1e-6b7d-4e3f-8a1b-2c3d4e5f6a7b";
const HOME: &str = "00000000-0000-4000-8000-00000000aaaa";

struct Case {
    name: &'static str,
    env: &'static [(&'static str, &'static str)],
    config: String,
    /// Text that must appear: the attribute named in the diagnostic.
    expect: &'static [&'static str],
}

fn provider_env() -> Vec<(&'static str, &'static str)> {
    vec![
        ("DEFENDER_ENDPOINT", "https://127.0.0.1:9/apiproxy"),
        ("DEFENDER_AUTHORITY_HOST", "https://127.0.0.1:9"),
        ("DEFENDER_TENANT_ID", HOME),
        ("DEFENDER_CLIENT_ID", "client"),
        ("DEFENDER_CLIENT_SECRET", "bad-input-secret-xyzzy"),
    ]
}

fn target(attrs: &str) -> String {
    format!("resource \"defender_profile_target_tenant\" \"t\" {{\n  profile_id = \"p-1\"\n{attrs}\n}}\n")
}

fn cases() -> Vec<Case> {
    let long_name = "n".repeat(257);
    let long_desc = "d".repeat(1025);
    vec![
        Case {
            name: "tenant_id not a GUID",
            env: &[],
            config: target("  tenant_id = \"contoso\""),
            expect: &["Invalid tenant_id", "tenant_id = \"contoso\""],
        },
        Case {
            name: "entra_group_ids element not a GUID",
            env: &[],
            config: target(&format!("  tenant_id = \"{GOOD_TENANT}\"\n  entra_group_ids = [\"all-users\"]")),
            expect: &["Invalid entra_group_ids element", "entra_group_ids"],
        },
        Case {
            name: "variables using EntraGroups",
            env: &[],
            config: target(&format!("  tenant_id = \"{GOOD_TENANT}\"\n  variables = {{ EntraGroups = [\"x\"] }}")),
            expect: &["Reserved variable name", "variables", "entra_group_ids"],
        },
        Case {
            name: "variables using DeviceGroups",
            env: &[],
            config: target(&format!("  tenant_id = \"{GOOD_TENANT}\"\n  variables = {{ DeviceGroups = [\"x\"] }}")),
            expect: &["Reserved variable name", "variables", "device_groups"],
        },
        Case {
            name: "unknown content_type",
            env: &[],
            config: "resource \"defender_profile_content\" \"c\" {\n  profile_id = \"p-1\"\n  content_id = \"c-1\"\n  content_type = \"firewall_rule\"\n}\n".into(),
            expect: &["Invalid content_type", "content_type", "custom_detection_rule"],
        },
        Case {
            name: "empty name",
            env: &[],
            config: "resource \"defender_distribution_profile\" \"p\" {\n  name = \"\"\n}\n".into(),
            expect: &["Invalid profile name", "name", "has 0"],
        },
        Case {
            name: "257-character name",
            env: &[],
            config: format!("resource \"defender_distribution_profile\" \"p\" {{\n  name = \"{long_name}\"\n}}\n"),
            expect: &["Invalid profile name", "has 257"],
        },
        Case {
            name: "1,025-character description",
            env: &[],
            config: format!("resource \"defender_distribution_profile\" \"p\" {{\n  name = \"ok\"\n  description = \"{long_desc}\"\n}}\n"),
            expect: &["Invalid profile description", "description", "has 1025"],
        },
        Case {
            name: "timeout not a duration",
            env: &[],
            config: "data \"defender_distribution_status\" \"s\" {\n  profile_id = \"p-1\"\n  wait = true\n  timeout = \"ten minutes\"\n}\n".into(),
            expect: &["Invalid timeout", "timeout"],
        },
        Case {
            name: "http endpoint off loopback",
            env: &[("DEFENDER_ENDPOINT", "http://mto.example.com/apiproxy")],
            config: String::new(),
            expect: &["Invalid endpoint", "http:// is only allowed on a loopback address"],
        },
        Case {
            name: "http authority off loopback",
            env: &[("DEFENDER_AUTHORITY_HOST", "http://login.example.com")],
            config: String::new(),
            expect: &["Invalid authority_host", "loopback"],
        },
        Case {
            name: "credentials incomplete",
            env: &[("DEFENDER_CLIENT_SECRET", "")],
            config: String::new(),
            expect: &["Incomplete credentials", "client_secret is missing"],
        },
        Case {
            name: "credentials conflicting",
            env: &[("DEFENDER_ACCESS_TOKEN", "bad-input-token-xyzzy")],
            config: String::new(),
            expect: &["Conflicting credentials", "access_token"],
        },
        Case {
            name: "provider tenant_id not a GUID",
            env: &[("DEFENDER_TENANT_ID", "contoso.onmicrosoft.com")],
            config: String::new(),
            expect: &["Invalid tenant_id", "not a GUID"],
        },
        Case {
            name: "max_retries out of range",
            env: &[("DEFENDER_MAX_RETRIES", "-1")],
            config: String::new(),
            expect: &["Invalid max_retries", "0 to 100"],
        },
    ]
}

#[test]
fn every_bad_input_fails_at_plan_naming_the_attribute() {
    let mut failures = Vec::new();
    for case in cases() {
        let mut ws = Workspace::bare();
        for (k, v) in provider_env() {
            ws.set_env(k, v);
        }
        for (k, v) in case.env {
            ws.set_env(k, v);
        }
        let resource = if case.config.is_empty() {
            "resource \"defender_distribution_profile\" \"p\" {\n  name = \"ok\"\n}\n".to_owned()
        } else {
            case.config.clone()
        };
        ws.config(&format!("provider \"defender\" {{}}\n{resource}"));
        let r = ws.tf(&["plan", "-input=false", "-no-color"]);
        let all = r.all();
        // Terraform wraps long lines; compare with whitespace folded.
        let flat = all.split_whitespace().collect::<Vec<_>>().join(" ");
        let mut problems = Vec::new();
        if r.code != 1 {
            problems.push(format!("exit code {} (want 1)", r.code));
        }
        for e in case.expect {
            if !flat.contains(e) {
                problems.push(format!("missing {e:?}"));
            }
        }
        for bad in [
            "panicked",
            "stack backtrace",
            "plugin exited",
            "xyzzy",
            "Plugin did not respond",
        ] {
            if all.contains(bad) {
                problems.push(format!("output contains {bad:?}"));
            }
        }
        if !problems.is_empty() {
            failures.push(format!("{}: {}\n{all}", case.name, problems.join("; ")));
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}
