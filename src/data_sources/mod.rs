//! The provider's data sources.

use std::collections::HashMap;

use tf_provider::DynamicDataSource;

use crate::provider::Shared;

pub mod distribution_status;
pub mod tenants;

/// Data source types by name without the `defender_` prefix (tf-provider adds it).
pub fn all(shared: &Shared) -> HashMap<String, Box<dyn DynamicDataSource>> {
    let mut map: HashMap<String, Box<dyn DynamicDataSource>> = HashMap::new();
    map.insert(
        "distribution_status".into(),
        Box::new(distribution_status::DistributionStatus::new(shared.clone())),
    );
    map.insert(
        "tenants".into(),
        Box::new(tenants::Tenants::new(shared.clone())),
    );
    map
}
