//! `defender_profile_content`: one content item (an entry of the profile's `templates`).

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tf_provider::schema::Schema;
use tf_provider::value::{Value, ValueEmpty};
use tf_provider::{AttributePath, Diagnostics, Resource};

use crate::api::types::{Assignment, ContentType, Template};
use crate::diag;
use crate::provider::Shared;
use crate::resources::{
    auto_sync, check_child_id, child_create_failed, import_child, read_child, text, Child,
};
use crate::schema::{schema, string, Computed, OptionalComputed, Required};
use crate::store::{Edit, EditError, EditRejected};

/// Terraform names of content types and their API names.
pub const CONTENT_TYPES: [(&str, ContentType); 5] = [
    ("custom_detection_rule", ContentType::CustomDetectionRule),
    (
        "endpoint_security_policy",
        ContentType::EndpointSecurityPolicy,
    ),
    ("analytics_rule", ContentType::AnalyticsRule),
    ("automation_rule", ContentType::AutomationRule),
    ("workbook", ContentType::Workbook),
];

pub fn content_type_from_tf(s: &str) -> Option<ContentType> {
    CONTENT_TYPES
        .iter()
        .find(|(n, _)| *n == s)
        .map(|(_, t)| t.clone())
}

/// The Terraform name of an API content type (unknown API values pass through as they are).
pub fn content_type_to_tf(t: &ContentType) -> String {
    CONTENT_TYPES
        .iter()
        .find(|(_, c)| c == t)
        .map(|(n, _)| (*n).to_owned())
        .unwrap_or_else(|| t.as_api_str().to_owned())
}

// ---------------------------------------------------------------- schema

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    #[serde(default)]
    pub id: Value<String>,
    #[serde(default)]
    pub profile_id: Value<String>,
    #[serde(default)]
    pub content_id: Value<String>,
    #[serde(default)]
    pub content_type: Value<String>,
    #[serde(default)]
    pub name: Value<String>,
}

pub struct ProfileContent {
    shared: Shared,
}

impl ProfileContent {
    pub fn new(shared: Shared) -> Self {
        Self { shared }
    }
}

pub fn resource_schema() -> Schema {
    schema(
        "One content item of a distribution profile: an existing custom detection rule, endpoint security policy or \
         Sentinel item of the home tenant, copied to every target tenant of the profile at the next sync. \
         Removing it removes its copies from the targets at the next sync.",
        vec![
            ("id", string(Computed, "The resource ID, `<profile_id>/<content_id>`; also the import ID.")),
            ("profile_id", string(Required, "ID of the distribution profile. Changing it forces a new resource.")),
            ("content_id", string(Required, "ID of the content in the home (source) tenant. Changing it forces a new resource.")),
            ("content_type", string(Required, "One of `custom_detection_rule`, `endpoint_security_policy`, `analytics_rule`, `automation_rule`, `workbook`. Changing it forces a new resource.")),
            ("name", string(OptionalComputed, "Display name of the content. When not set, the name the API reports is used. Changing it updates the item in place.")),
        ],
    )
}

fn check(diags: &mut Diagnostics, s: &State) {
    if let Value::Value(t) = &s.content_type {
        if content_type_from_tf(t).is_none() {
            let allowed: Vec<&str> = CONTENT_TYPES.iter().map(|(n, _)| *n).collect();
            diag::attr_error(
                diags,
                AttributePath::new("content_type"),
                "Invalid content_type",
                format!(
                    "content_type = {t:?} is not supported; use one of {}.",
                    allowed.join(", ")
                ),
            );
        }
    }
    check_child_id(diags, "profile_id", &s.profile_id);
    check_child_id(diags, "content_id", &s.content_id);
}

// ---------------------------------------------------------------- plan and CRUD

#[async_trait]
impl Resource for ProfileContent {
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
        planned.id = match (&planned.profile_id, &planned.content_id) {
            (Value::Value(p), Value::Value(c)) => Value::Value(format!("{p}/{c}")),
            _ => Value::Unknown,
        };
        if planned.name.is_null() {
            planned.name = Value::Unknown;
        }
        Some((planned, ValueEmpty::default()))
    }

    async fn plan_update<'a>(
        &self,
        diags: &mut Diagnostics,
        prior: State,
        proposed: State,
        config: State,
        _private: ValueEmpty,
        _meta: ValueEmpty,
    ) -> Option<(State, ValueEmpty, Vec<AttributePath>)> {
        check(diags, &proposed);
        let mut replace = vec![];
        for (attr, a, b) in [
            ("profile_id", &prior.profile_id, &proposed.profile_id),
            ("content_id", &prior.content_id, &proposed.content_id),
            ("content_type", &prior.content_type, &proposed.content_type),
        ] {
            if a != b {
                replace.push(AttributePath::new(attr));
            }
        }
        let mut planned = proposed;
        if !replace.is_empty() {
            planned.id = match (&planned.profile_id, &planned.content_id) {
                (Value::Value(p), Value::Value(c)) => Value::Value(format!("{p}/{c}")),
                _ => Value::Unknown,
            };
            if config.name.is_null() {
                planned.name = Value::Unknown;
            }
        } else {
            planned.id = prior.id.clone();
            if config.name.is_null() {
                planned.name = prior.name.clone();
            }
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
        config: State,
        _private: ValueEmpty,
        _meta: ValueEmpty,
    ) -> Option<(State, ValueEmpty)> {
        let data = self.shared.get(diags)?;
        let profile_id = text(&planned.profile_id);
        let content_id = text(&planned.content_id);
        let tf_type = text(&planned.content_type);
        let Some(content_type) = content_type_from_tf(&tf_type) else {
            check(diags, &planned);
            return None;
        };
        let template = Template {
            id: content_id.clone(),
            content_type,
            name: text(&config.name),
        };
        let pid = profile_id.clone();
        let edit = Edit::new(
            format!("add content {content_id} to {profile_id}"),
            move |doc: &mut Assignment, ctx| {
                match doc.templates.iter().find(|t| t.id == template.id) {
                Some(existing) if ctx.maybe_applied && existing.content_type == template.content_type => Ok(()),
                Some(_) => Err(EditRejected(format!(
                    "content {} is already in distribution profile {pid}: another defender_profile_content (or a change outside Terraform) added it. \
                     Remove the duplicate, or import the existing item with: terraform import <address> {pid}/{}",
                    template.id, template.id
                ))),
                None => {
                    doc.templates.push(template.clone());
                    Ok(())
                }
            }
            },
        );
        let doc = match data.store.edit(&profile_id, edit).await {
            Ok(doc) => doc,
            Err(e) => {
                child_create_failed(
                    diags,
                    &e,
                    &profile_id,
                    format!("Content {content_id} is already in distribution profile {profile_id}"),
                    format!(
                        "Could not add content {content_id} to distribution profile {profile_id}"
                    ),
                );
                return None;
            }
        };
        let state = to_state(&doc, &profile_id, &content_id).unwrap_or(State {
            id: Value::Value(format!("{profile_id}/{content_id}")),
            name: Value::Value(String::new()),
            ..planned
        });
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
        let (profile_id, content_id) = (text(&state.profile_id), text(&state.content_id));
        let child = Child {
            profile_id: &profile_id,
            label: format!("Content {content_id}"),
            gone: "is no longer in",
        };
        read_child(&data, diags, child, state, |doc| {
            to_state(doc, &profile_id, &content_id)
        })
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
        let content_id = text(&prior.content_id);
        let name = text(&planned.name);
        let (cid, pid) = (content_id.clone(), profile_id.clone());
        let edit = Edit::new(
            format!("rename content {content_id} in {profile_id}"),
            move |doc: &mut Assignment, _| {
                match doc.templates.iter_mut().find(|t| t.id == cid) {
                Some(t) => {
                    t.name = name.clone();
                    Ok(())
                }
                None => Err(EditRejected(format!(
                    "content {cid} is no longer in distribution profile {pid}; run terraform apply again to add it back"
                ))),
            }
            },
        );
        match data.store.edit(&profile_id, edit).await {
            Ok(doc) => {
                let state = to_state(&doc, &profile_id, &content_id).unwrap_or(planned);
                drop(doc);
                auto_sync(&data, diags, &profile_id).await;
                Some((state, ValueEmpty::default()))
            }
            Err(e) => {
                diag::edit_error(diags, format!("Could not update content {content_id} in distribution profile {profile_id}"), &e);
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
        let content_id = text(&prior.content_id);
        let cid = content_id.clone();
        let edit = Edit::new(
            format!("remove content {content_id} from {profile_id}"),
            move |doc: &mut Assignment, _| {
                doc.templates.retain(|t| t.id != cid);
                for per_template in doc.template_variables.values_mut() {
                    per_template.remove(&cid);
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
                diag::edit_error(diags, format!("Could not remove content {content_id} from distribution profile {profile_id}"), &e);
                None
            }
        }
    }

    async fn import<'a>(&self, diags: &mut Diagnostics, id: String) -> Option<(State, ValueEmpty)> {
        let data = self.shared.get(diags)?;
        import_child(
            &data,
            diags,
            "defender_profile_content",
            &id,
            "content",
            to_state,
        )
        .await
        .map(|s| (s, ValueEmpty::default()))
    }
}

// ---------------------------------------------------------------- mapping

fn to_state(doc: &Assignment, profile_id: &str, content_id: &str) -> Option<State> {
    let t = doc.templates.iter().find(|t| t.id == content_id)?;
    Some(State {
        id: Value::Value(format!("{profile_id}/{content_id}")),
        profile_id: Value::Value(profile_id.to_owned()),
        content_id: Value::Value(content_id.to_owned()),
        content_type: Value::Value(content_type_to_tf(&t.content_type)),
        name: Value::Value(t.name.clone()),
    })
}
