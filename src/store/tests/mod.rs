//! Behaviour of the profile store against an in-memory API (`fake.rs`).

mod fake;

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use self::fake::{Fake, PutStep};
use super::{Edit, EditError, EditRejected, ProfileStore, StoreOptions};
use crate::api::types::Assignment;

const P: &str = "profile-1";

fn profile(id: &str) -> Assignment {
    Assignment {
        id: id.to_owned(),
        name: format!("name of {id}"),
        ..Assignment::default()
    }
}

/// "Add target tenant `t`": rejects if already there, unless an earlier PUT may have added it.
fn add_tenant(t: &str) -> Edit {
    let t = t.to_owned();
    Edit::new(format!("add target tenant {t}"), move |doc, ctx| {
        if doc.target_tenant_ids.contains(&t) {
            if ctx.maybe_applied {
                return Ok(());
            }
            return Err(EditRejected(format!("tenant {t} is already a target")));
        }
        doc.target_tenant_ids.push(t.clone());
        Ok(())
    })
}

fn set_description(d: &str) -> Edit {
    let d = d.to_owned();
    Edit::new("set description", move |doc, _| {
        doc.description = d.clone();
        Ok(())
    })
}

fn setup(lo: u64, hi: u64) -> (Arc<Fake>, ProfileStore) {
    setup_with(lo, hi, StoreOptions::default())
}

fn setup_with(lo: u64, hi: u64, options: StoreOptions) -> (Arc<Fake>, ProfileStore) {
    let fake = Fake::new(lo, hi);
    fake.insert(profile(P));
    let store = ProfileStore::new(fake.clone(), options);
    (fake, store)
}

fn count(c: &std::sync::atomic::AtomicU32) -> u32 {
    Fake::count(c)
}

async fn wait_until(what: &str, cond: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(3);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

fn tenants(doc: &Assignment) -> Vec<String> {
    doc.target_tenant_ids.clone()
}

fn assert_no_duplicates(doc: &Assignment) {
    let mut t = tenants(doc);
    let n = t.len();
    t.sort();
    t.dedup();
    assert_eq!(
        t.len(),
        n,
        "duplicate tenants in {:?}",
        doc.target_tenant_ids
    );
}

/// Starts a "blocker" edit whose PUT is slow, and returns once that PUT is on the wire: edits
/// queued now form the next batch together.
async fn start_blocker(
    fake: &Arc<Fake>,
    store: &ProfileStore,
) -> tokio::task::JoinHandle<Result<Arc<Assignment>, EditError>> {
    let puts_before = count(&fake.puts);
    fake.script_puts([PutStep::Delay(Duration::from_millis(150))]);
    let s = store.clone();
    let blocker = tokio::spawn(async move { s.edit(P, add_tenant("BLOCKER")).await });
    wait_until("the blocker's PUT is sent", || {
        count(&fake.puts) > puts_before
    })
    .await;
    blocker
}

/// Queues `edits` one after the other (so their order in the batch is known) while the
/// blocker's PUT is in flight.
async fn queue_edits(
    store: &ProfileStore,
    edits: Vec<Edit>,
) -> Vec<tokio::task::JoinHandle<Result<Arc<Assignment>, EditError>>> {
    let mut handles = Vec::new();
    for edit in edits {
        let s = store.clone();
        handles.push(tokio::spawn(async move { s.edit(P, edit).await }));
        tokio::time::sleep(Duration::from_millis(3)).await;
    }
    handles
}

async fn results(
    handles: Vec<tokio::task::JoinHandle<Result<Arc<Assignment>, EditError>>>,
) -> Vec<Result<Arc<Assignment>, EditError>> {
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

/// Runs `n` "add tenant T_i" edits with at most 10 in flight, like Terraform's parallelism.
async fn add_many(store: &ProfileStore, n: usize) -> Vec<Result<Arc<Assignment>, EditError>> {
    let permits = Arc::new(Semaphore::new(10));
    let mut set = JoinSet::new();
    for i in 0..n {
        let store = store.clone();
        let permits = Arc::clone(&permits);
        set.spawn(async move {
            let _permit = permits.acquire_owned().await.unwrap();
            store.edit(P, add_tenant(&format!("T{i}"))).await
        });
    }
    let mut out = Vec::new();
    while let Some(r) = set.join_next().await {
        out.push(r.unwrap());
    }
    out
}

// 1. group commit: n edits cost about n/10 PUTs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_edits_with_parallelism_ten_are_batched() {
    let (fake, store) = setup(5, 20);
    let started = Instant::now();
    let outcomes = add_many(&store, 200).await;
    for o in &outcomes {
        assert!(o.is_ok(), "{o:?}");
    }
    let doc = fake.doc(P);
    assert_eq!(doc.target_tenant_ids.len(), 200);
    assert_no_duplicates(&doc);
    for i in 0..200 {
        assert!(doc.target_tenant_ids.contains(&format!("T{i}")));
    }
    let (puts, gets) = (count(&fake.puts), count(&fake.gets));
    println!(
        "200 edits: {puts} PUTs, {gets} GETs, {} ms",
        started.elapsed().as_millis()
    );
    assert!(puts <= 40, "{puts} PUTs for 200 edits");
    assert_eq!(gets, 1, "only the first batch needs to read the profile");
    // The store's view is the written document.
    assert_eq!(*store.read(P).await.unwrap(), doc);
}

// 2. a foreign writer mid-run: its change and all of ours survive; the 412 is retried.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_write_mid_run_survives_and_ours_too() {
    let (fake, store) = setup(5, 20);
    fake.script_puts([
        PutStep::Normal,
        PutStep::Normal,
        PutStep::ForeignFirst(Box::new(|d: &mut Assignment| {
            d.description = "changed in the portal".into();
            d.target_tenant_ids.push("FOREIGN".into());
        })),
    ]);
    let outcomes = add_many(&store, 50).await;
    for o in &outcomes {
        assert!(o.is_ok(), "{o:?}");
    }
    let doc = fake.doc(P);
    assert_eq!(doc.description, "changed in the portal");
    assert!(doc.target_tenant_ids.contains(&"FOREIGN".to_owned()));
    for i in 0..50 {
        assert!(doc.target_tenant_ids.contains(&format!("T{i}")));
    }
    assert_eq!(doc.target_tenant_ids.len(), 51);
    let (puts, gets, stale) = (count(&fake.puts), count(&fake.gets), count(&fake.put_412s));
    println!("50 edits + foreign write: {puts} PUTs ({stale} refused with 412), {gets} GETs");
    assert_eq!(stale, 1);
    assert_eq!(gets, 2, "one first read, one re-read after the 412");
}

// 3. an edit that rejects fails alone; the rest of its batch is written by one PUT.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_edit_fails_alone() {
    let (fake, store) = setup(5, 10);
    fake.foreign_write(P, |d| d.target_tenant_ids.push("T2".into()));
    let blocker = start_blocker(&fake, &store).await;
    let handles = queue_edits(
        &store,
        vec![add_tenant("T1"), add_tenant("T2"), add_tenant("T3")],
    )
    .await;
    assert!(blocker.await.unwrap().is_ok());
    let r = results(handles).await;
    let t1 = r[0].as_ref().unwrap();
    match &r[1] {
        Err(EditError::Rejected(msg)) => assert!(msg.contains("T2 is already a target"), "{msg}"),
        other => panic!("expected a rejection, got {other:?}"),
    }
    let t3 = r[2].as_ref().unwrap();
    assert_eq!(t1.e_tag, t3.e_tag, "T1 and T3 were written by the same PUT");
    assert_eq!(count(&fake.puts), 2, "blocker's PUT + one for the batch");
    let doc = fake.doc(P);
    assert_eq!(tenants(&doc), ["T2", "BLOCKER", "T1", "T3"]);
}

// 3b. an edit that rejects after an earlier edit of the batch: the earlier edit's change is
// kept, the rejecting edit's partial change is not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_edit_leaves_no_partial_change() {
    let (fake, store) = setup(5, 10);
    let blocker = start_blocker(&fake, &store).await;
    let half_done = Edit::new("half done", |doc, _| {
        doc.description = "half-done edit was here".into();
        Err(EditRejected("gave up halfway".into()))
    });
    let handles = queue_edits(
        &store,
        vec![add_tenant("T1"), half_done, set_description("kept")],
    )
    .await;
    assert!(blocker.await.unwrap().is_ok());
    let r = results(handles).await;
    assert!(r[0].is_ok());
    assert!(matches!(&r[1], Err(EditError::Rejected(m)) if m == "gave up halfway"));
    assert!(r[2].is_ok());
    let doc = fake.doc(P);
    assert_eq!(doc.description, "kept");
    assert_eq!(tenants(&doc), ["BLOCKER", "T1"]);
}

// 4. a non-412 error fails the whole batch, and nothing is considered written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_put_error_fails_the_whole_batch() {
    let (fake, store) = setup(5, 10);
    let blocker = start_blocker(&fake, &store).await;
    fake.script_puts([PutStep::Fail(400, "BadRequest")]);
    let handles = queue_edits(
        &store,
        vec![add_tenant("T1"), add_tenant("T2"), add_tenant("T3")],
    )
    .await;
    assert!(blocker.await.unwrap().is_ok());
    for r in results(handles).await {
        match r {
            Err(EditError::Api(e)) => {
                assert_eq!(e.status(), Some(400));
                assert_eq!(e.code(), Some("BadRequest"));
            }
            other => panic!("expected the API error, got {other:?}"),
        }
    }
    assert_eq!(count(&fake.puts), 2);
    assert_eq!(tenants(&fake.doc(P)), ["BLOCKER"]);
    assert_eq!(tenants(&store.read(P).await.unwrap()), ["BLOCKER"]);
    // The store goes on: the next edit is written.
    store.edit(P, add_tenant("T4")).await.unwrap();
    assert_eq!(tenants(&fake.doc(P)), ["BLOCKER", "T4"]);
}

// 5. a 412 on every attempt: Contention for every edit of the batch, after the bound.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endless_contention_fails_the_batch_with_contention() {
    let (fake, store) = setup_with(
        2,
        5,
        StoreOptions {
            max_conflict_retries: 3,
        },
    );
    let blocker = start_blocker(&fake, &store).await;
    fake.set_always_foreign(true);
    let handles = queue_edits(
        &store,
        vec![add_tenant("T1"), add_tenant("T2"), add_tenant("T3")],
    )
    .await;
    assert!(blocker.await.unwrap().is_ok());
    for r in results(handles).await {
        match r {
            Err(e @ EditError::Contention { .. }) => {
                let EditError::Contention {
                    profile_id,
                    attempts,
                } = &e
                else {
                    unreachable!()
                };
                assert_eq!(profile_id, P);
                assert_eq!(*attempts, 4, "one attempt + 3 retries");
                let text = e.to_string();
                assert!(text.contains("another writer kept changing"), "{text}");
                assert!(text.contains("run the apply again"), "{text}");
            }
            other => panic!("expected Contention, got {other:?}"),
        }
    }
    let (puts, stale, gets) = (count(&fake.puts), count(&fake.put_412s), count(&fake.gets));
    println!("contention: {puts} PUTs, {stale} refused with 412, {gets} GETs");
    assert_eq!(puts, 1 + 4);
    assert_eq!(stale, 4);
    let doc = fake.doc(P);
    assert_eq!(tenants(&doc), ["BLOCKER"]);
    assert_eq!(doc.description, "++++", "the foreign writes all landed");
}

// 6. a PUT that landed but lost its answer: re-read, the edits see `maybe_applied` and
// succeed without writing again; nothing is duplicated.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_answer_of_a_landed_put_is_resolved_by_re_reading() {
    let (fake, store) = setup(5, 10);
    let blocker = start_blocker(&fake, &store).await;
    fake.script_puts([PutStep::LandThenLose]);
    let handles = queue_edits(
        &store,
        vec![add_tenant("T1"), add_tenant("T2"), add_tenant("T3")],
    )
    .await;
    assert!(blocker.await.unwrap().is_ok());
    for r in results(handles).await {
        let doc = r.unwrap();
        assert_eq!(tenants(&doc), ["BLOCKER", "T1", "T2", "T3"]);
    }
    let (puts, gets) = (count(&fake.puts), count(&fake.gets));
    println!("landed + lost answer: {puts} PUTs, {gets} GETs");
    assert_eq!(puts, 2, "no second write: the first one landed");
    assert_eq!(gets, 2, "first read + re-read after the lost answer");
    assert_eq!(tenants(&fake.doc(P)), ["BLOCKER", "T1", "T2", "T3"]);
    assert_eq!(
        tenants(&store.read(P).await.unwrap()),
        ["BLOCKER", "T1", "T2", "T3"]
    );
}

// 6b. a PUT that did not land and lost its answer: re-read, re-applied, written once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_answer_of_a_put_that_did_not_land_is_retried() {
    let (fake, store) = setup(5, 10);
    fake.script_puts([PutStep::Lose]);
    let doc = store.edit(P, add_tenant("T1")).await.unwrap();
    assert_eq!(tenants(&doc), ["T1"]);
    assert_eq!(count(&fake.puts), 2);
    assert_no_duplicates(&fake.doc(P));
    assert_eq!(tenants(&fake.doc(P)), ["T1"]);
}

// 7a. concurrent reads share one GET; later reads use the cache.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_reads_share_one_get() {
    let (fake, store) = setup(10, 20);
    let mut set = JoinSet::new();
    for _ in 0..100 {
        let s = store.clone();
        set.spawn(async move { s.read(P).await });
    }
    while let Some(r) = set.join_next().await {
        assert_eq!(r.unwrap().unwrap().id, P);
    }
    println!("100 concurrent reads: {} GETs", count(&fake.gets));
    assert_eq!(count(&fake.gets), 1);
    store.read(P).await.unwrap();
    assert_eq!(count(&fake.gets), 1, "a later read uses the cache");
}

// 7b. a GET that started before our write finished is never handed to a later read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_after_write_never_returns_an_older_document() {
    let (fake, store) = setup(3, 5);
    store.read(P).await.unwrap();
    // A slow status poll starts before the write and answers after it.
    fake.delay_next_get(Duration::from_millis(150));
    let s = store.clone();
    let slow_poll = tokio::spawn(async move { s.read_fresh(P).await });
    wait_until("the slow GET is sent", || count(&fake.gets) == 2).await;

    let written = store.edit(P, add_tenant("W")).await.unwrap();
    assert_eq!(tenants(&written), ["W"]);
    assert_eq!(tenants(&store.read(P).await.unwrap()), ["W"]);
    // Reads after the write do not join the GET that started before it.
    assert_eq!(tenants(&store.read_fresh(P).await.unwrap()), ["W"]);
    assert!(!slow_poll.is_finished());

    let old = slow_poll.await.unwrap().unwrap();
    assert!(
        tenants(&old).is_empty(),
        "the poll started before the write"
    );
    // …and its answer did not replace the newer cached document.
    let gets = count(&fake.gets);
    assert_eq!(tenants(&store.read(P).await.unwrap()), ["W"]);
    assert_eq!(count(&fake.gets), gets, "served from the cache");
}

// 7c. with nothing cached (after `forget`), a GET in flight from before is not joined.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_does_not_join_a_get_that_started_before_forget() {
    let (fake, store) = setup(3, 5);
    fake.delay_next_get(Duration::from_millis(150));
    let s = store.clone();
    let early = tokio::spawn(async move { s.read(P).await });
    wait_until("the slow GET is sent", || count(&fake.gets) == 1).await;
    fake.foreign_write(P, |d| d.description = "after".into());
    store.forget(P);
    let late = store.read(P).await.unwrap();
    assert_eq!(late.description, "after");
    assert_eq!(count(&fake.gets), 2);
    assert_eq!(early.await.unwrap().unwrap().description, "");
    assert_eq!(store.read(P).await.unwrap().description, "after");
    assert_eq!(count(&fake.gets), 2);
}

// 7d. read_fresh always GETs, sharing the GET with concurrent callers only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_fresh_always_gets() {
    let (fake, store) = setup(5, 10);
    store.read(P).await.unwrap();
    for i in 0..3 {
        fake.foreign_write(P, |d| d.description = format!("v{i}"));
        assert_eq!(
            store.read_fresh(P).await.unwrap().description,
            format!("v{i}")
        );
    }
    assert_eq!(count(&fake.gets), 4);
    let mut set = JoinSet::new();
    for _ in 0..20 {
        let s = store.clone();
        set.spawn(async move { s.read_fresh(P).await });
    }
    while let Some(r) = set.join_next().await {
        r.unwrap().unwrap();
    }
    println!(
        "3 sequential + 20 concurrent read_fresh: {} GETs",
        count(&fake.gets) - 1
    );
    assert_eq!(count(&fake.gets), 5);
    // The freshest answer is cached for `read`.
    assert_eq!(store.read(P).await.unwrap().description, "v2");
    assert_eq!(count(&fake.gets), 5);
}

// 8a. many concurrent sync calls cost a handful of requests.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_syncs_are_coalesced() {
    let (fake, store) = setup(5, 20);
    // Long enough that scheduling jitter on a busy machine cannot spread arrivals over more
    // than two requests' lifetimes.
    fake.set_sync_latency(Duration::from_millis(20));
    let mut set = JoinSet::new();
    for i in 0..50 {
        let s = store.clone();
        set.spawn(async move {
            // Arrive spread over a few ms, as edits finishing at different times do.
            tokio::time::sleep(Duration::from_millis(i % 7)).await;
            s.sync(P).await
        });
    }
    while let Some(r) = set.join_next().await {
        r.unwrap().unwrap();
    }
    let syncs = count(&fake.syncs_started);
    println!("50 concurrent sync calls: {syncs} sync requests");
    assert!(syncs <= 3, "{syncs} sync requests");
}

// 8b. a call made while a request is in flight waits for a request sent after it began.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_in_flight_does_not_satisfy_a_later_call() {
    let (fake, store) = setup(5, 10);
    fake.set_sync_latency(Duration::from_millis(60));
    let s = store.clone();
    let first = tokio::spawn(async move { s.sync(P).await });
    wait_until("the first sync is sent", || {
        count(&fake.syncs_in_flight) == 1
    })
    .await;
    let began = Instant::now();
    store.sync(P).await.unwrap();
    let returned = Instant::now();
    let spans = fake.sync_spans();
    assert!(
        spans[0].0 < began,
        "the first request was in flight when the call began"
    );
    assert!(
        spans
            .iter()
            .any(|(sent, answered)| *sent >= began && *answered <= returned),
        "the call returned before a request sent after it began was answered"
    );
    first.await.unwrap().unwrap();
    assert_eq!(count(&fake.syncs_started), 2, "one follow-up, no more");
}

// 8c. the error of a sync request goes to every caller it served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_error_goes_to_all_callers_of_that_request() {
    let (fake, store) = setup(5, 10);
    fake.set_sync_latency(Duration::from_millis(60));
    let s = store.clone();
    let first = tokio::spawn(async move { s.sync(P).await });
    wait_until("the first sync is sent", || {
        count(&fake.syncs_in_flight) == 1
    })
    .await;
    fake.fail_next_sync(400, "LimitExceeded");
    let mut set = JoinSet::new();
    for _ in 0..10 {
        let s = store.clone();
        set.spawn(async move { s.sync(P).await });
    }
    // Wait until the follow-up is sent, so the failure belongs to it, not to the first.
    first.await.unwrap().ok();
    while let Some(r) = set.join_next().await {
        let e = r.unwrap().unwrap_err();
        assert_eq!(e.code(), Some("LimitExceeded"));
    }
    assert_eq!(count(&fake.syncs_started), 2);
}

// 9. different profiles proceed independently.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn different_profiles_do_not_block_each_other() {
    let (fake, store) = setup(3, 5);
    fake.insert(profile("slow"));
    fake.slow_profile("slow", Duration::from_millis(400));
    // The sync first: a sync waits for the profile's writes to settle before it is sent.
    let s = store.clone();
    let slow_sync = tokio::spawn(async move { s.sync("slow").await });
    wait_until("the slow profile's sync is sent", || {
        count(&fake.syncs_in_flight) == 1
    })
    .await;
    let s = store.clone();
    let slow_edit = tokio::spawn(async move { s.edit("slow", add_tenant("S")).await });
    wait_until("the slow profile's GET and sync are sent", || {
        count(&fake.gets) == 1 && count(&fake.syncs_in_flight) == 1
    })
    .await;

    let began = Instant::now();
    store.edit(P, add_tenant("F")).await.unwrap();
    store.read(P).await.unwrap();
    store.read_fresh(P).await.unwrap();
    store.sync(P).await.unwrap();
    let took = began.elapsed();
    println!(
        "fast profile done in {} ms while the slow one waits",
        took.as_millis()
    );
    assert!(took < Duration::from_millis(300), "{took:?}");
    assert!(!slow_edit.is_finished() && !slow_sync.is_finished());

    assert_eq!(tenants(&slow_edit.await.unwrap().unwrap()), ["S"]);
    slow_sync.await.unwrap().unwrap();
    assert_eq!(tenants(&fake.doc(P)), ["F"]);
}

// A profile that does not exist: reads and edits fail with not found.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_profile_is_not_found() {
    let (fake, store) = setup(2, 4);
    let e = store.read("nope").await.unwrap_err();
    assert!(e.is_not_found());
    let e = store.edit("nope", add_tenant("T")).await.unwrap_err();
    assert!(e.is_not_found(), "{e:?}");
    assert!(matches!(e, EditError::Api(_)));
    assert_eq!(count(&fake.puts), 0);
}

// A batch where nothing changes needs no PUT.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edit_that_changes_nothing_sends_no_put() {
    let (fake, store) = setup(2, 4);
    store.edit(P, set_description("")).await.unwrap();
    assert_eq!(count(&fake.puts), 0);
    assert_eq!(count(&fake.gets), 1);
}

// `remember` seeds the cache (no GET); `forget` drops it (next read GETs).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remember_and_forget() {
    let (fake, store) = setup(2, 4);
    store.remember(fake.doc(P));
    assert_eq!(store.read(P).await.unwrap().id, P);
    store.edit(P, add_tenant("T")).await.unwrap();
    assert_eq!(
        count(&fake.gets),
        0,
        "the remembered document served the read and the edit"
    );
    store.forget(P);
    assert_eq!(tenants(&store.read(P).await.unwrap()), ["T"]);
    assert_eq!(count(&fake.gets), 1);
}

// A write whose answer arrives after the profile was forgotten (deleted) is not cached.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn write_answered_after_forget_is_not_cached() {
    let (fake, store) = setup(2, 4);
    store.read(P).await.unwrap();
    let blocker = start_blocker(&fake, &store).await;
    store.forget(P);
    assert!(blocker.await.unwrap().is_ok());
    let gets = count(&fake.gets);
    store.read(P).await.unwrap();
    assert_eq!(count(&fake.gets), gets + 1, "the read asked the API again");
}

// A caller that stops waiting does not strand the others sharing its GET.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelled_reader_does_not_strand_the_others() {
    let (fake, store) = setup(30, 30);
    let s = store.clone();
    let first = tokio::spawn(async move { s.read(P).await });
    wait_until("the GET is sent", || count(&fake.gets) == 1).await;
    let s = store.clone();
    let second = tokio::spawn(async move { s.read(P).await });
    tokio::time::sleep(Duration::from_millis(5)).await;
    first.abort();
    assert_eq!(second.await.unwrap().unwrap().id, P);
    assert_eq!(count(&fake.gets), 1);
}

// An edit that panics (a bug) fails its batch instead of wedging the profile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn panicking_edit_does_not_wedge_the_profile() {
    let (fake, store) = setup(2, 4);
    let blocker = start_blocker(&fake, &store).await;
    let boom = Edit::new("boom", |_, _| panic!("bug in an edit"));
    let handles = queue_edits(&store, vec![add_tenant("T1"), boom]).await;
    assert!(blocker.await.unwrap().is_ok());
    for r in results(handles).await {
        let e = r.unwrap_err();
        assert!(e.api_error().is_some_and(|e| e.is_ambiguous()), "{e:?}");
    }
    store.edit(P, add_tenant("T2")).await.unwrap();
    assert_eq!(tenants(&fake.doc(P)), ["BLOCKER", "T2"]);
}

// An edit whose caller gave up before its batch was assembled is left out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abandoned_edit_is_left_out() {
    let (fake, store) = setup(2, 4);
    let blocker = start_blocker(&fake, &store).await;
    let handles = queue_edits(&store, vec![add_tenant("GONE"), add_tenant("T1")]).await;
    handles[0].abort();
    assert!(blocker.await.unwrap().is_ok());
    let mut handles = handles.into_iter();
    let gone = handles.next().unwrap().await;
    assert!(gone.unwrap_err().is_cancelled());
    assert_eq!(
        tenants(&handles.next().unwrap().await.unwrap().unwrap()),
        ["BLOCKER", "T1"]
    );
}

// A sync asked for while edits of the profile are being written waits for them, so one request
// covers the whole burst instead of one per edit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn syncs_wait_for_writes_to_settle() {
    let (fake, store) = setup(5, 10);
    // Like Terraform: 100 operations, at most 10 at a time, each an edit then a sync.
    let permits = Arc::new(tokio::sync::Semaphore::new(10));
    let mut set = JoinSet::new();
    for i in 0..100 {
        let s = store.clone();
        let permits = Arc::clone(&permits);
        set.spawn(async move {
            let _permit = permits.acquire().await.unwrap();
            s.edit(P, add_tenant(&format!("T{i}"))).await.unwrap();
            s.sync(P).await.unwrap();
        });
    }
    while let Some(r) = set.join_next().await {
        r.unwrap();
    }
    let (syncs, puts) = (count(&fake.syncs_started), count(&fake.puts));
    println!("100 edit+sync operations, 10 at a time: {syncs} sync requests, {puts} PUTs");
    assert!(syncs <= 15, "{syncs} sync requests");
}
