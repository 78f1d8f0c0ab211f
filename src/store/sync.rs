//! Coalesced syncs: one syncer task per profile sends one request per cohort of callers.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::backend::clone_api_error;
use super::profile::Profile;
use super::Inner;

/// Sends sync requests for `profile` until nobody is waiting. Each request serves exactly the
/// callers queued before it was sent (taken under the lock just before sending); callers that
/// arrive while it is in flight queue for the next one, so every caller is answered by a
/// request sent after its call began.
pub(crate) async fn run_syncer(inner: Arc<Inner>, profile: Arc<Profile>) {
    let mut guard = SyncerGuard {
        profile: &profile,
        armed: true,
    };
    loop {
        wait_for_writes_to_settle(&profile).await;
        let cohort = {
            let mut st = profile.lock();
            st.sync_waiters.retain(|w| !w.is_closed());
            if st.sync_waiters.is_empty() {
                st.syncing = false;
                guard.armed = false;
                return;
            }
            std::mem::take(&mut st.sync_waiters)
        };
        let result = inner.backend.sync(&profile.id).await;
        tracing::debug!(
            target: "defender::store",
            profile = %profile.id,
            callers = cohort.len(),
            result = %match &result {
                Ok(accepted) => format!("accepted ({} sync units)", accepted.sync_units),
                Err(e) => format!("failed: {e}"),
            },
            "profile sync"
        );
        for waiter in cohort {
            let outcome = match &result {
                Ok(_) => Ok(()),
                Err(e) => Err(clone_api_error(e)),
            };
            // The caller may have given up; nothing to do then.
            let _ = waiter.send(outcome);
        }
    }
}

/// Longest a sync waits for the profile's writes to settle before it is sent anyway.
const MAX_SETTLE: Duration = Duration::from_secs(2);
/// The callers answered by one batch ask for their sync within a few milliseconds of each
/// other; a request is sent once none arrived for this long, so they share it.
const QUIET: Duration = Duration::from_millis(3);
const POLL: Duration = Duration::from_millis(1);

/// A sync sent while edits of the same profile are queued or being written would be followed
/// by another one right after: wait (bounded) until the committer is idle and no more callers
/// are arriving, so that one request covers every change that landed meanwhile. Callers are
/// still answered only by a request sent after their call began, so nothing is skipped; this
/// only makes cohorts larger.
async fn wait_for_writes_to_settle(profile: &Profile) {
    let started = Instant::now();
    let mut waiters = usize::MAX;
    let mut last_change = started;
    loop {
        let (busy, now_waiting) = {
            let st = profile.lock();
            (st.committing || !st.queue.is_empty(), st.sync_waiters.len())
        };
        let now = Instant::now();
        if now_waiting != waiters {
            waiters = now_waiting;
            last_change = now;
        }
        let quiet = now.duration_since(last_change) >= QUIET;
        if (!busy && quiet) || now.duration_since(started) >= MAX_SETTLE {
            return;
        }
        tokio::time::sleep(POLL).await;
    }
}

/// If the syncer task ends abnormally, lets the next caller start a new one and fails the
/// callers still waiting instead of leaving them waiting forever.
struct SyncerGuard<'a> {
    profile: &'a Profile,
    armed: bool,
}

impl Drop for SyncerGuard<'_> {
    fn drop(&mut self) {
        if self.armed {
            let mut st = self.profile.lock();
            st.syncing = false;
            let orphans = std::mem::take(&mut st.sync_waiters);
            drop(st);
            drop(orphans);
        }
    }
}
