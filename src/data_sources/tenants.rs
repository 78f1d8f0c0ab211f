//! `defender_tenants`: the tenants the caller can manage, from the tenant picker.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tf_provider::schema::{AttributeType, Schema};
use tf_provider::value::{Value, ValueEmpty};
use tf_provider::{DataSource, Diagnostics};

use crate::api::types::ManagedTenant;
use crate::diag;
use crate::provider::Shared;
use crate::schema::{attr, object, schema, string, Computed};

// ---------------------------------------------------------------- schema

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct State {
    #[serde(default)]
    pub id: Value<String>,
    #[serde(default)]
    pub tenants: Value<Vec<Value<TenantState>>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TenantState {
    pub tenant_id: Value<String>,
    pub name: Value<String>,
    pub lost_access: Value<bool>,
    pub selected: Value<bool>,
    pub added_on: Value<String>,
}

pub struct Tenants {
    shared: Shared,
}

impl Tenants {
    pub fn new(shared: Shared) -> Self {
        Self { shared }
    }
}

pub fn data_source_schema() -> Schema {
    let tenant = object(&[
        ("tenant_id", AttributeType::String),
        ("name", AttributeType::String),
        ("lost_access", AttributeType::Bool),
        ("selected", AttributeType::Bool),
        ("added_on", AttributeType::String),
    ]);
    schema(
        "The tenants the caller can manage in the multi-tenant portal (the tenant picker): the candidates for \
         `defender_profile_target_tenant`.",
        vec![
            ("id", string(Computed, "Always `tenants`.")),
            ("tenants", attr(
                AttributeType::List(Box::new(tenant)),
                Computed,
                "Each tenant: `tenant_id` (GUID), `name`, `lost_access` (true when the B2B/GDAP relationship is gone: content cannot be distributed there), `selected` (chosen in the portal's tenant picker), `added_on` (RFC 3339).",
            )),
        ],
    )
}

// ---------------------------------------------------------------- read

#[async_trait]
impl DataSource for Tenants {
    type State<'a> = State;
    type ProviderMetaState<'a> = ValueEmpty;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
        Some(data_source_schema())
    }

    async fn read<'a>(
        &self,
        diags: &mut Diagnostics,
        _config: State,
        _meta: ValueEmpty,
    ) -> Option<State> {
        let data = self.shared.get(diags)?;
        match data.client.tenant_picker().await {
            Ok(picker) => Some(State {
                id: Value::Value("tenants".into()),
                tenants: Value::Value(
                    picker
                        .tenant_info_list
                        .iter()
                        .map(|t| Value::Value(to_state(t)))
                        .collect(),
                ),
            }),
            Err(e) => {
                diag::api_error(diags, "Could not read the tenant picker", &e);
                None
            }
        }
    }
}

// ---------------------------------------------------------------- mapping

fn to_state(t: &ManagedTenant) -> TenantState {
    TenantState {
        tenant_id: Value::Value(t.tenant_id.clone()),
        name: Value::Value(t.name.clone()),
        lost_access: Value::Value(t.lost_access),
        selected: Value::Value(t.selected),
        added_on: Value::Value(t.added_on.clone().unwrap_or_default()),
    }
}
