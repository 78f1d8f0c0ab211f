//! The real binary: what it prints, how it stops, and that its state file survives SIGKILL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{form, http_client, install_crypto, profile, FABRIKAM, HOME, NORTHWIND, RULE_1};
use reqwest::StatusCode;
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_defender-emulator");

struct Proc {
    child: Child,
    base: String,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the binary and reads its first stdout line.
fn spawn(args: &[&str], env: &[(&str, &str)]) -> Proc {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("the emulator binary starts");
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    // Keep draining so the emulator never blocks on a full pipe.
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut reader, &mut std::io::sink());
    });
    Proc {
        child,
        base: line.trim_end_matches('\n').to_owned(),
    }
}

async fn token(http: &reqwest::Client, base: &str) -> String {
    let resp = http
        .post(format!("{base}/{HOME}/oauth2/v2.0/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "demo-client-id"),
            ("client_secret", "demo-client-secret"),
            ("scope", "https://api.security.microsoft.com/.default"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

fn wait_exit(child: &mut Child, within: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_line_is_the_base_url_and_sigterm_stops_it() {
    let mut p = spawn(&[], &[("DEFENDER_EMULATOR_EXTRA_TENANTS", "2")]);
    let rest = p
        .base
        .strip_prefix("http://127.0.0.1:")
        .unwrap_or_else(|| panic!("first line {:?}", p.base));
    let port: u16 = rest.parse().unwrap();
    assert!(port > 0);

    let http = http_client();
    let world: Value = http
        .get(format!("{}/_emulator/world", p.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(world["tenants"].as_array().unwrap().len(), 6 + 2);
    let t = token(&http, &p.base).await;
    let r = http
        .get(format!("{}/apiproxy/mtoapi/assignments", p.base))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    drop(http);

    let killed = Command::new("kill")
        .args(["-TERM", &p.child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = wait_exit(&mut p.child, Duration::from_secs(10)).expect("exits on SIGTERM");
    assert!(status.success(), "{status:?}");
}

#[test]
fn a_corrupt_state_file_is_a_clear_startup_error() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    std::fs::write(&state, b"{\"format\": 1, \"assignments\": [").unwrap();
    let out = Command::new(BIN)
        .args(["--state-file", state.to_str().unwrap()])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        out.stdout.is_empty(),
        "no base URL for a server that did not start"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not a valid emulator state"), "{err}");
    assert!(err.contains("state.json"), "{err}");
}

/// What the server acknowledged, and what may have landed without an answer.
#[derive(Default)]
struct Ledger {
    /// name → id, for every acknowledged create.
    created: HashMap<String, String>,
    /// id → highest acknowledged description version.
    version: HashMap<String, u32>,
    synced: HashSet<String>,
    deleted: HashSet<String>,
    /// Deletes sent, acknowledged or not.
    delete_sent: HashSet<String>,
    acked_writes: usize,
}

async fn worker(
    w: usize,
    http: reqwest::Client,
    base: String,
    token: String,
    ledger: Arc<Mutex<Ledger>>,
) {
    let api = format!("{base}/apiproxy/mtoapi/assignments");
    for j in 0.. {
        let name = format!("w{w}-{j}");
        let Ok(resp) = http
            .post(&api)
            .bearer_auth(&token)
            .json(&profile(
                &name,
                &[FABRIKAM, NORTHWIND],
                &[(RULE_1, "CustomDetectionRule")],
            ))
            .send()
            .await
        else {
            return;
        };
        assert_eq!(resp.status(), StatusCode::CREATED);
        let Ok(a) = resp.json::<Value>().await else {
            return;
        };
        let id = a["id"].as_str().unwrap().to_owned();
        let mut etag = a["eTag"].as_str().unwrap().to_owned();
        {
            let mut l = ledger.lock().unwrap();
            l.created.insert(name.clone(), id.clone());
            l.acked_writes += 1;
        }
        for v in 1..=3u32 {
            let mut doc = profile(
                &name,
                &[FABRIKAM, NORTHWIND],
                &[(RULE_1, "CustomDetectionRule")],
            );
            doc["description"] = json!(format!("v{v}"));
            let Ok(resp) = http
                .put(format!("{api}/{id}"))
                .bearer_auth(&token)
                .header("if-match", &etag)
                .json(&doc)
                .send()
                .await
            else {
                return;
            };
            assert_eq!(resp.status(), StatusCode::OK);
            let Ok(b) = resp.json::<Value>().await else {
                return;
            };
            etag = b["eTag"].as_str().unwrap().to_owned();
            let mut l = ledger.lock().unwrap();
            l.version.insert(id.clone(), v);
            l.acked_writes += 1;
        }
        let Ok(resp) = http
            .post(format!("{api}/{id}/sync"))
            .bearer_auth(&token)
            .json(&json!({}))
            .send()
            .await
        else {
            return;
        };
        if resp.bytes().await.is_err() {
            return;
        }
        {
            let mut l = ledger.lock().unwrap();
            l.synced.insert(id.clone());
            l.acked_writes += 1;
        }
        if j % 3 == 2 {
            ledger.lock().unwrap().delete_sent.insert(id.clone());
            let Ok(resp) = http
                .delete(format!("{api}/{id}"))
                .bearer_auth(&token)
                .send()
                .await
            else {
                return;
            };
            if resp.bytes().await.is_err() {
                return;
            }
            let mut l = ledger.lock().unwrap();
            l.deleted.insert(id);
            l.acked_writes += 1;
        }
    }
}

fn assert_valid_state_file(path: &Path) {
    let bytes = std::fs::read(path).expect("the state file exists");
    let v: Value = serde_json::from_slice(&bytes).expect("the state file is whole JSON");
    assert!(v["assignments"].is_array());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let state_arg = state.to_str().unwrap().to_owned();
    let mut p = spawn(&["--state-file", &state_arg, "--sync-delay-ms", "50"], &[]);
    let http = {
        install_crypto();
        reqwest::Client::builder()
    }
    .timeout(Duration::from_secs(20))
    .build()
    .unwrap();
    let t = token(&http, &p.base).await;
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let workers: Vec<_> = (0..8)
        .map(|w| {
            tokio::spawn(worker(
                w,
                http.clone(),
                p.base.clone(),
                t.clone(),
                Arc::clone(&ledger),
            ))
        })
        .collect();

    // Let the burst run until a good number of writes are acknowledged, then SIGKILL.
    let started = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let n = ledger.lock().unwrap().acked_writes;
        if n >= 150 || started.elapsed() > Duration::from_secs(20) {
            break;
        }
    }
    p.child.kill().unwrap();
    p.child.wait().unwrap();
    for w in workers {
        w.await.unwrap();
    }
    let acked = ledger.lock().unwrap().acked_writes;
    assert!(
        acked >= 40,
        "the burst was too small to mean anything: {acked} writes"
    );
    assert_valid_state_file(&state);

    // Restart on the same file and check every acknowledged write.
    let p2 = spawn(&["--state-file", &state_arg], &[]);
    let t2 = token(&http, &p2.base).await;
    // Let the syncs started just before the kill (2 x 50 ms) run out.
    tokio::time::sleep(Duration::from_millis(150)).await;
    let list: Value = http
        .get(format!("{}/apiproxy/mtoapi/assignments", p2.base))
        .bearer_auth(&t2)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let by_id: HashMap<String, &Value> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["id"].as_str().unwrap().to_owned(), a))
        .collect();
    let l = std::mem::take(&mut *ledger.lock().unwrap());
    let mut checked = 0;
    for (name, id) in &l.created {
        if l.deleted.contains(id) {
            assert!(
                !by_id.contains_key(id),
                "acknowledged delete of {name} lost"
            );
            continue;
        }
        let Some(a) = by_id.get(id) else {
            assert!(
                l.delete_sent.contains(id),
                "acknowledged create of {name} ({id}) lost"
            );
            continue;
        };
        checked += 1;
        assert_eq!(a["name"], name.as_str());
        if let Some(v) = l.version.get(id) {
            let stored: u32 = a["description"]
                .as_str()
                .unwrap()
                .trim_start_matches('v')
                .parse()
                .unwrap();
            assert!(stored >= *v, "{name}: acknowledged v{v}, found v{stored}");
        }
        if l.synced.contains(id) {
            assert!(
                a["lastSyncedOn"].is_string(),
                "{name}: acknowledged sync lost"
            );
            // Syncs started before the kill have long finished by now.
            for u in a["syncUnitStatuses"].as_array().unwrap() {
                assert_eq!(u["syncStatus"], "Success", "{u}");
            }
        }
    }
    assert!(checked > 0);

    // The restarted server keeps working on the same file.
    let r = http
        .post(format!("{}/apiproxy/mtoapi/assignments", p2.base))
        .bearer_auth(&t2)
        .json(&profile("after-restart", &[], &[]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_valid_state_file(&state);
    let text = std::fs::read_to_string(&state).unwrap();
    assert!(text.contains("after-restart"));
}
