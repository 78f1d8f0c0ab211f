//! `defender_profile_target_tenant`: one target tenant of a profile (an entry of
//! `targetTenantIds`) with its scope (`variables[tenant]`).

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tf_provider::schema::{AttributeType, Schema};
use tf_provider::value::{Value, ValueEmpty};
use tf_provider::{AttributePath, Diagnostics, Resource};

use crate::api::types::{Assignment, Variables, VAR_DEVICE_GROUPS, VAR_ENTRA_GROUPS};
use crate::diag;
use crate::provider::Shared;
use crate::resources::{
    auto_sync, check_child_id, child_create_failed, import_child, read_child, text, Child,
};
use crate::schema::{attr, schema, string, string_set, Computed, Optional, Required};
use crate::store::{Edit, EditError, EditRejected};
use crate::validate::is_guid;

type StringSet = Value<BTreeSet<Value<String>>>;
type VariableMap = Value<BTreeMap<String, Value<Vec<Value<String>>>>>;

// ---------------------------------------------------------------- schema

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    #[serde(default)]
    pub id: Value<String>,
    #[serde(default)]
    pub profile_id: Value<String>,
    #[serde(default)]
    pub tenant_id: Value<String>,
    #[serde(default)]
    pub entra_group_ids: StringSet,
    #[serde(default)]
    pub device_groups: StringSet,
    #[serde(default)]
    pub variables: VariableMap,
}

pub struct ProfileTargetTenant {
    shared: Shared,
}

impl ProfileTargetTenant {
    pub fn new(shared: Shared) -> Self {
        Self { shared }
    }
}

pub fn resource_schema() -> Schema {
    schema(
        "One target tenant of a distribution profile, with its scope: the Entra groups (for endpoint security \
         policies) and Defender device groups (for custom detection rules) that exist in that tenant. Scope changes \
         update in place. Removing the target removes the profile's copies from that tenant at the next sync.",
        vec![
            ("id", string(Computed, "The resource ID, `<profile_id>/<tenant_id>`; also the import ID.")),
            ("profile_id", string(Required, "ID of the distribution profile. Changing it forces a new resource.")),
            ("tenant_id", string(Required, "The target tenant's ID, a GUID (see the `defender_tenants` data source). Changing it forces a new resource.")),
            ("entra_group_ids", string_set(Optional, "Object IDs (GUIDs) of Entra groups in the target tenant that endpoint security policies are assigned to. API variable `EntraGroups`.")),
            ("device_groups", string_set(Optional, "Names of Defender device groups in the target tenant that custom detection rules are scoped to. API variable `DeviceGroups`.")),
            ("variables", attr(
                AttributeType::Map(Box::new(AttributeType::List(Box::new(AttributeType::String)))),
                Optional,
                "Other per-tenant variables, name → list of values, sent to the target as given. `EntraGroups` and `DeviceGroups` are not allowed here: use `entra_group_ids` and `device_groups`.",
            )),
        ],
    )
}

fn known_strings(set: &StringSet) -> Vec<&String> {
    set.as_ref_option()
        .map(|s| s.iter().filter_map(|v| v.as_ref_option()).collect())
        .unwrap_or_default()
}

fn check(diags: &mut Diagnostics, s: &State) {
    if let Value::Value(t) = &s.tenant_id {
        if !is_guid(t) {
            diag::attr_error(
                diags,
                AttributePath::new("tenant_id"),
                "Invalid tenant_id",
                format!("tenant_id = {t:?} is not a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx). The defender_tenants data source lists the tenants you can target."),
            );
        }
    }
    check_child_id(diags, "profile_id", &s.profile_id);
    for g in known_strings(&s.entra_group_ids) {
        if !is_guid(g) {
            diag::attr_error(
                diags,
                AttributePath::new("entra_group_ids"),
                "Invalid entra_group_ids element",
                format!("{g:?} is not a GUID: entra_group_ids holds Entra group object IDs of the target tenant."),
            );
        }
    }
    for g in known_strings(&s.device_groups) {
        if g.trim().is_empty() {
            diag::attr_error(
                diags,
                AttributePath::new("device_groups"),
                "Invalid device_groups element",
                "Device group names must not be empty.",
            );
        }
    }
    if let Value::Value(vars) = &s.variables {
        for name in vars.keys() {
            if name.eq_ignore_ascii_case(VAR_ENTRA_GROUPS)
                || name.eq_ignore_ascii_case(VAR_DEVICE_GROUPS)
            {
                let instead = if name.eq_ignore_ascii_case(VAR_ENTRA_GROUPS) {
                    "entra_group_ids"
                } else {
                    "device_groups"
                };
                diag::attr_error(
                    diags,
                    AttributePath::new("variables").key(name.clone()),
                    "Reserved variable name",
                    format!("variables must not set {name:?}: it is the tenant's scope. Use the {instead} argument instead."),
                );
            } else if name.trim().is_empty() {
                diag::attr_error(
                    diags,
                    AttributePath::new("variables"),
                    "Invalid variable name",
                    "Variable names must not be empty.",
                );
            }
        }
    }
}

// ---------------------------------------------------------------- plan and CRUD

#[async_trait]
impl Resource for ProfileTargetTenant {
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
        let mut planned = proposed;
        planned.id = child_id(&planned);
        Some((planned, ValueEmpty::default()))
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
        let mut replace = vec![];
        if prior.profile_id != proposed.profile_id {
            replace.push(AttributePath::new("profile_id"));
        }
        if !same_tenant(&prior.tenant_id, &proposed.tenant_id) {
            replace.push(AttributePath::new("tenant_id"));
        }
        let mut planned = proposed;
        planned.id = if replace.is_empty() {
            prior.id.clone()
        } else {
            child_id(&planned)
        };
        if replace.is_empty() {
            // GUIDs compare case-insensitively; keep the prior spelling so no diff shows.
            planned.tenant_id = prior.tenant_id.clone();
        }
        Some((planned, ValueEmpty::default(), replace))
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
        let profile_id = text(&planned.profile_id);
        let tenant_id = text(&planned.tenant_id);
        let vars = to_api_variables(&planned);
        let (tid, pid) = (tenant_id.clone(), profile_id.clone());
        let edit = Edit::new(
            format!("add target {tenant_id} to {profile_id}"),
            move |doc: &mut Assignment, ctx| {
                if let Some(existing) = find_tenant(doc, &tid) {
                    let same = doc.variables.get(&existing).map(normalise)
                        == Some(normalise(&vars))
                        || (vars.is_empty() && !doc.variables.contains_key(&existing));
                    if ctx.maybe_applied && same {
                        return Ok(());
                    }
                    return Err(EditRejected(format!(
                    "tenant {tid} is already a target of distribution profile {pid}: another defender_profile_target_tenant (or a change outside Terraform) added it. \
                     Keep one resource per tenant, or import the existing target with: terraform import <address> {pid}/{tid}"
                )));
                }
                doc.target_tenant_ids.push(tid.clone());
                if vars.is_empty() {
                    doc.variables.remove(&tid);
                } else {
                    doc.variables.insert(tid.clone(), vars.clone());
                }
                Ok(())
            },
        );
        let doc = match data.store.edit(&profile_id, edit).await {
            Ok(doc) => doc,
            Err(e) => {
                child_create_failed(
                    diags,
                    &e,
                    &profile_id,
                    format!("Tenant {tenant_id} is already a target of distribution profile {profile_id}"),
                    format!("Could not add target tenant {tenant_id} to distribution profile {profile_id}"),
                );
                return None;
            }
        };
        let state = to_state(&doc, &planned).unwrap_or(planned);
        // Not held across the sync wait: at 1,000 targets a document is ~10 MB in memory.
        drop(doc);
        auto_sync(&data, diags, &profile_id).await;
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
        let (profile_id, tenant_id) = (text(&state.profile_id), text(&state.tenant_id));
        let child = Child {
            profile_id: &profile_id,
            label: format!("Tenant {tenant_id}"),
            gone: "is no longer a target of",
        };
        let prior = state.clone();
        read_child(&data, diags, child, prior, |doc| to_state(doc, &state))
            .await
            .map(|s| (s, ValueEmpty::default()))
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
        let profile_id = text(&prior.profile_id);
        let tenant_id = text(&prior.tenant_id);
        let vars = to_api_variables(&planned);
        let tid = tenant_id.clone();
        let edit = Edit::new(
            format!("set scope of {tenant_id} in {profile_id}"),
            move |doc: &mut Assignment, _| {
                let key = match find_tenant(doc, &tid) {
                    Some(k) => k,
                    None => {
                        // Removed behind our back since the plan: put it back with the planned scope.
                        doc.target_tenant_ids.push(tid.clone());
                        tid.clone()
                    }
                };
                if vars.is_empty() {
                    doc.variables.remove(&key);
                } else {
                    doc.variables.insert(key, vars.clone());
                }
                Ok(())
            },
        );
        match data.store.edit(&profile_id, edit).await {
            Ok(doc) => {
                let state = to_state(&doc, &planned).unwrap_or(planned);
                drop(doc);
                auto_sync(&data, diags, &profile_id).await;
                Some((state, ValueEmpty::default()))
            }
            Err(e) => {
                diag::edit_error(diags, format!("Could not update the scope of tenant {tenant_id} in distribution profile {profile_id}"), &e);
                None
            }
        }
    }

    async fn destroy<'a>(
        &self,
        diags: &mut Diagnostics,
        prior: State,
        _private: ValueEmpty,
        _meta: ValueEmpty,
    ) -> Option<()> {
        let data = self.shared.get(diags)?;
        let profile_id = text(&prior.profile_id);
        let tenant_id = text(&prior.tenant_id);
        let tid = tenant_id.clone();
        let edit = Edit::new(
            format!("remove target {tenant_id} from {profile_id}"),
            move |doc: &mut Assignment, _| {
                if let Some(key) = find_tenant(doc, &tid) {
                    doc.target_tenant_ids
                        .retain(|t| !t.eq_ignore_ascii_case(&key));
                    doc.variables.remove(&key);
                    doc.template_variables.remove(&key);
                }
                Ok(())
            },
        );
        match data.store.edit(&profile_id, edit).await.map(drop) {
            Ok(()) => {
                auto_sync(&data, diags, &profile_id).await;
                Some(())
            }
            Err(EditError::Api(e)) if e.is_not_found() => Some(()),
            Err(e) => {
                diag::edit_error(diags, format!("Could not remove target tenant {tenant_id} from distribution profile {profile_id}"), &e);
                None
            }
        }
    }

    async fn import<'a>(&self, diags: &mut Diagnostics, id: String) -> Option<(State, ValueEmpty)> {
        let data = self.shared.get(diags)?;
        let find = |doc: &Assignment, profile_id: &str, tenant_id: &str| {
            let skeleton = State {
                profile_id: Value::Value(profile_id.to_owned()),
                tenant_id: Value::Value(tenant_id.to_owned()),
                ..State::default()
            };
            to_state(doc, &skeleton)
        };
        import_child(
            &data,
            diags,
            "defender_profile_target_tenant",
            &id,
            "tenant",
            find,
        )
        .await
        .map(|s| (s, ValueEmpty::default()))
    }
}

// ---------------------------------------------------------------- mapping

fn child_id(s: &State) -> Value<String> {
    match (&s.profile_id, &s.tenant_id) {
        (Value::Value(p), Value::Value(t)) => Value::Value(format!("{p}/{t}")),
        _ => Value::Unknown,
    }
}

fn same_tenant(a: &Value<String>, b: &Value<String>) -> bool {
    match (a, b) {
        (Value::Value(a), Value::Value(b)) => a.eq_ignore_ascii_case(b),
        _ => a == b,
    }
}

/// The tenant id as the document spells it (GUIDs match case-insensitively).
fn find_tenant(doc: &Assignment, tenant_id: &str) -> Option<String> {
    doc.target_tenant_ids
        .iter()
        .find(|t| t.eq_ignore_ascii_case(tenant_id))
        .cloned()
}

fn normalise(v: &Variables) -> BTreeMap<String, BTreeSet<String>> {
    v.iter()
        .filter(|(_, vals)| !vals.is_empty())
        .map(|(k, vals)| (k.clone(), vals.iter().cloned().collect()))
        .collect()
}

/// The API's `variables[tenant]` for a planned state.
fn to_api_variables(s: &State) -> Variables {
    let mut vars = Variables::new();
    if let Value::Value(extra) = &s.variables {
        for (k, v) in extra {
            let vals: Vec<String> = v
                .as_ref_option()
                .map(|l| {
                    l.iter()
                        .filter_map(|x| x.as_ref_option().cloned())
                        .collect()
                })
                .unwrap_or_default();
            vars.insert(k.clone(), vals);
        }
    }
    let entra: Vec<String> = known_strings(&s.entra_group_ids)
        .into_iter()
        .cloned()
        .collect();
    if !entra.is_empty() {
        vars.insert(VAR_ENTRA_GROUPS.to_owned(), entra);
    }
    let devices: Vec<String> = known_strings(&s.device_groups)
        .into_iter()
        .cloned()
        .collect();
    if !devices.is_empty() {
        vars.insert(VAR_DEVICE_GROUPS.to_owned(), devices);
    }
    vars
}

/// A set attribute from API values; an absent or empty list keeps what the prior state had
/// (null or empty), so "not set" and "set to []" never flip into a diff.
fn to_set(values: Option<&Vec<String>>, prior: &StringSet, fold_case: bool) -> StringSet {
    let values: Vec<&String> = values.map(|v| v.iter().collect()).unwrap_or_default();
    if values.is_empty() {
        return match prior {
            Value::Value(_) => Value::Value(BTreeSet::new()),
            _ => Value::Null,
        };
    }
    // Keep the prior spelling of GUIDs that differ only in case.
    let prior_known = known_strings(prior);
    Value::Value(
        values
            .into_iter()
            .map(|v| {
                let spelled = if fold_case {
                    prior_known
                        .iter()
                        .find(|p| p.eq_ignore_ascii_case(v))
                        .map(|p| (*p).clone())
                        .unwrap_or_else(|| v.clone())
                } else {
                    v.clone()
                };
                Value::Value(spelled)
            })
            .collect(),
    )
}

fn to_state(doc: &Assignment, prior: &State) -> Option<State> {
    let profile_id = text(&prior.profile_id);
    let wanted = text(&prior.tenant_id);
    let key = find_tenant(doc, &wanted)?;
    let empty = Variables::new();
    let vars = doc.variables.get(&key).unwrap_or(&empty);
    let extra: BTreeMap<String, Value<Vec<Value<String>>>> = vars
        .iter()
        .filter(|(k, _)| k.as_str() != VAR_ENTRA_GROUPS && k.as_str() != VAR_DEVICE_GROUPS)
        .map(|(k, v)| {
            (
                k.clone(),
                Value::Value(v.iter().cloned().map(Value::Value).collect()),
            )
        })
        .collect();
    let variables = if extra.is_empty() {
        match &prior.variables {
            Value::Value(_) => Value::Value(BTreeMap::new()),
            _ => Value::Null,
        }
    } else {
        Value::Value(extra)
    };
    Some(State {
        id: Value::Value(format!("{profile_id}/{wanted}")),
        profile_id: Value::Value(profile_id),
        tenant_id: Value::Value(wanted),
        entra_group_ids: to_set(vars.get(VAR_ENTRA_GROUPS), &prior.entra_group_ids, true),
        device_groups: to_set(vars.get(VAR_DEVICE_GROUPS), &prior.device_groups, false),
        variables,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(v: &[&str]) -> StringSet {
        Value::Value(v.iter().map(|s| Value::Value((*s).to_owned())).collect())
    }

    #[test]
    fn scope_round_trips_without_diffs() {
        let planned = State {
            profile_id: Value::Value("p".into()),
            tenant_id: Value::Value("AAAAAAAA-0000-4000-8000-000000000001".into()),
            entra_group_ids: set(&["BBBBBBBB-0000-4000-8000-000000000001"]),
            device_groups: Value::Null,
            variables: Value::Value(BTreeMap::new()),
            ..State::default()
        };
        let mut doc = Assignment::default();
        doc.target_tenant_ids
            .push("aaaaaaaa-0000-4000-8000-000000000001".into());
        let mut vars = to_api_variables(&planned);
        // the server lower-cases GUIDs
        vars.insert(
            VAR_ENTRA_GROUPS.into(),
            vec!["bbbbbbbb-0000-4000-8000-000000000001".into()],
        );
        doc.variables
            .insert("aaaaaaaa-0000-4000-8000-000000000001".into(), vars);
        let state = to_state(&doc, &planned).unwrap();
        assert_eq!(state.tenant_id, planned.tenant_id);
        assert_eq!(state.entra_group_ids, planned.entra_group_ids);
        assert_eq!(state.device_groups, Value::Null);
        assert_eq!(state.variables, Value::Value(BTreeMap::new()));
    }

    #[test]
    fn reserved_variables_are_refused() {
        let mut vars = BTreeMap::new();
        vars.insert("entragroups".to_owned(), Value::Value(vec![]));
        let s = State {
            variables: Value::Value(vars),
            ..State::default()
        };
        let mut diags = Diagnostics::default();
        check(&mut diags, &s);
        assert_eq!(diags.errors.len(), 1);
        assert!(diags.errors[0].detail.contains("entra_group_ids"));
    }
}
