//! The provider's resources.

use std::collections::HashMap;

use tf_provider::DynamicResource;

use crate::provider::Shared;

pub mod distribution_profile;
pub mod profile_content;
pub mod profile_target_tenant;

/// Resource types by name without the `defender_` prefix (tf-provider adds it).
pub fn all(shared: &Shared) -> HashMap<String, Box<dyn DynamicResource>> {
    let mut map: HashMap<String, Box<dyn DynamicResource>> = HashMap::new();
    map.insert(
        "distribution_profile".into(),
        Box::new(distribution_profile::DistributionProfile::new(
            shared.clone(),
        )),
    );
    map.insert(
        "profile_content".into(),
        Box::new(profile_content::ProfileContent::new(shared.clone())),
    );
    map.insert(
        "profile_target_tenant".into(),
        Box::new(profile_target_tenant::ProfileTargetTenant::new(
            shared.clone(),
        )),
    );
    map
}

/// Plan-time check of an ID that becomes part of `<profile_id>/<child_id>`: non-empty, no '/'.
pub fn check_child_id(
    diags: &mut tf_provider::Diagnostics,
    attr: &'static str,
    value: &tf_provider::value::Value<String>,
) {
    if let tf_provider::value::Value::Value(v) = value {
        if v.trim().is_empty() || v.contains('/') {
            crate::diag::attr_error(
                diags,
                tf_provider::AttributePath::new(attr),
                format!("Invalid {attr}"),
                format!("{attr} must be a non-empty ID without '/'; got {v:?}."),
            );
        }
    }
}

/// Reports a failed create of a child: its own conflict (`already`), a missing profile, or
/// any other failure (`failed`), with the API details.
pub fn child_create_failed(
    diags: &mut tf_provider::Diagnostics,
    err: &crate::store::EditError,
    profile_id: &str,
    already: String,
    failed: String,
) {
    let summary = match err {
        crate::store::EditError::Rejected(_) => already,
        crate::store::EditError::Api(a) if a.is_not_found() => {
            format!("Distribution profile {profile_id} does not exist")
        }
        _ => failed,
    };
    crate::diag::edit_error(diags, summary, err);
}

/// Splits a child import id `<profile_id>/<child_id>`.
pub fn split_child_id(id: &str) -> Option<(String, String)> {
    let (p, c) = id.trim().split_once('/')?;
    if p.is_empty() || c.is_empty() || c.contains('/') {
        return None;
    }
    Some((p.to_owned(), c.to_owned()))
}

/// The value of a known string attribute, or "" when it is null or unknown.
pub fn text(v: &tf_provider::value::Value<String>) -> String {
    v.as_ref_option().cloned().unwrap_or_default()
}

/// One child (content item or target tenant) of a profile, as `read` needs it.
pub struct Child<'a> {
    pub profile_id: &'a str,
    /// e.g. "Content 1001" or "Tenant c0…01": starts the messages about it.
    pub label: String,
    /// e.g. "is no longer in" / "is no longer a target of".
    pub gone: &'a str,
}

/// Refresh of a child: its state when present; a warning and `None` (removed from the state,
/// so the next plan creates it again) when it or its profile is gone; an error keeping `prior`
/// when the profile cannot be read.
pub async fn read_child<S>(
    data: &crate::provider::ProviderData,
    diags: &mut tf_provider::Diagnostics,
    child: Child<'_>,
    prior: S,
    find: impl Fn(&crate::api::types::Assignment) -> Option<S>,
) -> Option<S> {
    let Child {
        profile_id,
        label,
        gone,
    } = child;
    match data.store.read(profile_id).await {
        Ok(doc) => {
            let found = find(&doc);
            if found.is_none() {
                crate::diag::warning(
                    diags,
                    format!("{label} {gone} distribution profile {profile_id}"),
                    "It was removed outside Terraform and has been removed from the state; the next plan adds it again.",
                );
            }
            found
        }
        Err(e) if e.is_not_found() => {
            crate::diag::warning(
                diags,
                format!("Distribution profile {profile_id} no longer exists"),
                format!("{label} went with it and has been removed from the state."),
            );
            None
        }
        Err(e) => {
            crate::diag::api_error(
                diags,
                format!("Could not read distribution profile {profile_id}"),
                &e,
            );
            Some(prior)
        }
    }
}

/// Import of a child by `<profile_id>/<child_id>`: `find` builds its state from the profile.
pub async fn import_child<S>(
    data: &crate::provider::ProviderData,
    diags: &mut tf_provider::Diagnostics,
    resource_type: &str,
    id: &str,
    what: &str,
    find: impl Fn(&crate::api::types::Assignment, &str, &str) -> Option<S>,
) -> Option<S> {
    let Some((profile_id, child_id)) = split_child_id(id) else {
        crate::diag::error(
            diags,
            format!("Invalid import ID {id:?}"),
            format!("Import {resource_type} with <profile_id>/<{what}_id>."),
        );
        return None;
    };
    match data.store.read(&profile_id).await {
        Ok(doc) => {
            let found = find(&doc, &profile_id, &child_id);
            if found.is_none() {
                crate::diag::error(
                    diags,
                    format!("Cannot import: {what} {child_id} is not in distribution profile {profile_id}"),
                    format!("Check both IDs of {id:?}: <profile_id>/<{what}_id>."),
                );
            }
            found
        }
        Err(e) => {
            crate::diag::api_error(
                diags,
                format!("Could not import {what} {child_id} of distribution profile {profile_id}"),
                &e,
            );
            None
        }
    }
}

/// After a change to a profile's content or targets: start a coalesced sync if `auto_sync` is on.
pub async fn auto_sync(
    data: &crate::provider::ProviderData,
    diags: &mut tf_provider::Diagnostics,
    profile_id: &str,
) {
    if !data.auto_sync {
        return;
    }
    if let Err(e) = data.store.sync(profile_id).await {
        crate::diag::api_error(
            diags,
            format!("The change landed, but the sync of distribution profile {profile_id} could not start"),
            &e,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn child_ids() {
        assert_eq!(split_child_id("p/c"), Some(("p".into(), "c".into())));
        assert_eq!(split_child_id(" p/c "), Some(("p".into(), "c".into())));
        assert_eq!(split_child_id("p/"), None);
        assert_eq!(split_child_id("/c"), None);
        assert_eq!(split_child_id("pc"), None);
        assert_eq!(split_child_id("p/c/d"), None);
    }
}
