//! Acceptance-test harness: the real `defender-emulator` binary over real HTTP, and the real
//! `terraform` CLI driving the built provider through a `dev_overrides` CLI config.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;

pub const CLIENT_ID: &str = "demo-client-id";
pub const CLIENT_SECRET: &str = "demo-client-secret";

/// The directory holding the built provider (and, in a workspace build, the emulator).
pub fn bin_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_terraform-provider-defender"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The emulator binary, built on first use if `cargo build --workspace` has not built it.
pub fn emulator_bin() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let path = bin_dir().join("defender-emulator");
            if !path.exists() {
                let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
                let status = Command::new(cargo)
                    .args(["build", "-p", "defender-emulator", "--quiet"])
                    .current_dir(env!("CARGO_MANIFEST_DIR"))
                    .status()
                    .expect("run cargo build -p defender-emulator");
                assert!(status.success(), "building the emulator failed");
            }
            assert!(path.exists(), "no emulator at {}", path.display());
            path
        })
        .clone()
}

/// A running emulator on a free loopback port; killed on drop.
pub struct Emulator {
    child: Child,
    pub base_url: String,
    addr: String,
}

impl Emulator {
    pub fn start(extra_args: &[&str]) -> Self {
        let mut args = vec!["--listen", "127.0.0.1:0"];
        if !extra_args.contains(&"--sync-delay-ms") {
            args.extend(["--sync-delay-ms", "150"]);
        }
        let mut child = Command::new(emulator_bin())
            .args(args)
            .args(extra_args)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start defender-emulator");
        let stdout = child.stdout.take().unwrap();
        let mut reader = BufReader::new(stdout);
        let mut first = String::new();
        reader
            .read_line(&mut first)
            .expect("read the emulator's first line");
        // Keep draining stdout so the emulator never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut sink = Vec::new();
            let _ = reader.read_to_end(&mut sink);
        });
        let base_url = first.trim().to_owned();
        assert!(
            base_url.starts_with("http://127.0.0.1:"),
            "unexpected first line {base_url:?}"
        );
        let addr = base_url.trim_start_matches("http://").to_owned();
        Self {
            child,
            base_url,
            addr,
        }
    }

    pub fn endpoint(&self) -> String {
        format!("{}/apiproxy", self.base_url)
    }

    /// A plain HTTP request to the emulator; returns (status, JSON body or Null).
    pub fn http(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> (u16, Value) {
        let mut stream = TcpStream::connect(&self.addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let payload = body.map(|b| b.to_string()).unwrap_or_default();
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.addr,
            payload.len()
        );
        if body.is_some() {
            req.push_str("Content-Type: application/json\r\n");
        }
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str("\r\n");
        req.push_str(&payload);
        stream.write_all(req.as_bytes()).unwrap();
        let mut raw = Vec::new();
        let _ = stream.read_to_end(&mut raw);
        let text = String::from_utf8_lossy(&raw).to_string();
        let (head, rest) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let status: u16 = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let body = if head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked")
        {
            dechunk(rest)
        } else {
            rest.to_owned()
        };
        (status, serde_json::from_str(&body).unwrap_or(Value::Null))
    }

    /// A token for direct API calls in tests.
    pub fn token(&self) -> String {
        let form = format!("grant_type=client_credentials&client_id={CLIENT_ID}&client_secret={CLIENT_SECRET}&scope=test");
        let mut stream = TcpStream::connect(&self.addr).unwrap();
        let req = format!(
            "POST /{}/oauth2/v2.0/token HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
            home_tenant(self), self.addr, form.len()
        );
        stream.write_all(req.as_bytes()).unwrap();
        let mut raw = String::new();
        let _ = stream.read_to_string(&mut raw);
        let body = raw.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
        let body = if raw
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked")
        {
            dechunk(body)
        } else {
            body.to_owned()
        };
        let v: Value = serde_json::from_str(&body).unwrap_or_else(|_| panic!("token answer {raw}"));
        v["access_token"].as_str().unwrap().to_owned()
    }

    /// An authenticated API call (path under /apiproxy).
    pub fn api(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        extra: &[(&str, &str)],
    ) -> (u16, Value) {
        let auth = format!("Bearer {}", self.token());
        let mut headers = vec![("Authorization", auth.as_str())];
        headers.extend_from_slice(extra);
        self.http(method, &format!("/apiproxy{path}"), body, &headers)
    }

    pub fn assignments(&self) -> Vec<Value> {
        let (status, v) = self.api("GET", "/mtoapi/assignments", None, &[]);
        assert_eq!(status, 200, "{v}");
        v["items"].as_array().cloned().unwrap_or_default()
    }

    pub fn assignment(&self, id: &str) -> Option<Value> {
        let (status, v) = self.api("GET", &format!("/mtoapi/assignments/{id}"), None, &[]);
        (status == 200).then_some(v)
    }

    /// Changes an assignment as another writer would (read, modify, PUT with its eTag).
    pub fn modify(&self, id: &str, f: impl FnOnce(&mut Value)) {
        let mut doc = self.assignment(id).expect("assignment exists");
        let etag = doc["eTag"].as_str().unwrap().to_owned();
        f(&mut doc);
        let (status, v) = self.api(
            "PUT",
            &format!("/mtoapi/assignments/{id}"),
            Some(&doc),
            &[("If-Match", &etag)],
        );
        assert_eq!(status, 200, "{v}");
    }

    /// Turns every fault off (the test's own API calls would be faulted too).
    pub fn clear_faults(&self) {
        let (status, v) = self.http(
            "POST",
            "/_emulator/faults",
            Some(&serde_json::json!({})),
            &[],
        );
        assert_eq!(status, 200, "{v}");
    }

    pub fn stats(&self) -> Value {
        self.http("GET", "/_emulator/stats", None, &[]).1
    }

    pub fn reset_stats(&self) {
        self.http("POST", "/_emulator/stats/reset", None, &[]);
    }

    /// Requests per route since the last reset, e.g. `route_count("PUT /mtoapi/assignments/{id}")`.
    pub fn route_count(&self, route: &str) -> u64 {
        let stats = self.stats();
        stats["routes"]
            .as_object()
            .and_then(|r| {
                r.iter()
                    .find(|(k, _)| k.as_str() == route || k.ends_with(route))
                    .map(|(_, v)| v.as_u64().unwrap_or(0))
            })
            .unwrap_or(0)
    }

    pub fn world(&self) -> Value {
        self.http("GET", "/_emulator/world", None, &[]).1
    }
}

/// The emulator's demo home tenant (fixed in its demo world).
pub const HOME_TENANT: &str = "c0000000-0000-4000-8000-000000000000";
pub const FABRIKAM: &str = "c0000000-0000-4000-8000-000000000001";
pub const FABRIKAM_SOC: &str = "e0000001-0000-4000-8000-000000000001";
pub const FABRIKAM_FINANCE: &str = "e0000001-0000-4000-8000-000000000002";
pub const NORTHWIND: &str = "c0000000-0000-4000-8000-000000000002";
pub const NORTHWIND_ALL: &str = "e0000002-0000-4000-8000-000000000001";
pub const TAILSPIN: &str = "c0000000-0000-4000-8000-000000000003";
/// The demo tenant whose B2B/GDAP relationship is gone.
pub const WOODGROVE_LOST: &str = "c0000000-0000-4000-8000-000000000004";
pub const RULE_POWERSHELL: &str = "1001";
pub const RULE_LSASS: &str = "1002";
pub const POLICY_AV: &str = "5ec00000-0000-4000-8000-000000000001";

/// Tenant `i` (1-based) of `--extra-tenants`, and its one Entra group.
pub fn extra_tenant(i: u32) -> (String, String) {
    (
        format!("00000000-0000-4000-8000-{i:012}"),
        format!("e0000000-0000-4000-8000-{i:012}"),
    )
}

fn home_tenant(_emu: &Emulator) -> String {
    HOME_TENANT.to_owned()
}

fn dechunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, tail)) = rest.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || tail.len() < n {
            break;
        }
        out.push_str(&tail[..n]);
        rest = tail[n..].trim_start_matches("\r\n");
    }
    out
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One Terraform working directory with a dev_overrides CLI config.
pub struct Workspace {
    pub dir: tempfile::TempDir,
    env: Vec<(String, String)>,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Run {
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

impl Workspace {
    /// A directory whose provider points at `emu` (by DEFENDER_* variables) with the demo client credentials.
    pub fn new(emu: &Emulator) -> Self {
        let mut ws = Self::bare();
        for (k, v) in [
            ("DEFENDER_ENDPOINT", emu.endpoint()),
            ("DEFENDER_AUTHORITY_HOST", emu.base_url.clone()),
            ("DEFENDER_TENANT_ID", home_tenant(emu)),
            ("DEFENDER_CLIENT_ID", CLIENT_ID.to_owned()),
            ("DEFENDER_CLIENT_SECRET", CLIENT_SECRET.to_owned()),
            ("DEFENDER_MAX_RETRY_WAIT", "5s".to_owned()),
        ] {
            ws.set_env(k, &v);
        }
        ws
    }

    /// A directory with the dev_overrides CLI config and no provider settings in the environment.
    pub fn bare() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let cli = dir.path().join("cli.tfrc");
        std::fs::write(
            &cli,
            format!(
                "provider_installation {{\n  dev_overrides {{\n    \"registry.terraform.io/defender/defender\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
                bin_dir().display()
            ),
        )
        .unwrap();
        let ws = Self {
            dir,
            env: vec![
                ("TF_CLI_CONFIG_FILE".into(), cli.display().to_string()),
                ("TF_IN_AUTOMATION".into(), "1".into()),
                ("CHECKPOINT_DISABLE".into(), "1".into()),
            ],
        };
        ws.write_file(
            "versions.tf",
            "terraform {\n  required_providers {\n    defender = { source = \"defender/defender\" }\n  }\n}\n",
        );
        ws
    }

    pub fn set_env(&mut self, k: &str, v: &str) {
        self.env.retain(|(n, _)| n != k);
        self.env.push((k.into(), v.into()));
    }

    pub fn remove_env(&mut self, k: &str) {
        self.env.retain(|(n, _)| n != k);
    }

    pub fn write_file(&self, name: &str, content: &str) {
        std::fs::write(self.dir.path().join(name), content).unwrap();
    }

    /// Replaces main.tf.
    pub fn config(&self, main_tf: &str) {
        self.write_file("main.tf", main_tf);
    }

    pub fn tf(&self, args: &[&str]) -> Run {
        let started = Instant::now();
        let mut cmd = Command::new("terraform");
        cmd.args(args).current_dir(self.dir.path());
        for (var, _) in std::env::vars() {
            if var.starts_with("DEFENDER_") || var.starts_with("TF_LOG") || var == "PLUGIN_LOG_FILE"
            {
                cmd.env_remove(var);
            }
        }
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let out: Output = cmd.output().expect("run terraform (is it on PATH?)");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            elapsed: started.elapsed(),
        }
    }

    pub fn apply(&self) -> Run {
        let r = self.tf(&["apply", "-auto-approve", "-input=false", "-no-color"]);
        assert_eq!(r.code, 0, "terraform apply failed:\n{}", r.all());
        r
    }

    pub fn apply_fails(&self) -> Run {
        let r = self.tf(&["apply", "-auto-approve", "-input=false", "-no-color"]);
        assert_ne!(
            r.code,
            0,
            "terraform apply should have failed:\n{}",
            r.all()
        );
        r
    }

    pub fn destroy(&self) -> Run {
        let r = self.tf(&["destroy", "-auto-approve", "-input=false", "-no-color"]);
        assert_eq!(r.code, 0, "terraform destroy failed:\n{}", r.all());
        r
    }

    /// `terraform plan -detailed-exitcode`: the run and whether it has changes.
    pub fn plan(&self) -> (Run, bool) {
        let r = self.tf(&["plan", "-detailed-exitcode", "-input=false", "-no-color"]);
        assert!(
            r.code == 0 || r.code == 2,
            "terraform plan failed:\n{}",
            r.all()
        );
        let changes = r.code == 2;
        (r, changes)
    }

    pub fn assert_plan_empty(&self) {
        let (r, changes) = self.plan();
        assert!(!changes, "expected an empty plan, got:\n{}", r.stdout);
    }

    /// `terraform output -json` as a map.
    pub fn outputs(&self) -> Value {
        let r = self.tf(&["output", "-json"]);
        assert_eq!(r.code, 0, "{}", r.all());
        let v: Value = serde_json::from_str(&r.stdout).unwrap();
        let mut out = serde_json::Map::new();
        if let Some(m) = v.as_object() {
            for (k, o) in m {
                out.insert(k.clone(), o["value"].clone());
            }
        }
        Value::Object(out)
    }

    /// The state as `terraform show -json`.
    pub fn show(&self) -> Value {
        let r = self.tf(&["show", "-json"]);
        assert_eq!(r.code, 0, "{}", r.all());
        serde_json::from_str(&r.stdout).unwrap()
    }

    /// Resource addresses in the state.
    pub fn state_list(&self) -> Vec<String> {
        let r = self.tf(&["state", "list"]);
        r.stdout
            .lines()
            .map(str::to_owned)
            .filter(|l| !l.is_empty())
            .collect()
    }

    /// The raw state file contents.
    pub fn state_file(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("terraform.tfstate")).unwrap_or_default()
    }
}
