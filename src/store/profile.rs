//! Per-profile state and the shared reads (single flight, generation-checked cache).
//!
//! Every profile id has one [`Profile`]: a std mutex around plain data, never held across an
//! `.await`. Network calls run in spawned tasks, so a caller that gives up (its future is
//! dropped) never strands the others waiting on the same request.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use futures::future::{BoxFuture, FutureExt, Shared};
use tokio::sync::oneshot;

use super::backend::{clone_api_error, store_stopped, AssignmentBackend};
use super::edit::{Edit, EditError};
use crate::api::types::Assignment;
use crate::api::ApiError;

/// The outcome of one GET, shared by everyone waiting on it.
pub(crate) type GetResult = Result<Arc<Assignment>, Arc<ApiError>>;
type SharedGet = Shared<BoxFuture<'static, GetResult>>;

/// An edit waiting for the committer, with where to send its outcome.
pub(crate) struct Queued {
    pub(crate) edit: Edit,
    pub(crate) reply: oneshot::Sender<Result<Arc<Assignment>, EditError>>,
}

pub(crate) struct Profile {
    pub(crate) id: String,
    state: Mutex<State>,
}

#[derive(Default)]
pub(crate) struct State {
    /// Bumped by every change this process makes or learns it may have made (successful write,
    /// `remember`, `forget`, a write whose answer was lost). A document may be handed to a read
    /// only if it was fetched by a GET that *started* at the current generation, or written by
    /// our own PUT at it.
    pub(crate) generation: u64,
    /// The latest document known, tagged with its generation; `None` when unknown.
    pub(crate) cache: Option<Cached>,
    /// How many times the profile was forgotten (deleted); a write that was sent before a
    /// `forget` must not bring the deleted document back into the cache.
    pub(crate) forgotten: u64,
    /// The GET in flight whose result readers may share.
    flight: Option<Flight>,
    next_flight_id: u64,

    /// Edits waiting for the next batch.
    pub(crate) queue: Vec<Queued>,
    /// A committer task is running for this profile (it drains `queue` until empty).
    pub(crate) committing: bool,

    /// Callers waiting for a sync request that has not been sent yet.
    pub(crate) sync_waiters: Vec<oneshot::Sender<Result<(), ApiError>>>,
    /// A syncer task is running for this profile.
    pub(crate) syncing: bool,
}

pub(crate) struct Cached {
    pub(crate) doc: Arc<Assignment>,
    pub(crate) generation: u64,
}

struct Flight {
    id: u64,
    /// The generation when the GET started.
    generation: u64,
    result: SharedGet,
}

/// Which GET a caller may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Freshness {
    /// The cached document if it is current, else a current GET (joined or started).
    Current,
    /// A GET that is current (joined or started), never the cache.
    Fetched,
    /// A GET started now: after a `412` or a lost answer, nothing older will do.
    StartedNow,
}

impl Profile {
    pub(crate) fn new(id: &str) -> Self {
        Self {
            id: id.to_owned(),
            state: Mutex::new(State::default()),
        }
    }

    /// The state, recovering from poisoning: no code holding this lock can panic between
    /// updates that must go together, so the data stays consistent.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The profile, from the cache or a GET as `freshness` allows.
    pub(crate) async fn fetch(
        self: &Arc<Self>,
        backend: &Arc<dyn AssignmentBackend>,
        freshness: Freshness,
    ) -> Result<Arc<Assignment>, ApiError> {
        let shared = {
            let mut st = self.lock();
            let generation = st.generation;
            if freshness == Freshness::Current {
                if let Some(c) = st.cache.as_ref().filter(|c| c.generation >= generation) {
                    return Ok(c.doc.clone());
                }
            }
            match st.flight.as_ref() {
                Some(f) if freshness != Freshness::StartedNow && f.generation >= generation => {
                    f.result.clone()
                }
                _ => self.start_flight(&mut st, backend),
            }
        };
        shared.await.map_err(|e| clone_api_error(&e))
    }

    /// Starts a GET in its own task and records it as the flight to share.
    fn start_flight(
        self: &Arc<Self>,
        st: &mut State,
        backend: &Arc<dyn AssignmentBackend>,
    ) -> SharedGet {
        let id = st.next_flight_id;
        st.next_flight_id += 1;
        let generation = st.generation;
        let profile = Arc::clone(self);
        let backend = Arc::clone(backend);
        let task = tokio::spawn(async move {
            let result: GetResult = backend
                .get(&profile.id)
                .await
                .map(Arc::new)
                .map_err(Arc::new);
            let mut st = profile.lock();
            if let Ok(doc) = &result {
                // Only a GET that started at the current generation may become the cache; one
                // that started before a write of ours finished may predate that write.
                if generation >= st.generation {
                    st.cache = Some(Cached {
                        doc: Arc::clone(doc),
                        generation,
                    });
                }
            }
            if st.flight.as_ref().is_some_and(|f| f.id == id) {
                st.flight = None;
            }
            drop(st);
            tracing::debug!(
                target: "defender::store",
                profile = %profile.id,
                generation,
                ok = result.is_ok(),
                "profile read"
            );
            result
        });
        let profile_id = self.id.clone();
        let result = async move {
            match task.await {
                Ok(result) => result,
                Err(_) => Err(Arc::new(store_stopped(format!(
                    "reading distribution profile {profile_id}"
                )))),
            }
        }
        .boxed()
        .shared();
        st.flight = Some(Flight {
            id,
            generation,
            result: result.clone(),
        });
        result
    }

    /// Records `doc` as written (or created) by this process: it is current by definition.
    pub(crate) fn record_write(&self, doc: Arc<Assignment>) {
        let mut st = self.lock();
        st.generation += 1;
        st.cache = Some(Cached {
            doc,
            generation: st.generation,
        });
    }

    /// Records `doc` as written by a PUT sent when the profile had been forgotten
    /// `forgotten_before` times. If it was forgotten (deleted) since, the answer may describe
    /// a profile that no longer exists: it is not cached.
    pub(crate) fn record_put(&self, doc: Arc<Assignment>, forgotten_before: u64) {
        let mut st = self.lock();
        st.generation += 1;
        st.cache = (st.forgotten == forgotten_before).then(|| Cached {
            doc,
            generation: st.generation,
        });
    }

    /// Forgets the cached document and makes every GET in flight too old to hand out: the
    /// profile changed (or may have) in a way we have no document for.
    pub(crate) fn invalidate(&self) {
        let mut st = self.lock();
        st.generation += 1;
        st.cache = None;
    }

    /// The profile was deleted: nothing known about it may be handed out any more, including
    /// the answer of a write that is in flight now.
    pub(crate) fn forget(&self) {
        let mut st = self.lock();
        st.generation += 1;
        st.forgotten += 1;
        st.cache = None;
    }
}
