//! Group commit: one committer task per profile drains the queue of edits, batch by batch.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;

use super::backend::clone_api_error;
use super::edit::{Edit, EditContext, EditError};
use super::profile::{Freshness, Profile, Queued};
use super::Inner;
use crate::api::types::Assignment;
use crate::api::ApiError;

type Reply = oneshot::Sender<Result<Arc<Assignment>, EditError>>;

/// Runs batches for `profile` until its queue is empty. Started by the first edit queued while
/// no committer runs; the `committing` flag and the emptiness check change under one lock, so
/// an edit is never left in a queue nobody drains.
pub(crate) async fn run_committer(inner: Arc<Inner>, profile: Arc<Profile>) {
    let mut guard = CommitterGuard {
        profile: &profile,
        armed: true,
    };
    loop {
        // Let callers that are about to queue (woken by the previous batch's answers) join.
        tokio::task::yield_now().await;
        linger(&profile).await;
        let batch = {
            let mut st = profile.lock();
            if st.queue.is_empty() {
                st.committing = false;
                guard.armed = false;
                return;
            }
            std::mem::take(&mut st.queue)
        };
        commit_batch(&inner, &profile, batch).await;
    }
}

/// Terraform runs up to 10 operations at once, but their calls reach the provider spread over
/// milliseconds (more on a busy machine). A small batch waits while edits keep arriving — until
/// none came for `QUIET`, the batch is full, or `MAX_LINGER` passed — so one PUT carries most
/// of them, at the cost of a few milliseconds per batch.
const QUIET: Duration = Duration::from_millis(25);
const MAX_LINGER: Duration = Duration::from_millis(150);
/// A batch this large is sent without lingering.
const FULL_BATCH: usize = 10;

async fn linger(profile: &Profile) {
    let started = tokio::time::Instant::now();
    let mut seen = profile.lock().queue.len();
    let mut last_arrival = started;
    loop {
        if seen == 0 || seen >= FULL_BATCH {
            return;
        }
        let now = tokio::time::Instant::now();
        if now.duration_since(last_arrival) >= QUIET || now.duration_since(started) >= MAX_LINGER {
            return;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
        let queued = profile.lock().queue.len();
        if queued != seen {
            seen = queued;
            last_arrival = tokio::time::Instant::now();
        }
    }
}

/// If the committer task ends abnormally, lets the next edit start a new one and fails the
/// edits still queued (dropping their reply senders) instead of leaving them waiting forever.
struct CommitterGuard<'a> {
    profile: &'a Profile,
    armed: bool,
}

impl Drop for CommitterGuard<'_> {
    fn drop(&mut self) {
        if self.armed {
            let mut st = self.profile.lock();
            st.committing = false;
            let orphans = std::mem::take(&mut st.queue);
            drop(st);
            drop(orphans);
        }
    }
}

/// One edit of a batch: answered (`reply` taken) once it succeeded, failed or was rejected.
struct Slot {
    edit: Edit,
    reply: Option<Reply>,
}

impl Slot {
    fn pending(&self) -> bool {
        self.reply.as_ref().is_some_and(|r| !r.is_closed())
    }

    fn answer(&mut self, outcome: Result<Arc<Assignment>, EditError>) {
        if let Some(reply) = self.reply.take() {
            // The caller may have given up; nothing to do then.
            let _ = reply.send(outcome);
        }
    }
}

async fn commit_batch(inner: &Inner, profile: &Arc<Profile>, batch: Vec<Queued>) {
    let mut slots: Vec<Slot> = batch
        .into_iter()
        .map(|q| Slot {
            edit: q.edit,
            reply: Some(q.reply),
        })
        .collect();
    let size = slots.len();
    let max_retries = inner.options.max_conflict_retries;
    let mut ctx = EditContext::default();
    let mut retries: u32 = 0;
    let mut freshness = Freshness::Current;
    loop {
        let attempt = retries + 1;
        let base = match profile.fetch(&inner.backend, freshness).await {
            Ok(doc) => doc,
            Err(e) => {
                log_batch(profile, size, attempt, &format!("reading failed: {e}"));
                fail_all(&mut slots, &e);
                return;
            }
        };
        let Some(doc) = apply_pending(&base, &mut slots, &ctx) else {
            log_batch(
                profile,
                size,
                attempt,
                "no edit left (rejected or abandoned); nothing to write",
            );
            return;
        };
        if doc == *base {
            log_batch(profile, size, attempt, "no change needed; nothing written");
            for slot in &mut slots {
                slot.answer(Ok(Arc::clone(&base)));
            }
            return;
        }
        let forgotten = profile.lock().forgotten;
        match inner.backend.put(&profile.id, &base.e_tag, &doc).await {
            Ok(written) => {
                let written = Arc::new(written);
                profile.record_put(Arc::clone(&written), forgotten);
                log_batch(profile, size, attempt, "written");
                for slot in &mut slots {
                    slot.answer(Ok(Arc::clone(&written)));
                }
                return;
            }
            Err(e) if e.is_precondition_failed() => {
                if retries >= max_retries {
                    log_batch(profile, size, attempt, "stale (412); giving up");
                    for slot in &mut slots {
                        slot.answer(Err(EditError::Contention {
                            profile_id: profile.id.clone(),
                            attempts: attempt,
                        }));
                    }
                    return;
                }
                log_batch(profile, size, attempt, "stale (412); reading again");
            }
            Err(e) if e.is_ambiguous() => {
                // The write may have landed: whatever we hold or are reading may be older.
                profile.invalidate();
                if retries >= max_retries {
                    log_batch(
                        profile,
                        size,
                        attempt,
                        &format!("answer lost ({e}); giving up"),
                    );
                    fail_all(&mut slots, &e);
                    return;
                }
                log_batch(
                    profile,
                    size,
                    attempt,
                    &format!("answer lost ({e}); reading again"),
                );
                ctx.maybe_applied = true;
            }
            Err(e) => {
                log_batch(profile, size, attempt, &format!("failed: {e}"));
                fail_all(&mut slots, &e);
                return;
            }
        }
        retries += 1;
        freshness = Freshness::StartedNow;
    }
}

/// Applies the pending edits in order to a copy of `base`. An edit that rejects is answered at
/// once and left out: the copy is rebuilt from `base` without it (rejections are rare, so the
/// usual cost is one clone per attempt). `None` when no edit is left pending.
fn apply_pending(base: &Assignment, slots: &mut [Slot], ctx: &EditContext) -> Option<Assignment> {
    'rebuild: loop {
        let mut doc = base.clone();
        let mut any = false;
        for slot in slots.iter_mut().filter(|s| s.pending()) {
            if let Err(rejected) = slot.edit.apply(&mut doc, ctx) {
                tracing::debug!(
                    target: "defender::store",
                    edit = slot.edit.label(),
                    reason = %rejected,
                    "edit rejected"
                );
                slot.answer(Err(EditError::Rejected(rejected.0)));
                continue 'rebuild;
            }
            any = true;
        }
        return any.then_some(doc);
    }
}

fn fail_all(slots: &mut [Slot], e: &ApiError) {
    for slot in slots {
        slot.answer(Err(EditError::Api(clone_api_error(e))));
    }
}

fn log_batch(profile: &Profile, edits: usize, attempt: u32, result: &str) {
    tracing::debug!(
        target: "defender::store",
        profile = %profile.id,
        edits,
        attempt,
        result,
        "profile batch"
    );
}
