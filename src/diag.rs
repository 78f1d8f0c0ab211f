//! Building Terraform diagnostics that read well.
//!
//! tf-provider's `Diagnostic::new` appends a captured backtrace to the detail when
//! `RUST_BACKTRACE` is set; we build `Diagnostic` values directly so user-facing text never
//! carries one (and `main` turns library backtraces off for the framework's own diagnostics).

use tf_provider::{AttributePath, Diagnostic, Diagnostics};

use crate::api::ApiError;
use crate::store::EditError;

fn diagnostic(
    summary: impl Into<String>,
    detail: impl Into<String>,
    attribute: AttributePath,
) -> Diagnostic {
    Diagnostic {
        summary: summary.into().into(),
        detail: detail.into().into(),
        attribute,
    }
}

/// An error on the whole resource or provider.
pub fn error(diags: &mut Diagnostics, summary: impl Into<String>, detail: impl Into<String>) {
    diags.add_error(diagnostic(summary, detail, AttributePath::default()));
}

/// An error on one attribute (Terraform points at it in the configuration).
pub fn attr_error(
    diags: &mut Diagnostics,
    attribute: AttributePath,
    summary: impl Into<String>,
    detail: impl Into<String>,
) {
    diags.add_error(diagnostic(summary, detail, attribute));
}

pub fn warning(diags: &mut Diagnostics, summary: impl Into<String>, detail: impl Into<String>) {
    diags.add_warning(diagnostic(summary, detail, AttributePath::default()));
}

/// An API failure: what we tried, the API's status, code, message and request-id, and what to do.
pub fn api_error(diags: &mut Diagnostics, summary: impl Into<String>, err: &ApiError) {
    error(diags, summary, api_detail(err));
}

pub fn api_detail(err: &ApiError) -> String {
    let mut detail = err.to_string();
    if let Some(code) = err.code() {
        detail.push_str(&format!("\n\nAPI error code: {code}"));
    }
    if let Some(id) = err.request_id() {
        if !detail.contains(id) {
            detail.push_str(&format!("\nrequest-id: {id}"));
        }
    }
    detail.push_str("\n\n");
    detail.push_str(err.hint());
    detail
}

/// A failed edit of a profile document.
pub fn edit_error(diags: &mut Diagnostics, summary: impl Into<String>, err: &EditError) {
    match err {
        EditError::Api(e) => api_error(diags, summary, e),
        other => error(diags, summary, other.to_string()),
    }
}
