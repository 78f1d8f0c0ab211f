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

/// Splits a child import id `<profile_id>/<child_id>`.
pub fn split_child_id(id: &str) -> Option<(String, String)> {
    let (p, c) = id.trim().split_once('/')?;
    if p.is_empty() || c.is_empty() || c.contains('/') {
        return None;
    }
    Some((p.to_owned(), c.to_owned()))
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
