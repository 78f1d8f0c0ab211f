//! Interim profile store: serialises edits per profile (no batching yet). Replaced by the
//! group-commit store; the interface is the same.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::api::types::{Assignment, SyncAccepted};
use crate::api::{ApiError, Client};

#[async_trait::async_trait]
pub trait AssignmentBackend: Send + Sync + 'static {
    async fn get(&self, id: &str) -> Result<Assignment, ApiError>;
    async fn put(&self, id: &str, e_tag: &str, doc: &Assignment) -> Result<Assignment, ApiError>;
    async fn sync(&self, id: &str) -> Result<SyncAccepted, ApiError>;
}

#[async_trait::async_trait]
impl AssignmentBackend for Client {
    async fn get(&self, id: &str) -> Result<Assignment, ApiError> {
        self.get_assignment(id).await
    }
    async fn put(&self, id: &str, e_tag: &str, doc: &Assignment) -> Result<Assignment, ApiError> {
        self.put_assignment(id, e_tag, doc).await
    }
    async fn sync(&self, id: &str) -> Result<SyncAccepted, ApiError> {
        self.sync_assignment(id, None).await
    }
}

pub struct StoreOptions {
    pub max_conflict_retries: u32,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            max_conflict_retries: 8,
        }
    }
}

pub struct EditContext {
    pub maybe_applied: bool,
}

type EditFn = dyn Fn(&mut Assignment, &EditContext) -> Result<(), EditRejected> + Send + Sync;

pub struct Edit {
    label: String,
    apply: Box<EditFn>,
}

impl Edit {
    pub fn new(
        label: impl Into<String>,
        apply: impl Fn(&mut Assignment, &EditContext) -> Result<(), EditRejected>
            + Send
            + Sync
            + 'static,
    ) -> Self {
        Self {
            label: label.into(),
            apply: Box::new(apply),
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct EditRejected(pub String);

#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error("{0}")]
    Rejected(String),
    #[error("{0}")]
    Api(ApiError),
    #[error("another writer kept changing distribution profile {profile_id} ({attempts} attempts); run the apply again")]
    Contention { profile_id: String, attempts: u32 },
}

type Slot = Arc<tokio::sync::Mutex<Option<Arc<Assignment>>>>;

#[derive(Clone)]
pub struct ProfileStore {
    inner: Arc<Inner>,
}

struct Inner {
    backend: Arc<dyn AssignmentBackend>,
    options: StoreOptions,
    locks: Mutex<HashMap<String, Slot>>,
}

impl ProfileStore {
    pub fn new(backend: Arc<dyn AssignmentBackend>, options: StoreOptions) -> Self {
        Self {
            inner: Arc::new(Inner {
                backend,
                options,
                locks: Mutex::new(HashMap::new()),
            }),
        }
    }

    fn slot(&self, id: &str) -> Slot {
        let mut locks = self.inner.locks.lock().unwrap_or_else(|e| e.into_inner());
        locks.entry(id.to_owned()).or_default().clone()
    }

    pub async fn read(&self, profile_id: &str) -> Result<Arc<Assignment>, ApiError> {
        let slot = self.slot(profile_id);
        let mut cached = slot.lock().await;
        if let Some(doc) = cached.as_ref() {
            return Ok(doc.clone());
        }
        let doc = Arc::new(self.inner.backend.get(profile_id).await?);
        *cached = Some(doc.clone());
        Ok(doc)
    }

    pub async fn read_fresh(&self, profile_id: &str) -> Result<Arc<Assignment>, ApiError> {
        let slot = self.slot(profile_id);
        let mut cached = slot.lock().await;
        let doc = Arc::new(self.inner.backend.get(profile_id).await?);
        *cached = Some(doc.clone());
        Ok(doc)
    }

    pub async fn edit(&self, profile_id: &str, edit: Edit) -> Result<Arc<Assignment>, EditError> {
        let slot = self.slot(profile_id);
        let mut cached = slot.lock().await;
        let mut maybe_applied = false;
        let mut attempts = 0;
        loop {
            let base = match cached.as_ref() {
                Some(d) => d.clone(),
                None => Arc::new(
                    self.inner
                        .backend
                        .get(profile_id)
                        .await
                        .map_err(EditError::Api)?,
                ),
            };
            let mut doc = (*base).clone();
            (edit.apply)(&mut doc, &EditContext { maybe_applied })
                .map_err(|e| EditError::Rejected(e.0))?;
            if doc == *base {
                *cached = Some(base.clone());
                return Ok(base);
            }
            tracing::debug!(target: "defender::store", profile_id, edit = %edit.label, attempts, "PUT");
            match self.inner.backend.put(profile_id, &base.e_tag, &doc).await {
                Ok(new) => {
                    let new = Arc::new(new);
                    *cached = Some(new.clone());
                    return Ok(new);
                }
                Err(e) if e.is_precondition_failed() || e.is_ambiguous() => {
                    attempts += 1;
                    maybe_applied |= e.is_ambiguous();
                    *cached = None;
                    if attempts > self.inner.options.max_conflict_retries {
                        return Err(EditError::Contention {
                            profile_id: profile_id.to_owned(),
                            attempts,
                        });
                    }
                }
                Err(e) => {
                    *cached = None;
                    return Err(EditError::Api(e));
                }
            }
        }
    }

    pub async fn sync(&self, profile_id: &str) -> Result<(), ApiError> {
        self.inner.backend.sync(profile_id).await.map(|_| ())
    }

    pub fn remember(&self, doc: Assignment) {
        let slot = self.slot(&doc.id);
        let guard = slot.try_lock();
        if let Ok(mut cached) = guard {
            *cached = Some(Arc::new(doc));
        };
    }

    pub fn forget(&self, profile_id: &str) {
        let mut locks = self.inner.locks.lock().unwrap_or_else(|e| e.into_inner());
        locks.remove(profile_id);
    }
}
