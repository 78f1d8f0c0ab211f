//! Logs reach Terraform as hclog JSON (so `TF_LOG_PROVIDER` shows each API request), and no
//! secret or token reaches a log line, terraform's output or the state.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;

const CONFIG: &str = r#"
resource "defender_distribution_profile" "p" {
  name = "logs"
}
resource "defender_profile_target_tenant" "t" {
  profile_id    = defender_distribution_profile.p.id
  tenant_id     = "c0000000-0000-4000-8000-000000000002"
  device_groups = ["Workstations"]
}
"#;

#[test]
fn provider_debug_log_shows_each_api_request() {
    let emu = Emulator::start(&[]);
    let mut ws = Workspace::new(&emu);
    ws.config(CONFIG);
    ws.apply();
    let log = ws.dir.path().join("debug.log");
    ws.set_env("TF_LOG_PROVIDER", "debug");
    ws.set_env("TF_LOG_PATH", log.to_str().unwrap());
    ws.assert_plan_empty();
    let text = std::fs::read_to_string(&log).unwrap();
    let requests: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("provider.terraform-provider-defender") && l.contains("API request"))
        .collect();
    assert!(
        !requests.is_empty(),
        "no API request lines in the provider log:\n{text}"
    );
    let get = requests
        .iter()
        .find(|l| l.contains("method=GET") && l.contains("path=/mtoapi/assignments/"))
        .unwrap_or_else(|| panic!("no GET of the profile logged: {requests:#?}"));
    for field in [
        "[DEBUG]",
        "status=200",
        "ms=",
        "request_id=",
        "@module=provider.defender.api",
    ] {
        assert!(get.contains(field), "{field} missing in {get}");
    }
    // Terraform parsed our lines as structured hclog (not raw stderr text).
    assert!(
        !text.contains("\"@level\""),
        "raw JSON leaked into the log: the lines were not parsed"
    );
}

fn assert_clean(what: &str, text: &str, secrets: &[&str]) {
    for s in secrets {
        assert!(!text.contains(s), "{what} contains the secret {s:?}");
    }
    let lower = text.to_ascii_lowercase();
    assert!(
        !lower.contains("bearer ey") && !lower.contains("\"access_token\":\""),
        "{what} shows a token"
    );
    assert!(
        !text.contains("stack backtrace"),
        "{what} contains a backtrace"
    );
}

#[test]
fn trace_logs_output_and_state_hold_no_client_secret() {
    let emu = Emulator::start(&[]);
    let mut ws = Workspace::new(&emu);
    ws.config(CONFIG);
    let log = ws.dir.path().join("trace.log");
    ws.set_env("TF_LOG", "trace");
    ws.set_env("TF_LOG_PATH", log.to_str().unwrap());
    let apply = ws.apply();
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains("API request"),
        "trace log has no provider lines"
    );
    assert!(
        text.contains("token request"),
        "the token request is logged, without its secret"
    );
    assert_clean("the TF_LOG=trace log", &text, &[CLIENT_SECRET]);
    assert_clean("terraform's output", &apply.all(), &[CLIENT_SECRET]);
    assert_clean("the state", &ws.state_file(), &[CLIENT_SECRET]);
}

#[test]
fn trace_logs_output_and_state_hold_no_static_token() {
    let token = "static-token-9f8e7d6c5b4a";
    let emu = Emulator::start(&["--static-token", token]);
    let mut ws = Workspace::new(&emu);
    ws.remove_env("DEFENDER_CLIENT_ID");
    ws.remove_env("DEFENDER_CLIENT_SECRET");
    ws.config(&format!(
        "provider \"defender\" {{\n  access_token = \"{token}\"\n}}\n{CONFIG}"
    ));
    let log = ws.dir.path().join("trace.log");
    ws.set_env("TF_LOG", "trace");
    ws.set_env("TF_LOG_PATH", log.to_str().unwrap());
    let apply = ws.apply();
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains("API request"),
        "trace log has no provider lines"
    );
    // Terraform itself logs the provider configuration it sends, marked sensitive.
    assert_clean("the TF_LOG=trace log", &text, &[token]);
    assert_clean("terraform's output", &apply.all(), &[token]);
    assert_clean("the state", &ws.state_file(), &[token]);
}
