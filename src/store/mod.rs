//! The profile store: the in-process coordinator of every read and write of a distribution
//! profile (`../shared/design/profile-writes.md`).
//!
//! Many resources are slices of one assignment document, and Terraform works on up to 10 of
//! them at once. The store makes that safe and cheap:
//!
//! - **Writes** ([`ProfileStore::edit`]) queue per profile. One committer per profile takes
//!   every edit queued so far, applies them in order to the latest document, and sends one
//!   `PUT` with its eTag (group commit). A `412` re-reads and re-applies the same edits, up to
//!   [`StoreOptions::max_conflict_retries`] times; an edit that rejects fails alone; any other
//!   error fails the batch.
//! - **Reads** ([`ProfileStore::read`]) share one GET among concurrent callers and reuse the
//!   latest document, but never hand out one older than this process's last write.
//! - **Syncs** ([`ProfileStore::sync`]) coalesce: one request covers every caller that asked
//!   while the previous one was in flight.
//!
//! Everything is keyed by profile id; different profiles never wait for each other.

mod backend;
mod edit;
mod profile;
mod sync;
mod writes;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::oneshot;

pub use backend::AssignmentBackend;
pub use edit::{Edit, EditContext, EditError, EditRejected};

use backend::store_stopped;
use profile::{Freshness, Profile, Queued};

use crate::api::types::Assignment;
use crate::api::ApiError;

/// Tuning of the store.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// How many times a batch is re-read and re-sent after a `412` (or a lost answer) before
    /// its edits fail with [`EditError::Contention`].
    pub max_conflict_retries: u32,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            max_conflict_retries: 8,
        }
    }
}

/// The coordinator; cheap to clone, all clones share one state.
#[derive(Clone)]
pub struct ProfileStore {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) backend: Arc<dyn AssignmentBackend>,
    pub(crate) options: StoreOptions,
    /// One entry per profile id ever used; entries are small and never removed, so two
    /// committers can never run for one id.
    profiles: Mutex<HashMap<String, Arc<Profile>>>,
}

impl ProfileStore {
    pub fn new(backend: Arc<dyn AssignmentBackend>, options: StoreOptions) -> Self {
        Self {
            inner: Arc::new(Inner {
                backend,
                options,
                profiles: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// The profile as current for this process: concurrent reads share one GET (single
    /// flight); a cached document may serve later reads but never one older than this
    /// process's last write to that profile. 404 → `Err(e)` with `e.is_not_found()`.
    pub async fn read(&self, profile_id: &str) -> Result<Arc<Assignment>, ApiError> {
        self.profile(profile_id)
            .fetch(&self.inner.backend, Freshness::Current)
            .await
    }

    /// Always a new GET (shared with concurrent `read_fresh` and `read` calls that also need
    /// one) — for status polling.
    pub async fn read_fresh(&self, profile_id: &str) -> Result<Arc<Assignment>, ApiError> {
        self.profile(profile_id)
            .fetch(&self.inner.backend, Freshness::Fetched)
            .await
    }

    /// Queues `edit`; group commit: returns the document as written by the PUT whose batch
    /// held it (or the current document, when no edit of the batch changed anything).
    ///
    /// If the caller stops waiting (drops the future) before its batch is assembled, its edit
    /// is left out; once the batch's PUT is sent it may land regardless.
    pub async fn edit(&self, profile_id: &str, edit: Edit) -> Result<Arc<Assignment>, EditError> {
        let profile = self.profile(profile_id);
        let (reply, answer) = oneshot::channel();
        let start_committer = {
            let mut st = profile.lock();
            st.queue.push(Queued { edit, reply });
            !std::mem::replace(&mut st.committing, true)
        };
        if start_committer {
            tokio::spawn(writes::run_committer(Arc::clone(&self.inner), profile));
        }
        answer.await.unwrap_or_else(|_| {
            Err(EditError::Api(store_stopped(format!(
                "updating distribution profile {profile_id}"
            ))))
        })
    }

    /// Coalesced sync: returns once a sync request sent AFTER this call began has been
    /// accepted (202); that request's error, if any, goes to every caller it served.
    pub async fn sync(&self, profile_id: &str) -> Result<(), ApiError> {
        let profile = self.profile(profile_id);
        let (waiter, answer) = oneshot::channel();
        let start_syncer = {
            let mut st = profile.lock();
            st.sync_waiters.push(waiter);
            !std::mem::replace(&mut st.syncing, true)
        };
        if start_syncer {
            tokio::spawn(sync::run_syncer(Arc::clone(&self.inner), profile));
        }
        answer.await.unwrap_or_else(|_| {
            Err(store_stopped(format!(
                "starting a sync of distribution profile {profile_id}"
            )))
        })
    }

    /// Seeds the cache with a document we just created (POST answer); it counts as our latest
    /// write to it.
    pub fn remember(&self, doc: Assignment) {
        self.profile(&doc.id).record_write(Arc::new(doc));
    }

    /// Drops everything cached for a deleted profile; reads in flight are not handed to later
    /// callers.
    pub fn forget(&self, profile_id: &str) {
        self.profile(profile_id).forget();
    }

    fn profile(&self, profile_id: &str) -> Arc<Profile> {
        let mut profiles = self
            .inner
            .profiles
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        Arc::clone(
            profiles
                .entry(profile_id.to_owned())
                .or_insert_with(|| Arc::new(Profile::new(profile_id))),
        )
    }
}
