//! `defender_distribution_status`: a profile's sync state, read from `syncUnitStatuses`, in the
//! portal's hierarchical view: each original content item with its copies in the targets.

use std::time::{Duration, Instant};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tf_provider::schema::{AttributeType, Schema};
use tf_provider::value::{Value, ValueEmpty};
use tf_provider::{AttributePath, DataSource, Diagnostics};

use crate::api::types::{Assignment, ErrorType, OverallStatus, SyncStatus, SyncUnitStatus};
use crate::diag;
use crate::provider::Shared;
use crate::resources::profile_content::content_type_to_tf;
use crate::schema::{attr, bool, number, object, schema, string, Computed, Optional, Required};
use crate::validate::parse_duration;

pub const DEFAULT_TIMEOUT: &str = "10m";

// ---------------------------------------------------------------- schema

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct State {
    #[serde(default)]
    pub id: Value<String>,
    #[serde(default)]
    pub profile_id: Value<String>,
    #[serde(default)]
    pub wait: Value<bool>,
    #[serde(default)]
    pub timeout: Value<String>,
    #[serde(default)]
    pub status: Value<String>,
    #[serde(default)]
    pub last_synced_on: Value<String>,
    #[serde(default)]
    pub tenant_count: Value<i64>,
    #[serde(default)]
    pub content_count: Value<i64>,
    #[serde(default)]
    pub succeeded_count: Value<i64>,
    #[serde(default)]
    pub failed_count: Value<i64>,
    #[serde(default)]
    pub pending_count: Value<i64>,
    #[serde(default)]
    pub content: Value<Vec<Value<ContentState>>>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ContentState {
    pub content_id: Value<String>,
    pub name: Value<String>,
    pub content_type: Value<String>,
    pub status: Value<String>,
    pub copies: Value<Vec<Value<CopyState>>>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CopyState {
    pub tenant_id: Value<String>,
    pub target_content_id: Value<String>,
    pub status: Value<String>,
    pub error_type: Value<String>,
    pub last_synced_on: Value<String>,
}

pub struct DistributionStatus {
    shared: Shared,
}

impl DistributionStatus {
    pub fn new(shared: Shared) -> Self {
        Self { shared }
    }
}

pub fn data_source_schema() -> Schema {
    let copy = object(&[
        ("tenant_id", AttributeType::String),
        ("target_content_id", AttributeType::String),
        ("status", AttributeType::String),
        ("error_type", AttributeType::String),
        ("last_synced_on", AttributeType::String),
    ]);
    let content = object(&[
        ("content_id", AttributeType::String),
        ("name", AttributeType::String),
        ("content_type", AttributeType::String),
        ("status", AttributeType::String),
        ("copies", AttributeType::List(Box::new(copy))),
    ]);
    schema(
        "The sync state of a distribution profile: overall status, unit counts, and each original content item \
         with its copies in the target tenants (the portal's hierarchical view). With `wait`, polls until no unit \
         is pending or in progress.",
        vec![
            ("id", string(Computed, "The profile ID.")),
            ("profile_id", string(Required, "ID of the distribution profile.")),
            ("wait", bool(Optional, "Poll (with backoff) until no unit is pending or in progress. Default `false`.")),
            ("timeout", string(Optional, "How long `wait` polls, as a duration (`\"30s\"`, `\"10m\"`, `\"1h\"`). Running out is an error listing what is still pending. Default `\"10m\"`.")),
            ("status", string(Computed, "Overall status rolled up from the units: `not_synced` (no units, or none synced yet), `in_progress` (any pending or in progress), `success` (all succeeded), `failure` (none succeeded), `partially_successful` (otherwise).")),
            ("last_synced_on", string(Computed, "When the profile was last synced (RFC 3339), empty if never.")),
            ("tenant_count", number(Computed, "Number of target tenants.")),
            ("content_count", number(Computed, "Number of content items.")),
            ("succeeded_count", number(Computed, "Units (content item × tenant) whose last sync succeeded.")),
            ("failed_count", number(Computed, "Units whose last sync failed.")),
            ("pending_count", number(Computed, "Units pending or in progress.")),
            ("content", attr(
                AttributeType::List(Box::new(content)),
                Computed,
                "Per original content item: `content_id`, `name`, `content_type`, `status` (roll-up of its copies, same rule as `status`), and `copies`: per target tenant `tenant_id`, `target_content_id` (the copy's ID in that tenant, empty until created), `status` (`not_synced`, `pending`, `in_progress`, `success`, `failed`), `error_type` (`none`, `no_relationship`, `missing_permissions`, `scope_not_found`, `source_content_not_found`, `unknown`) and `last_synced_on`.",
            )),
        ],
    )
}

fn timeout_of(config: &State) -> Result<Duration, String> {
    match &config.timeout {
        Value::Value(t) => parse_duration(t),
        _ => parse_duration(DEFAULT_TIMEOUT),
    }
}

// ---------------------------------------------------------------- read

#[async_trait]
impl DataSource for DistributionStatus {
    type State<'a> = State;
    type ProviderMetaState<'a> = ValueEmpty;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
        Some(data_source_schema())
    }

    async fn validate<'a>(&self, diags: &mut Diagnostics, config: State) -> Option<()> {
        if config.timeout.is_value() {
            if let Err(why) = timeout_of(&config) {
                diag::attr_error(
                    diags,
                    AttributePath::new("timeout"),
                    "Invalid timeout",
                    format!("timeout {why}."),
                );
            }
        }
        if let Value::Value(p) = &config.profile_id {
            if p.trim().is_empty() {
                diag::attr_error(
                    diags,
                    AttributePath::new("profile_id"),
                    "Invalid profile_id",
                    "profile_id must not be empty.",
                );
            }
        }
        Some(())
    }

    async fn read<'a>(
        &self,
        diags: &mut Diagnostics,
        config: State,
        _meta: ValueEmpty,
    ) -> Option<State> {
        let data = self.shared.get(diags)?;
        let profile_id = config
            .profile_id
            .as_ref_option()
            .cloned()
            .unwrap_or_default();
        let wait = matches!(config.wait, Value::Value(true));
        let timeout = match timeout_of(&config) {
            Ok(t) => t,
            Err(why) => {
                diag::attr_error(
                    diags,
                    AttributePath::new("timeout"),
                    "Invalid timeout",
                    format!("timeout {why}."),
                );
                return None;
            }
        };
        let started = Instant::now();
        let mut delay = Duration::from_millis(250);
        loop {
            // Status moves on its own, so every look is a new GET.
            let doc = match data.store.read_fresh(&profile_id).await {
                Ok(doc) => doc,
                Err(e) => {
                    diag::api_error(
                        diags,
                        format!("Could not read the status of distribution profile {profile_id}"),
                        &e,
                    );
                    return None;
                }
            };
            let running: Vec<&SyncUnitStatus> = doc
                .sync_unit_statuses
                .iter()
                .filter(|u| matches!(u.sync_status, SyncStatus::Pending | SyncStatus::InProgress))
                .collect();
            if !wait || running.is_empty() {
                return Some(to_state(&doc, &config));
            }
            let elapsed = started.elapsed();
            if elapsed >= timeout {
                let mut listed: Vec<String> = running
                    .iter()
                    .take(20)
                    .map(|u| {
                        format!(
                            "  - {} ({}) → tenant {}: {}",
                            u.template_name,
                            u.template_id,
                            u.target_tenant_id,
                            status_name(&u.sync_status)
                        )
                    })
                    .collect();
                if running.len() > 20 {
                    listed.push(format!("  … and {} more", running.len() - 20));
                }
                diag::error(
                    diags,
                    format!("Timed out after {} waiting for the sync of distribution profile {profile_id}", human(timeout)),
                    format!(
                        "{} of {} units are still pending or in progress:\n{}\n\nRaise timeout, or read the status without wait and check again later.",
                        running.len(),
                        doc.sync_unit_statuses.len(),
                        listed.join("\n")
                    ),
                );
                return None;
            }
            tracing::debug!(target: "defender::status", profile_id, running = running.len(), delay_ms = delay.as_millis() as u64, "sync still running; polling again");
            tokio::time::sleep(delay.min(timeout - elapsed)).await;
            delay = (delay * 3 / 2).min(Duration::from_secs(10));
        }
    }
}

// ---------------------------------------------------------------- mapping

fn human(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 60.0 && s % 60.0 == 0.0 {
        format!("{}m", s / 60.0)
    } else {
        format!("{s}s")
    }
}

pub fn status_name(s: &SyncStatus) -> String {
    match s {
        SyncStatus::NotSynced => "not_synced".into(),
        SyncStatus::Pending => "pending".into(),
        SyncStatus::InProgress => "in_progress".into(),
        SyncStatus::Success => "success".into(),
        SyncStatus::Failed => "failed".into(),
        SyncStatus::Other(o) => o.clone(),
    }
}

pub fn error_type_name(e: &ErrorType) -> String {
    match e {
        ErrorType::None => "none".into(),
        ErrorType::NoRelationship => "no_relationship".into(),
        ErrorType::MissingPermissions => "missing_permissions".into(),
        ErrorType::ScopeNotFound => "scope_not_found".into(),
        ErrorType::SourceContentNotFound => "source_content_not_found".into(),
        ErrorType::Unknown => "unknown".into(),
        ErrorType::Other(o) => o.clone(),
    }
}

fn count(doc: &Assignment, f: impl Fn(&SyncStatus) -> bool) -> i64 {
    doc.sync_unit_statuses
        .iter()
        .filter(|u| f(&u.sync_status))
        .count() as i64
}

fn to_state(doc: &Assignment, config: &State) -> State {
    let content = doc
        .templates
        .iter()
        .map(|t| {
            let units: Vec<&SyncUnitStatus> = doc
                .sync_unit_statuses
                .iter()
                .filter(|u| u.template_id == t.id)
                .collect();
            let copies = units
                .iter()
                .map(|u| {
                    Value::Value(CopyState {
                        tenant_id: Value::Value(u.target_tenant_id.clone()),
                        target_content_id: Value::Value(
                            u.target_content_id.clone().unwrap_or_default(),
                        ),
                        status: Value::Value(status_name(&u.sync_status)),
                        error_type: Value::Value(error_type_name(&u.error_type)),
                        last_synced_on: Value::Value(u.last_synced_on.clone().unwrap_or_default()),
                    })
                })
                .collect();
            Value::Value(ContentState {
                content_id: Value::Value(t.id.clone()),
                name: Value::Value(t.name.clone()),
                content_type: Value::Value(content_type_to_tf(&t.content_type)),
                status: Value::Value(
                    OverallStatus::roll_up(units.iter().map(|u| &u.sync_status))
                        .as_snake()
                        .to_owned(),
                ),
                copies: Value::Value(copies),
            })
        })
        .collect();
    State {
        id: Value::Value(doc.id.clone()),
        profile_id: config.profile_id.clone(),
        wait: config.wait,
        timeout: config.timeout.clone(),
        status: Value::Value(
            OverallStatus::roll_up(doc.sync_unit_statuses.iter().map(|u| &u.sync_status))
                .as_snake()
                .to_owned(),
        ),
        last_synced_on: Value::Value(doc.last_synced_on.clone().unwrap_or_default()),
        tenant_count: Value::Value(doc.target_tenant_ids.len() as i64),
        content_count: Value::Value(doc.templates.len() as i64),
        succeeded_count: Value::Value(count(doc, |s| *s == SyncStatus::Success)),
        failed_count: Value::Value(count(doc, |s| *s == SyncStatus::Failed)),
        pending_count: Value::Value(count(doc, |s| {
            matches!(s, SyncStatus::Pending | SyncStatus::InProgress)
        })),
        content: Value::Value(content),
    }
}
