//! Edits: small, re-runnable functions over an assignment document, and their errors.

use std::fmt;

use crate::api::types::Assignment;
use crate::api::ApiError;

/// What the store tells an edit about the attempt it is applied in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EditContext {
    /// An earlier PUT holding this edit lost its answer and may have landed: the document may
    /// already contain this edit's change. An edit that finds its desired state present should
    /// then succeed without changing anything, instead of rejecting ("already there").
    pub maybe_applied: bool,
}

type ApplyFn = dyn Fn(&mut Assignment, &EditContext) -> Result<(), EditRejected> + Send + Sync;

/// One change to a profile, queued in [`super::ProfileStore::edit`].
///
/// The function must be re-runnable and depend only on the document it is given: after a `412`
/// (or a lost answer) the store applies it again to a freshly read document, and it may be run
/// more than once against the same document while a batch is assembled.
pub struct Edit {
    label: String,
    apply: Box<ApplyFn>,
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

    /// What the edit does, for logs ("add target tenant …").
    pub fn label(&self) -> &str {
        &self.label
    }

    pub(crate) fn apply(
        &self,
        doc: &mut Assignment,
        ctx: &EditContext,
    ) -> Result<(), EditRejected> {
        (self.apply)(doc, ctx)
    }
}

impl fmt::Debug for Edit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Edit").field("label", &self.label).finish()
    }
}

/// An edit refusing to apply to the document it was given (the entry is already there, the
/// item to remove is missing, …). Its message is shown to the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct EditRejected(pub String);

/// Why an edit did not land.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    /// This edit alone could not apply; the other edits of its batch went on.
    #[error("{0}")]
    Rejected(String),
    /// Reading or writing the profile failed; nothing of this edit is assumed written.
    #[error("{0}")]
    Api(ApiError),
    /// Every write was refused as stale (`412`) more often than the store retries.
    #[error(
        "another writer kept changing distribution profile {profile_id} while this change was \
         being saved ({attempts} attempts were refused because the profile had changed \
         meanwhile); nothing of this change was written: run the apply again"
    )]
    Contention { profile_id: String, attempts: u32 },
}

impl EditError {
    /// The profile does not exist (any more).
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::Api(e) if e.is_not_found())
    }

    /// The API error behind this one, if any (for its `hint()`, `code()`, `request_id()`).
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Self::Api(e) => Some(e),
            _ => None,
        }
    }
}

impl From<ApiError> for EditError {
    fn from(e: ApiError) -> Self {
        Self::Api(e)
    }
}
