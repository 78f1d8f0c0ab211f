//! Micro-measurements behind `docs/performance.md` (run by `scripts/bench.sh`; prints Markdown).
//!
//! 1. (De)serialisation of one large assignment with the provider's own wire types: decode
//!    (`api::decode`, what every GET and PUT answer costs), encode (every PUT body), clone (every
//!    batch copies the document before applying its edits).
//! 2. The lookup every target's refresh does in the shared document.
//! 3. The profile store (group commit, shared reads, coalesced syncs) driven like Terraform does
//!    (10 callers at once) against an in-process backend, to show its own overhead and how many
//!    PUTs/GETs it makes, without the network, the plugin protocol or Terraform.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use terraform_provider_defender::api::types::{
    Assignment, ContentType, ErrorType, SyncAccepted, SyncStatus, SyncUnitStatus, Template,
    Variables,
};
use terraform_provider_defender::api::{decode, ApiError};
use terraform_provider_defender::store::{AssignmentBackend, Edit, ProfileStore, StoreOptions};

const HOME: &str = "c0000000-0000-4000-8000-000000000000";
const CONTENT: [(&str, ContentType); 5] = [
    ("1001", ContentType::CustomDetectionRule),
    ("1002", ContentType::CustomDetectionRule),
    ("1003", ContentType::CustomDetectionRule),
    (
        "5ec00000-0000-4000-8000-000000000001",
        ContentType::EndpointSecurityPolicy,
    ),
    (
        "5ec00000-0000-4000-8000-000000000002",
        ContentType::EndpointSecurityPolicy,
    ),
];

fn tenant(i: usize) -> String {
    format!("00000000-0000-4000-8000-{i:012}")
}

fn group(i: usize) -> String {
    format!("e0000000-0000-4000-8000-{i:012}")
}

fn scope(i: usize) -> Variables {
    BTreeMap::from([("EntraGroups".to_owned(), vec![group(i)])])
}

fn unit(
    a: &Assignment,
    t: &Template,
    tenant_id: &str,
    vars: &Variables,
    k: usize,
) -> SyncUnitStatus {
    SyncUnitStatus {
        id: format!("a0000000-0000-4000-8000-{k:012}"),
        assignment_id: a.id.clone(),
        template_id: t.id.clone(),
        template_name: t.name.clone(),
        content_type: t.content_type.clone(),
        source_tenant_id: HOME.to_owned(),
        target_tenant_id: tenant_id.to_owned(),
        target_content_id: Some(format!("b0000000-0000-8000-8000-{k:012}")),
        last_synced_on: Some("2026-01-01T12:00:00.123Z".to_owned()),
        last_synced_by: Some("demo-client-id".to_owned()),
        sync_status: SyncStatus::Success,
        error_type: ErrorType::None,
        expected_variables: vars.clone(),
        synced_variables: vars.clone(),
    }
}

/// Rebuilds the units as the API does: one per template × target, synced.
fn rebuild_units(a: &mut Assignment) {
    let mut units = Vec::with_capacity(a.templates.len() * a.target_tenant_ids.len());
    let empty = Variables::new();
    for t in &a.templates {
        for tid in &a.target_tenant_ids {
            let vars = a.variables.get(tid).unwrap_or(&empty);
            units.push(unit(a, t, tid, vars, units.len()));
        }
    }
    a.sync_unit_statuses = units;
}

/// A profile with the 5 content items and `n` targets, each with one Entra group, all synced.
fn document(n: usize) -> Assignment {
    let mut a = Assignment {
        id: "9a000000-0000-4000-8000-000000000001".into(),
        e_tag: "\"etag-1\"".into(),
        name: "bench".into(),
        description: "scale benchmark".into(),
        created_on: Some("2026-01-01T12:00:00Z".into()),
        created_by: Some("demo-client-id".into()),
        last_synced_on: Some("2026-01-01T12:00:00Z".into()),
        last_synced_by: Some("demo-client-id".into()),
        templates: CONTENT
            .iter()
            .map(|(id, ct)| Template {
                id: (*id).to_owned(),
                content_type: ct.clone(),
                name: format!("Content item {id}"),
            })
            .collect(),
        ..Assignment::default()
    };
    for i in 1..=n {
        a.target_tenant_ids.push(tenant(i));
        a.variables.insert(tenant(i), scope(i));
    }
    rebuild_units(&mut a);
    a
}

/// Median of `reps` timings of `f`.
fn time<R>(reps: usize, mut f: impl FnMut() -> R) -> Duration {
    let mut v: Vec<Duration> = (0..reps)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(f());
            t.elapsed()
        })
        .collect();
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

fn codec() {
    println!(
        "**(De)serialisation** of one assignment with the provider's wire types (median of 15):"
    );
    println!();
    println!("| targets | sync units | JSON size | decode ms | encode ms | clone ms | PUT body without units: size, encode ms | refresh lookups of all targets ms |");
    println!("|---|---|---|---|---|---|---|---|");
    for n in [200, 1000] {
        let doc = document(n);
        let bytes = serde_json::to_vec(&doc).unwrap();
        let decode_t = time(15, || {
            decode::<Assignment>("bench", 200, None, &bytes).unwrap()
        });
        let encode_t = time(15, || serde_json::to_vec(&doc).unwrap());
        let clone_t = time(15, || doc.clone());
        let mut bare = doc.clone();
        bare.sync_unit_statuses.clear();
        let bare_bytes = serde_json::to_vec(&bare).unwrap();
        let bare_t = time(15, || serde_json::to_vec(&bare).unwrap());
        // What every target's read does: find its tenant (case-insensitively) in the shared
        // document, then its variables.
        let lookups = time(15, || {
            let mut found = 0;
            for i in 1..=n {
                let t = tenant(i);
                if let Some(k) = doc
                    .target_tenant_ids
                    .iter()
                    .find(|x| x.eq_ignore_ascii_case(&t))
                {
                    found += doc.variables.get(k).map_or(0, BTreeMap::len);
                }
            }
            found
        });
        println!(
            "| {n} | {} | {:.0} KiB | {} | {} | {} | {:.0} KiB, {} | {} |",
            doc.sync_unit_statuses.len(),
            bytes.len() as f64 / 1024.0,
            ms(decode_t),
            ms(encode_t),
            ms(clone_t),
            bare_bytes.len() as f64 / 1024.0,
            ms(bare_t),
            ms(lookups),
        );
    }
    println!();
}

/// An in-process API: a document behind a mutex, answers through real JSON on both sides
/// (client encodes the PUT body, "server" decodes it and rebuilds the units, encodes its answer,
/// client decodes it), plus an optional sleep per request.
struct Fake {
    doc: Mutex<Assignment>,
    etag: AtomicUsize,
    latency: Duration,
    wire: bool,
    gets: AtomicUsize,
    puts: AtomicUsize,
    syncs: AtomicUsize,
    /// Nanoseconds spent in the fake's own work (not sleeping), to subtract from the wall time.
    busy_ns: AtomicU64,
}

impl Fake {
    fn busy<R>(&self, f: impl FnOnce() -> R) -> R {
        let t = Instant::now();
        let r = f();
        self.busy_ns
            .fetch_add(t.elapsed().as_nanos() as u64, Ordering::Relaxed);
        r
    }
    async fn delay(&self) {
        if !self.latency.is_zero() {
            tokio::time::sleep(self.latency).await;
        }
    }
    fn answer(&self, doc: &Assignment) -> Assignment {
        if self.wire {
            let bytes = serde_json::to_vec(doc).unwrap();
            decode("bench", 200, None, &bytes).unwrap()
        } else {
            doc.clone()
        }
    }
}

#[async_trait::async_trait]
impl AssignmentBackend for Fake {
    async fn get(&self, _id: &str) -> Result<Assignment, ApiError> {
        self.gets.fetch_add(1, Ordering::Relaxed);
        self.delay().await;
        Ok(self.busy(|| {
            let doc = self.doc.lock().unwrap().clone();
            self.answer(&doc)
        }))
    }

    async fn put(&self, _id: &str, e_tag: &str, doc: &Assignment) -> Result<Assignment, ApiError> {
        self.puts.fetch_add(1, Ordering::Relaxed);
        // The client's encoding of the body is the provider's work, the rest the fake's.
        let body = self.wire.then(|| serde_json::to_vec(doc).unwrap());
        let mut sent = self.busy(|| match &body {
            Some(body) => serde_json::from_slice::<Assignment>(body).unwrap(),
            None => doc.clone(),
        });
        self.delay().await;
        let written = self.busy(|| {
            let mut cur = self.doc.lock().unwrap();
            assert_eq!(cur.e_tag, e_tag, "the store sent a stale eTag");
            sent.e_tag = format!("\"etag-{}\"", self.etag.fetch_add(1, Ordering::Relaxed) + 2);
            rebuild_units(&mut sent);
            *cur = sent;
            cur.clone()
        });
        let answer = if self.wire {
            let bytes = self.busy(|| serde_json::to_vec(&written).unwrap());
            decode("bench", 200, None, &bytes).unwrap()
        } else {
            written
        };
        Ok(answer)
    }

    async fn sync(&self, id: &str) -> Result<SyncAccepted, ApiError> {
        self.syncs.fetch_add(1, Ordering::Relaxed);
        self.delay().await;
        Ok(SyncAccepted {
            assignment_id: id.to_owned(),
            sync_units: 0,
        })
    }
}

struct StoreRun {
    wall: Duration,
    fake: Duration,
    gets: usize,
    puts: usize,
    syncs: usize,
}

/// `n` "add target" edits, each followed by a sync as the resource's create does, from 10
/// concurrent callers (Terraform's parallelism); then `n` concurrent reads in a new store (a
/// new provider process: the refresh of a no-change plan).
async fn store_run(n: usize, latency: Duration, wire: bool) -> (StoreRun, StoreRun) {
    let fake = Arc::new(Fake {
        doc: Mutex::new(document(0)),
        etag: AtomicUsize::new(0),
        latency,
        wire,
        gets: AtomicUsize::new(0),
        puts: AtomicUsize::new(0),
        syncs: AtomicUsize::new(0),
        busy_ns: AtomicU64::new(0),
    });
    let store = ProfileStore::new(fake.clone(), StoreOptions::default());
    let next = Arc::new(AtomicUsize::new(1));
    let started = Instant::now();
    let workers: Vec<_> = (0..10)
        .map(|_| {
            let (store, next) = (store.clone(), next.clone());
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i > n {
                        return;
                    }
                    let (t, vars) = (tenant(i), scope(i));
                    let edit = Edit::new(format!("add {t}"), move |doc: &mut Assignment, _| {
                        doc.target_tenant_ids.push(t.clone());
                        doc.variables.insert(t.clone(), vars.clone());
                        Ok(())
                    });
                    store.edit("p", edit).await.unwrap();
                    store.sync("p").await.unwrap();
                }
            })
        })
        .collect();
    for w in workers {
        w.await.unwrap();
    }
    let writes = StoreRun {
        wall: started.elapsed(),
        fake: Duration::from_nanos(fake.busy_ns.swap(0, Ordering::Relaxed)),
        gets: fake.gets.swap(0, Ordering::Relaxed),
        puts: fake.puts.swap(0, Ordering::Relaxed),
        syncs: fake.syncs.swap(0, Ordering::Relaxed),
    };
    assert_eq!(fake.doc.lock().unwrap().target_tenant_ids.len(), n);
    let fresh = ProfileStore::new(fake.clone(), StoreOptions::default());
    let started = Instant::now();
    let readers: Vec<_> = (0..n)
        .map(|_| {
            let s = fresh.clone();
            tokio::spawn(async move { s.read("p").await.unwrap().target_tenant_ids.len() })
        })
        .collect();
    for r in readers {
        assert_eq!(r.await.unwrap(), n);
    }
    let reads = StoreRun {
        wall: started.elapsed(),
        fake: Duration::from_nanos(fake.busy_ns.swap(0, Ordering::Relaxed)),
        gets: fake.gets.swap(0, Ordering::Relaxed),
        puts: 0,
        syncs: 0,
    };
    (writes, reads)
}

async fn store() {
    println!("**Profile store** (`ProfileStore`: group commit, shared reads, coalesced syncs), `n` add-target edits each followed by a sync, from 10 concurrent callers, against an in-process backend; then `n` concurrent reads in a fresh store:");
    println!();
    println!("| n | backend | edits: wall ms | of which the fake's work ms | µs per edit without the fake's work | PUTs | edits per PUT | syncs | reads: wall ms | GETs |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for (n, latency, wire, what) in [
        (1000, 0, false, "instant, no JSON (store overhead only)"),
        (200, 0, true, "instant, real JSON both ways"),
        (1000, 0, true, "instant, real JSON both ways"),
        (200, 5, false, "5 ms per request, no JSON"),
    ] {
        let (w, r) = store_run(n, Duration::from_millis(latency), wire).await;
        println!(
            "| {n} | {what} | {} | {} | {:.0} | {} | {:.1} | {} | {} | {} |",
            ms(w.wall),
            ms(w.fake),
            w.wall.saturating_sub(w.fake).as_secs_f64() * 1e6 / n as f64,
            w.puts,
            n as f64 / w.puts.max(1) as f64,
            w.syncs,
            ms(r.wall),
            r.gets,
        );
    }
    println!();
}

fn main() {
    codec();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(store());
}
