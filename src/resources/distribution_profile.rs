//! `defender_distribution_profile`: one assignment (distribution profile). It manages the name
//! and description only; content and targets belong to `defender_profile_content` and
//! `defender_profile_target_tenant`, and an update here keeps them.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tf_provider::schema::Schema;
use tf_provider::value::{Value, ValueEmpty};
use tf_provider::{AttributePath, Diagnostics, Resource};

use crate::api::types::{Assignment, NewAssignment};
use crate::diag;
use crate::provider::Shared;
use crate::resources::text;
use crate::schema::{schema, string, Computed, Optional, Required};
use crate::store::{Edit, EditRejected};
use crate::validate::char_len;

pub const MAX_NAME: usize = 256;
pub const MAX_DESCRIPTION: usize = 1024;

// ---------------------------------------------------------------- schema

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    #[serde(default)]
    pub id: Value<String>,
    #[serde(default)]
    pub name: Value<String>,
    #[serde(default)]
    pub description: Value<String>,
    #[serde(default)]
    pub sync_trigger: Value<String>,
    #[serde(default)]
    pub created_on: Value<String>,
    #[serde(default)]
    pub created_by: Value<String>,
    #[serde(default)]
    pub last_synced_on: Value<String>,
    #[serde(default)]
    pub last_synced_by: Value<String>,
}

pub struct DistributionProfile {
    shared: Shared,
}

impl DistributionProfile {
    pub fn new(shared: Shared) -> Self {
        Self { shared }
    }
}

pub fn resource_schema() -> Schema {
    schema(
        "A distribution profile of the Defender multi-tenant portal: a named set of content items copied from the \
         home tenant into target tenants. This resource manages the profile's name and description; add content with \
         `defender_profile_content` and targets with `defender_profile_target_tenant`.",
        vec![
            ("id", string(Computed, "The profile (assignment) ID. Stable for the profile's life.")),
            ("name", string(Required, "Display name, 1–256 characters, unique among the profiles of the home tenant. Changing it renames the profile in place.")),
            ("description", string(Optional, "Free text, at most 1,024 characters. Changing it updates the profile in place.")),
            ("sync_trigger", string(Optional, "Any value. When it is set to a new value (including at create), apply starts a sync of the whole profile: re-sync on demand, or the way to sync when the provider's `auto_sync` is `false`. Removing it does not sync. The value itself is not sent to the API.")),
            ("created_on", string(Computed, "When the profile was created (RFC 3339).")),
            ("created_by", string(Computed, "Who created the profile.")),
            ("last_synced_on", string(Computed, "When the profile was last synced (RFC 3339), empty if never.")),
            ("last_synced_by", string(Computed, "Who last synced the profile, empty if never.")),
        ],
    )
}

fn check(diags: &mut Diagnostics, state: &State) {
    if let Value::Value(name) = &state.name {
        let n = char_len(name);
        if n == 0 || n > MAX_NAME {
            diag::attr_error(
                diags,
                AttributePath::new("name"),
                "Invalid profile name",
                format!("name must be 1–{MAX_NAME} characters; this one has {n}."),
            );
        }
    }
    if let Value::Value(d) = &state.description {
        let n = char_len(d);
        if n > MAX_DESCRIPTION {
            diag::attr_error(
                diags,
                AttributePath::new("description"),
                "Invalid profile description",
                format!(
                    "description must be at most {MAX_DESCRIPTION} characters; this one has {n}."
                ),
            );
        }
    }
}

// ---------------------------------------------------------------- plan and CRUD

#[async_trait]
impl Resource for DistributionProfile {
    type State<'a> = State;
    type PrivateState<'a> = ValueEmpty;
    type ProviderMetaState<'a> = ValueEmpty;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
        Some(resource_schema())
    }

    async fn validate<'a>(&self, diags: &mut Diagnostics, config: State) -> Option<()> {
        check(diags, &config);
        Some(())
    }

    async fn plan_create<'a>(
        &self,
        diags: &mut Diagnostics,
        proposed: State,
        _config: State,
        _meta: ValueEmpty,
    ) -> Option<(State, ValueEmpty)> {
        check(diags, &proposed);
        let state = State {
            id: Value::Unknown,
            created_on: Value::Unknown,
            created_by: Value::Unknown,
            last_synced_on: Value::Unknown,
            last_synced_by: Value::Unknown,
            ..proposed
        };
        Some((state, ValueEmpty::default()))
    }

    async fn plan_update<'a>(
        &self,
        diags: &mut Diagnostics,
        prior: State,
        proposed: State,
        _config: State,
        _private: ValueEmpty,
        _meta: ValueEmpty,
    ) -> Option<(State, ValueEmpty, Vec<AttributePath>)> {
        check(diags, &proposed);
        let mut planned = State {
            id: prior.id.clone(),
            created_on: prior.created_on.clone(),
            created_by: prior.created_by.clone(),
            last_synced_on: prior.last_synced_on.clone(),
            last_synced_by: prior.last_synced_by.clone(),
            ..proposed
        };
        if planned.sync_trigger != prior.sync_trigger && planned.sync_trigger.is_value() {
            planned.last_synced_on = Value::Unknown;
            planned.last_synced_by = Value::Unknown;
        }
        Some((planned, ValueEmpty::default(), vec![]))
    }

    async fn plan_destroy<'a>(
        &self,
        _diags: &mut Diagnostics,
        _prior: State,
        _private: ValueEmpty,
        _meta: ValueEmpty,
    ) -> Option<ValueEmpty> {
        Some(ValueEmpty::default())
    }

    async fn create<'a>(
        &self,
        diags: &mut Diagnostics,
        planned: State,
        _config: State,
        _private: ValueEmpty,
        _meta: ValueEmpty,
    ) -> Option<(State, ValueEmpty)> {
        let data = self.shared.get(diags)?;
        let name = text(&planned.name);
        let new = NewAssignment {
            name: name.clone(),
            description: text(&planned.description),
            ..NewAssignment::default()
        };
        let doc = match data.client.create_assignment(&new).await {
            Ok(doc) => doc,
            Err(e) if e.is_conflict() => {
                let existing = data
                    .client
                    .list_assignments()
                    .await
                    .ok()
                    .and_then(|all| all.into_iter().find(|a| a.name == name))
                    .map(|a| a.id);
                let mut detail = diag::api_detail(&e);
                if let Some(id) = existing {
                    detail.push_str(&format!(
                        "\n\nThe existing profile has id {id}. To manage it with Terraform instead, run:\n  terraform import <address> {id}"
                    ));
                }
                diag::error(
                    diags,
                    format!("A distribution profile named {name:?} already exists"),
                    detail,
                );
                return None;
            }
            Err(e) => {
                diag::api_error(
                    diags,
                    format!("Could not create distribution profile {name:?}"),
                    &e,
                );
                return None;
            }
        };
        let id = doc.id.clone();
        data.store.remember(doc.clone());
        let mut state = to_state(&doc, &planned);
        if planned.sync_trigger.is_value() {
            if let Err(e) = data.store.sync(&id).await {
                diag::api_error(
                    diags,
                    format!("Created distribution profile {id}, but could not start its sync"),
                    &e,
                );
            }
            state = self.refresh(&data, &id, &state).await.unwrap_or(state);
        }
        Some((state, ValueEmpty::default()))
    }

    async fn read<'a>(
        &self,
        diags: &mut Diagnostics,
        state: State,
        _private: ValueEmpty,
        _meta: ValueEmpty,
    ) -> Option<(State, ValueEmpty)> {
        let data = self.shared.get(diags)?;
        let id = text(&state.id);
        match data.store.read(&id).await {
            Ok(doc) => Some((to_state(&doc, &state), ValueEmpty::default())),
            Err(e) if e.is_not_found() => {
                diag::warning(
                    diags,
                    format!("Distribution profile {id} no longer exists"),
                    "It was deleted outside Terraform and has been removed from the state; the next plan creates it again.",
                );
                None
            }
            Err(e) => {
                diag::api_error(
                    diags,
                    format!("Could not read distribution profile {id}"),
                    &e,
                );
                Some((state, ValueEmpty::default()))
            }
        }
    }

    async fn update<'a>(
        &self,
        diags: &mut Diagnostics,
        prior: State,
        planned: State,
        _config: State,
        _private: ValueEmpty,
        _meta: ValueEmpty,
    ) -> Option<(State, ValueEmpty)> {
        let data = self.shared.get(diags)?;
        let id = text(&prior.id);
        let name = text(&planned.name);
        let description = text(&planned.description);
        let mut doc = None;
        if planned.name != prior.name || planned.description != prior.description {
            let (n, d) = (name.clone(), description.clone());
            let edit = Edit::new(
                format!("set name/description of {id}"),
                move |doc: &mut Assignment, _| {
                    doc.name = n.clone();
                    doc.description = d.clone();
                    Ok::<(), EditRejected>(())
                },
            );
            match data.store.edit(&id, edit).await {
                Ok(d) => doc = Some(d),
                Err(e) => {
                    let summary = if matches!(&e, crate::store::EditError::Api(a) if a.is_conflict())
                    {
                        format!("Could not rename distribution profile {id}: the name {name:?} is already in use")
                    } else {
                        format!("Could not update distribution profile {id}")
                    };
                    diag::edit_error(diags, summary, &e);
                    return None;
                }
            }
        }
        let mut state = match &doc {
            Some(d) => to_state(d, &planned),
            None => State {
                last_synced_on: prior.last_synced_on.clone(),
                last_synced_by: prior.last_synced_by.clone(),
                ..planned.clone()
            },
        };
        if planned.sync_trigger != prior.sync_trigger && planned.sync_trigger.is_value() {
            if let Err(e) = data.store.sync(&id).await {
                diag::api_error(
                    diags,
                    format!("Could not start a sync of distribution profile {id}"),
                    &e,
                );
                return Some((
                    State {
                        sync_trigger: prior.sync_trigger.clone(),
                        ..state
                    },
                    ValueEmpty::default(),
                ));
            }
            state = self.refresh(&data, &id, &state).await.unwrap_or(state);
        }
        Some((state, ValueEmpty::default()))
    }

    async fn destroy<'a>(
        &self,
        diags: &mut Diagnostics,
        prior: State,
        _private: ValueEmpty,
        _meta: ValueEmpty,
    ) -> Option<()> {
        let data = self.shared.get(diags)?;
        let id = text(&prior.id);
        match data.client.delete_assignment(&id).await {
            Ok(()) => {}
            Err(e) if e.is_not_found() => {
                tracing::debug!(target: "defender::resource", id, "profile already gone");
            }
            Err(e) => {
                diag::api_error(
                    diags,
                    format!("Could not delete distribution profile {id}"),
                    &e,
                );
                return None;
            }
        }
        data.store.forget(&id);
        Some(())
    }

    async fn import<'a>(&self, diags: &mut Diagnostics, id: String) -> Option<(State, ValueEmpty)> {
        let data = self.shared.get(diags)?;
        let id = id.trim().to_owned();
        match data.store.read(&id).await {
            Ok(doc) => Some((to_state(&doc, &State::default()), ValueEmpty::default())),
            Err(e) if e.is_not_found() => {
                diag::error(
                    diags,
                    format!("Cannot import distribution profile {id}: it does not exist"),
                    "Import takes the profile (assignment) ID, as shown by the portal or the API.",
                );
                None
            }
            Err(e) => {
                diag::api_error(
                    diags,
                    format!("Could not import distribution profile {id}"),
                    &e,
                );
                None
            }
        }
    }
}

impl DistributionProfile {
    /// A fresh read after a sync request, so last_synced_* are known values.
    async fn refresh(
        &self,
        data: &crate::provider::ProviderData,
        id: &str,
        state: &State,
    ) -> Option<State> {
        data.store
            .read_fresh(id)
            .await
            .ok()
            .map(|doc| to_state(&doc, state))
    }
}

// ---------------------------------------------------------------- mapping

/// The state for `doc`, keeping what only the configuration knows (`sync_trigger`, and a null
/// description when the API holds an empty one).
fn to_state(doc: &Assignment, prior: &State) -> State {
    let description = if doc.description.is_empty()
        && !matches!(&prior.description, Value::Value(d) if d.is_empty())
    {
        Value::Null
    } else {
        Value::Value(doc.description.clone())
    };
    State {
        id: Value::Value(doc.id.clone()),
        name: Value::Value(doc.name.clone()),
        description,
        sync_trigger: prior.sync_trigger.clone(),
        created_on: Value::Value(doc.created_on.clone().unwrap_or_default()),
        created_by: Value::Value(doc.created_by.clone().unwrap_or_default()),
        last_synced_on: Value::Value(doc.last_synced_on.clone().unwrap_or_default()),
        last_synced_by: Value::Value(doc.last_synced_by.clone().unwrap_or_default()),
    }
}
