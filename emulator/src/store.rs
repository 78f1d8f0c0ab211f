//! Assignments in memory: validation, writes, syncs and how they are shown.
//!
//! Sync progress is never driven by a background task. A sync records when it started and
//! what its result will be; every read works out from the clock where the unit stands
//! (`Pending`, then `InProgress`, then the result).

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::world::{self, World, CONTENT_TYPES, HOME_TENANT_ID};

/// Variable name → values.
pub type Variables = BTreeMap<String, Vec<String>>;

/// As sent by a client: any level may be `null`.
type NullableVariables = BTreeMap<String, Option<Variables>>;

static NO_VARIABLES: Variables = BTreeMap::new();

pub const VAR_ENTRA_GROUPS: &str = "EntraGroups";
pub const VAR_DEVICE_GROUPS: &str = "DeviceGroups";

pub const MAX_NAME_CHARS: usize = 256;
pub const MAX_DESCRIPTION_CHARS: usize = 1024;
/// Most sync units (content items × target tenants) one sync may start.
pub const MAX_SYNC_UNITS: usize = 9_500;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Template {
    pub id: String,
    #[serde(rename = "type")]
    pub content_type: String,
    pub name: String,
}

/// One sync of one unit: when it started and what it will end with.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncRun {
    pub started_ms: i64,
    /// The sync delay in force when the sync started, so later changes do not rewrite history.
    pub delay_ms: u64,
    pub by: String,
    /// `None` on success, else the failure reason.
    pub error_type: String,
    pub target_content_id: Option<String>,
    pub synced_variables: Variables,
}

impl SyncRun {
    fn finished_ms(&self) -> i64 {
        self.started_ms
            .saturating_add(i64::try_from(self.delay_ms.saturating_mul(2)).unwrap_or(i64::MAX))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredUnit {
    pub id: String,
    pub template_id: String,
    pub target_tenant_id: String,
    /// The latest sync, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<SyncRun>,
    /// The sync before it, shown while the latest one is still running.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev: Option<SyncRun>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredAssignment {
    /// Creation order, for listing.
    pub seq: u64,
    pub id: String,
    pub e_tag: String,
    pub name: String,
    pub description: String,
    pub created_on_ms: i64,
    pub created_by: String,
    pub last_synced_on_ms: Option<i64>,
    pub last_synced_by: Option<String>,
    pub target_tenant_ids: Vec<String>,
    pub templates: Vec<Template>,
    pub is_variable_per_template: bool,
    pub variables: BTreeMap<String, Variables>,
    pub template_variables: BTreeMap<String, BTreeMap<String, Variables>>,
    /// One per template × target, in template-major order.
    pub units: Vec<StoredUnit>,
}

/// The body of a POST or PUT. Everything is optional here so that a missing or `null` field
/// gets a clear validation message; unknown fields (server-owned ones included) are ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AssignmentInput {
    pub name: Option<String>,
    pub description: Option<String>,
    pub target_tenant_ids: Option<Vec<String>>,
    pub templates: Option<Vec<TemplateInput>>,
    pub is_variable_per_template: Option<bool>,
    pub variables: Option<NullableVariables>,
    pub template_variables: Option<BTreeMap<String, Option<NullableVariables>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TemplateInput {
    pub id: Option<String>,
    #[serde(rename = "type")]
    pub content_type: Option<String>,
    pub name: Option<String>,
}

/// A validated configuration: what a client may set on an assignment.
#[derive(Debug)]
struct Config {
    name: String,
    description: String,
    target_tenant_ids: Vec<String>,
    templates: Vec<Template>,
    is_variable_per_template: bool,
    variables: BTreeMap<String, Variables>,
    template_variables: BTreeMap<String, BTreeMap<String, Variables>>,
}

fn validate(input: AssignmentInput, world: &World) -> Result<Config, ApiError> {
    let name = input.name.unwrap_or_default();
    let name_len = name.chars().count();
    if name_len == 0 {
        return Err(ApiError::bad_request(
            "name is required and must be 1 to 256 characters long",
        ));
    }
    if name_len > MAX_NAME_CHARS {
        return Err(ApiError::bad_request(format!(
            "name is {name_len} characters long; at most {MAX_NAME_CHARS} are allowed"
        )));
    }
    let description = input.description.unwrap_or_default();
    let desc_len = description.chars().count();
    if desc_len > MAX_DESCRIPTION_CHARS {
        return Err(ApiError::bad_request(format!(
            "description is {desc_len} characters long; at most {MAX_DESCRIPTION_CHARS} are allowed"
        )));
    }
    let target_tenant_ids = input.target_tenant_ids.unwrap_or_default();
    let mut seen = HashSet::with_capacity(target_tenant_ids.len());
    for t in &target_tenant_ids {
        if !world::is_guid(t) {
            return Err(ApiError::bad_request(format!(
                "targetTenantIds: {t:?} is not a tenant id (a GUID such as 00000000-0000-0000-0000-000000000000)"
            )));
        }
        if !seen.insert(t.to_ascii_lowercase()) {
            return Err(ApiError::bad_request(format!(
                "targetTenantIds: tenant {t} is listed more than once"
            )));
        }
    }
    let mut templates = Vec::new();
    let mut seen = HashSet::new();
    for (i, t) in input.templates.unwrap_or_default().into_iter().enumerate() {
        let id = t.id.unwrap_or_default();
        if id.is_empty() {
            return Err(ApiError::bad_request(format!(
                "templates[{i}]: id is required"
            )));
        }
        let content_type = t.content_type.unwrap_or_default();
        if !CONTENT_TYPES.contains(&content_type.as_str()) {
            return Err(ApiError::bad_request(format!(
                "templates[{i}]: type {content_type:?} is not a content type; expected one of {}",
                CONTENT_TYPES.join(", ")
            )));
        }
        if !seen.insert(id.clone()) {
            return Err(ApiError::bad_request(format!(
                "templates: content item {id} is listed more than once"
            )));
        }
        // A template sent without a name gets the name of the home tenant's content.
        let name = match t.name {
            Some(n) if !n.is_empty() => n,
            _ => world
                .content(&id)
                .map(|c| c.name.clone())
                .unwrap_or_default(),
        };
        templates.push(Template {
            id,
            content_type,
            name,
        });
    }
    let variables = input
        .variables
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k, v.unwrap_or_default()))
        .collect();
    let template_variables = input
        .template_variables
        .unwrap_or_default()
        .into_iter()
        .map(|(tenant, per_template)| {
            let per_template = per_template
                .unwrap_or_default()
                .into_iter()
                .map(|(tpl, v)| (tpl, v.unwrap_or_default()))
                .collect();
            (tenant, per_template)
        })
        .collect();
    Ok(Config {
        name,
        description,
        target_tenant_ids,
        templates,
        is_variable_per_template: input.is_variable_per_template.unwrap_or(false),
        variables,
        template_variables,
    })
}

/// A fresh opaque entity tag, quoted as HTTP wants it.
fn new_etag() -> String {
    format!("\"{:016x}\"", rand::random::<u64>())
}

/// Compares an `If-Match` value with an eTag, tolerating a missing pair of quotes or a weak
/// prefix on either side. `*` matches any existing assignment.
pub fn etag_matches(if_match: &str, e_tag: &str) -> bool {
    fn bare(s: &str) -> &str {
        let s = s.trim();
        let s = s.strip_prefix("W/").unwrap_or(s);
        s.strip_prefix('"')
            .and_then(|x| x.strip_suffix('"'))
            .unwrap_or(s)
    }
    let if_match = if_match.trim();
    if_match == "*"
        || if_match
            .split(',')
            .any(|candidate| bare(candidate) == bare(e_tag))
}

impl StoredAssignment {
    /// Rebuilds the units for the current templates and targets, keeping the existing unit of
    /// every pair that remains.
    fn rebuild_units(&mut self) {
        let mut old: HashMap<(String, String), StoredUnit> = std::mem::take(&mut self.units)
            .into_iter()
            .map(|u| {
                (
                    (
                        u.template_id.clone(),
                        u.target_tenant_id.to_ascii_lowercase(),
                    ),
                    u,
                )
            })
            .collect();
        let mut units = Vec::with_capacity(self.templates.len() * self.target_tenant_ids.len());
        for t in &self.templates {
            for tenant in &self.target_tenant_ids {
                let key = (t.id.clone(), tenant.to_ascii_lowercase());
                let unit = match old.remove(&key) {
                    Some(mut u) => {
                        u.target_tenant_id.clone_from(tenant);
                        u
                    }
                    None => StoredUnit {
                        id: uuid::Uuid::new_v4().to_string(),
                        template_id: t.id.clone(),
                        target_tenant_id: tenant.clone(),
                        run: None,
                        prev: None,
                    },
                };
                units.push(unit);
            }
        }
        self.units = units;
    }

    fn apply(&mut self, c: Config) {
        self.name = c.name;
        self.description = c.description;
        self.target_tenant_ids = c.target_tenant_ids;
        self.templates = c.templates;
        self.is_variable_per_template = c.is_variable_per_template;
        self.variables = c.variables;
        self.template_variables = c.template_variables;
        self.rebuild_units();
    }

    /// The variables that travel with `template_id` to `tenant_id`: the tenant's variables,
    /// overridden per template when `isVariablePerTemplate` is set.
    fn effective_variables(&self, template_id: &str, tenant_id: &str) -> Variables {
        let mut vars = self.variables.get(tenant_id).cloned().unwrap_or_default();
        if self.is_variable_per_template {
            if let Some(over) = self
                .template_variables
                .get(tenant_id)
                .and_then(|m| m.get(template_id))
            {
                for (k, v) in over {
                    vars.insert(k.clone(), v.clone());
                }
            }
        }
        vars
    }

    fn template(&self, id: &str) -> Option<&Template> {
        self.templates.iter().find(|t| t.id == id)
    }
}

/// What a sync of one unit will end with, decided from the world as it is now.
fn decide(world: &World, template: &Template, tenant_id: &str, vars: &Variables) -> &'static str {
    if !world.has_relationship(tenant_id) {
        return "NoRelationship";
    }
    let bad_group = vars
        .get(VAR_ENTRA_GROUPS)
        .is_some_and(|ids| ids.iter().any(|g| !world.has_entra_group(tenant_id, g)));
    let bad_device_group = vars
        .get(VAR_DEVICE_GROUPS)
        .is_some_and(|names| names.iter().any(|g| !world.has_device_group(tenant_id, g)));
    if bad_group || bad_device_group {
        return "ScopeNotFound";
    }
    match world.content(&template.id) {
        Some(c) if c.content_type == template.content_type => "None",
        _ => "SourceContentNotFound",
    }
}

/// All assignments, plus what persistence needs.
#[derive(Debug, Default)]
pub struct Store {
    assignments: HashMap<String, StoredAssignment>,
    /// Name → id, for uniqueness checks.
    names: HashMap<String, String>,
    next_seq: u64,
    /// Bumped by every write; persistence uses it to order snapshots.
    pub version: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SnapshotRef<'a> {
    format: u32,
    next_seq: u64,
    assignments: Vec<&'a StoredAssignment>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Snapshot {
    format: u32,
    next_seq: u64,
    assignments: Vec<StoredAssignment>,
}

const SNAPSHOT_FORMAT: u32 = 1;

impl Store {
    pub fn from_snapshot(bytes: &[u8]) -> Result<Self, String> {
        let snap: Snapshot = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        if snap.format != SNAPSHOT_FORMAT {
            return Err(format!(
                "state format {} is not supported (expected {SNAPSHOT_FORMAT})",
                snap.format
            ));
        }
        let mut store = Store {
            next_seq: snap.next_seq,
            ..Store::default()
        };
        for a in snap.assignments {
            if let Some(other) = store.names.insert(a.name.clone(), a.id.clone()) {
                return Err(format!(
                    "two assignments ({other} and {}) share the name {:?}",
                    a.id, a.name
                ));
            }
            store.next_seq = store.next_seq.max(a.seq.saturating_add(1));
            store.assignments.insert(a.id.clone(), a);
        }
        Ok(store)
    }

    pub fn snapshot(&self) -> Result<Vec<u8>, serde_json::Error> {
        let mut assignments: Vec<&StoredAssignment> = self.assignments.values().collect();
        assignments.sort_by_key(|a| a.seq);
        serde_json::to_vec(&SnapshotRef {
            format: SNAPSHOT_FORMAT,
            next_seq: self.next_seq,
            assignments,
        })
    }

    pub fn count(&self) -> usize {
        self.assignments.len()
    }

    pub fn get(&self, id: &str) -> Result<&StoredAssignment, ApiError> {
        self.assignments.get(id).ok_or_else(|| not_found(id))
    }

    pub fn list(&self) -> Vec<&StoredAssignment> {
        let mut all: Vec<&StoredAssignment> = self.assignments.values().collect();
        all.sort_by_key(|a| a.seq);
        all
    }

    fn check_name_free(&self, name: &str, own_id: Option<&str>) -> Result<(), ApiError> {
        match self.names.get(name) {
            Some(other) if Some(other.as_str()) != own_id => Err(ApiError::conflict(format!(
                "an assignment named {name:?} already exists (id {other})"
            ))),
            _ => Ok(()),
        }
    }

    pub fn create(
        &mut self,
        input: AssignmentInput,
        world: &World,
        actor: &str,
        now_ms: i64,
    ) -> Result<&StoredAssignment, ApiError> {
        let config = validate(input, world)?;
        self.check_name_free(&config.name, None)?;
        let id = uuid::Uuid::new_v4().to_string();
        let mut a = StoredAssignment {
            seq: self.next_seq,
            id: id.clone(),
            e_tag: new_etag(),
            name: String::new(),
            description: String::new(),
            created_on_ms: now_ms,
            created_by: actor.to_owned(),
            last_synced_on_ms: None,
            last_synced_by: None,
            target_tenant_ids: Vec::new(),
            templates: Vec::new(),
            is_variable_per_template: false,
            variables: BTreeMap::new(),
            template_variables: BTreeMap::new(),
            units: Vec::new(),
        };
        a.apply(config);
        self.next_seq += 1;
        self.version += 1;
        self.names.insert(a.name.clone(), id.clone());
        Ok(self.assignments.entry(id).or_insert(a))
    }

    pub fn update(
        &mut self,
        id: &str,
        if_match: &str,
        input: AssignmentInput,
        world: &World,
    ) -> Result<&StoredAssignment, ApiError> {
        let current = self.assignments.get(id).ok_or_else(|| not_found(id))?;
        if !etag_matches(if_match, &current.e_tag) {
            return Err(ApiError::precondition_failed(format!(
                "the assignment changed since it was read: If-Match {if_match} is not the current eTag; read it again and re-apply the change"
            )));
        }
        let config = validate(input, world)?;
        self.check_name_free(&config.name, Some(id))?;
        let a = self.assignments.get_mut(id).ok_or_else(|| not_found(id))?;
        if a.name != config.name {
            self.names.remove(&a.name);
            self.names.insert(config.name.clone(), id.to_owned());
        }
        a.apply(config);
        a.e_tag = new_etag();
        self.version += 1;
        Ok(a)
    }

    pub fn delete(&mut self, id: &str) -> Result<(), ApiError> {
        let a = self.assignments.remove(id).ok_or_else(|| not_found(id))?;
        self.names.remove(&a.name);
        self.version += 1;
        Ok(())
    }

    /// Removes every assignment (control endpoint).
    pub fn clear(&mut self) {
        self.assignments.clear();
        self.names.clear();
        self.version += 1;
    }

    /// Starts a sync of the units of `targets` (all targets when `None`); returns how many.
    pub fn sync(
        &mut self,
        id: &str,
        targets: Option<Vec<String>>,
        world: &World,
        actor: &str,
        now_ms: i64,
        delay_ms: u64,
    ) -> Result<usize, ApiError> {
        let a = self.assignments.get_mut(id).ok_or_else(|| not_found(id))?;
        let chosen: Option<HashSet<String>> = match targets {
            None => None,
            Some(list) => {
                if list.is_empty() {
                    return Err(ApiError::bad_request(
                        "targetTenantIds is empty; send {} to sync every target tenant",
                    ));
                }
                let own: HashSet<String> = a
                    .target_tenant_ids
                    .iter()
                    .map(|t| t.to_ascii_lowercase())
                    .collect();
                let mut set = HashSet::with_capacity(list.len());
                for t in list {
                    let lower = t.to_ascii_lowercase();
                    if !own.contains(&lower) {
                        return Err(ApiError::bad_request(format!(
                            "targetTenantIds: tenant {t} is not a target of assignment {id}"
                        )));
                    }
                    set.insert(lower);
                }
                Some(set)
            }
        };
        let count = match &chosen {
            None => a.units.len(),
            Some(set) => a
                .units
                .iter()
                .filter(|u| set.contains(&u.target_tenant_id.to_ascii_lowercase()))
                .count(),
        };
        if count > MAX_SYNC_UNITS {
            return Err(ApiError::limit_exceeded(format!(
                "this sync would start {count} sync units (content items x target tenants); at most {MAX_SYNC_UNITS} are allowed in one sync"
            )));
        }
        let mut runs = Vec::with_capacity(count);
        for (i, u) in a.units.iter().enumerate() {
            if let Some(set) = &chosen {
                if !set.contains(&u.target_tenant_id.to_ascii_lowercase()) {
                    continue;
                }
            }
            let Some(template) = a.template(&u.template_id) else {
                continue;
            };
            let vars = a.effective_variables(&u.template_id, &u.target_tenant_id);
            let error_type = decide(world, template, &u.target_tenant_id, &vars);
            let ok = error_type == "None";
            runs.push((
                i,
                SyncRun {
                    started_ms: now_ms,
                    delay_ms,
                    by: actor.to_owned(),
                    error_type: error_type.to_owned(),
                    target_content_id: ok
                        .then(|| world::target_content_id(&u.template_id, &u.target_tenant_id)),
                    synced_variables: if ok { vars } else { Variables::new() },
                },
            ));
        }
        for (i, run) in runs {
            if let Some(u) = a.units.get_mut(i) {
                // While the new run is under way, the last finished one stays visible.
                let finished_prev = u.run.take().filter(|r| r.finished_ms() <= now_ms);
                if finished_prev.is_some() {
                    u.prev = finished_prev;
                }
                u.run = Some(run);
            }
        }
        a.last_synced_on_ms = Some(now_ms);
        a.last_synced_by = Some(actor.to_owned());
        self.version += 1;
        Ok(count)
    }

    /// Another writer's change: adds `tenant` to the targets if absent, optionally sets the
    /// description, and issues a new eTag.
    pub fn foreign_write(
        &mut self,
        id: &str,
        tenant: &str,
        description: Option<String>,
    ) -> Result<&StoredAssignment, ApiError> {
        let a = self.assignments.get_mut(id).ok_or_else(|| not_found(id))?;
        if !a
            .target_tenant_ids
            .iter()
            .any(|t| t.eq_ignore_ascii_case(tenant))
        {
            a.target_tenant_ids.push(tenant.to_owned());
            a.rebuild_units();
        }
        if let Some(d) = description {
            a.description = d;
        }
        a.e_tag = new_etag();
        self.version += 1;
        Ok(a)
    }
}

fn not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("assignment {id} does not exist"))
}

// ---- how assignments are shown ----

fn rfc3339(ms: i64) -> String {
    let nanos = i128::from(ms) * 1_000_000;
    time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_owned())
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AssignmentView<'a> {
    id: &'a str,
    #[serde(rename = "eTag")]
    e_tag: &'a str,
    name: &'a str,
    description: &'a str,
    created_on: String,
    created_by: &'a str,
    last_synced_on: Option<String>,
    last_synced_by: Option<&'a str>,
    target_tenant_ids: &'a [String],
    target_tenant_ids_without_relationship: usize,
    templates: &'a [Template],
    is_variable_per_template: bool,
    variables: &'a BTreeMap<String, Variables>,
    template_variables: &'a BTreeMap<String, BTreeMap<String, Variables>>,
    sync_unit_statuses: Vec<UnitView<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UnitView<'a> {
    id: &'a str,
    assignment_id: &'a str,
    template_id: &'a str,
    template_name: &'a str,
    content_type: &'a str,
    source_tenant_id: &'static str,
    target_tenant_id: &'a str,
    target_content_id: Option<&'a str>,
    last_synced_on: Option<String>,
    last_synced_by: Option<&'a str>,
    sync_status: &'static str,
    error_type: &'a str,
    expected_variables: Variables,
    synced_variables: &'a Variables,
}

/// Where a unit stands at `now_ms`.
fn unit_view<'a>(a: &'a StoredAssignment, u: &'a StoredUnit, now_ms: i64) -> UnitView<'a> {
    let template = a.template(&u.template_id);
    let mut view = UnitView {
        id: &u.id,
        assignment_id: &a.id,
        template_id: &u.template_id,
        template_name: template.map(|t| t.name.as_str()).unwrap_or_default(),
        content_type: template
            .map(|t| t.content_type.as_str())
            .unwrap_or_default(),
        source_tenant_id: HOME_TENANT_ID,
        target_tenant_id: &u.target_tenant_id,
        target_content_id: None,
        last_synced_on: None,
        last_synced_by: None,
        sync_status: "NotSynced",
        error_type: "None",
        expected_variables: a.effective_variables(&u.template_id, &u.target_tenant_id),
        synced_variables: &NO_VARIABLES,
    };
    let show_final = |view: &mut UnitView<'a>, run: &'a SyncRun| {
        view.target_content_id = run.target_content_id.as_deref();
        view.last_synced_on = Some(rfc3339(run.finished_ms()));
        view.last_synced_by = Some(&run.by);
        view.synced_variables = &run.synced_variables;
    };
    if let Some(run) = &u.run {
        let elapsed = now_ms.saturating_sub(run.started_ms);
        let delay = i64::try_from(run.delay_ms).unwrap_or(i64::MAX);
        if elapsed < delay.saturating_mul(2) {
            view.sync_status = if elapsed < delay {
                "Pending"
            } else {
                "InProgress"
            };
            if let Some(prev) = &u.prev {
                show_final(&mut view, prev);
            }
        } else {
            show_final(&mut view, run);
            view.sync_status = if run.error_type == "None" {
                "Success"
            } else {
                "Failed"
            };
            view.error_type = &run.error_type;
        }
    }
    view
}

pub fn view<'a>(a: &'a StoredAssignment, world: &World, now_ms: i64) -> AssignmentView<'a> {
    AssignmentView {
        id: &a.id,
        e_tag: &a.e_tag,
        name: &a.name,
        description: &a.description,
        created_on: rfc3339(a.created_on_ms),
        created_by: &a.created_by,
        last_synced_on: a.last_synced_on_ms.map(rfc3339),
        last_synced_by: a.last_synced_by.as_deref(),
        target_tenant_ids: &a.target_tenant_ids,
        target_tenant_ids_without_relationship: a
            .target_tenant_ids
            .iter()
            .filter(|t| !world.has_relationship(t))
            .count(),
        templates: &a.templates,
        is_variable_per_template: a.is_variable_per_template,
        variables: &a.variables,
        template_variables: &a.template_variables,
        sync_unit_statuses: a.units.iter().map(|u| unit_view(a, u, now_ms)).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(json: serde_json::Value) -> AssignmentInput {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn etags_compare_loosely() {
        assert!(etag_matches("\"abc\"", "\"abc\""));
        assert!(etag_matches("abc", "\"abc\""));
        assert!(etag_matches("W/\"abc\"", "\"abc\""));
        assert!(etag_matches("*", "\"abc\""));
        assert!(etag_matches("\"x\", \"abc\"", "\"abc\""));
        assert!(!etag_matches("\"abd\"", "\"abc\""));
    }

    #[test]
    fn units_follow_templates_and_targets() {
        let world = World::demo(0);
        let mut store = Store::default();
        let id = store
            .create(
                input(serde_json::json!({
                    "name": "p",
                    "targetTenantIds": ["c0000000-0000-4000-8000-000000000001", "c0000000-0000-4000-8000-000000000002"],
                    "templates": [{"id": "1001", "type": "CustomDetectionRule"}]
                })),
                &world,
                "me",
                1_000,
            )
            .unwrap()
            .id
            .clone();
        let a = store.get(&id).unwrap();
        assert_eq!(a.units.len(), 2);
        assert_eq!(a.templates[0].name, "Suspicious PowerShell download cradle");
        let kept = a.units[1].id.clone();
        let etag = a.e_tag.clone();
        store.sync(&id, None, &world, "me", 2_000, 0).unwrap();
        let a = store
            .update(
                &id,
                &etag,
                input(serde_json::json!({
                    "name": "p",
                    "targetTenantIds": ["c0000000-0000-4000-8000-000000000002", "c0000000-0000-4000-8000-000000000003"],
                    "templates": [{"id": "1001", "type": "CustomDetectionRule", "name": "x"}]
                })),
                &world,
            )
            .unwrap();
        assert_eq!(a.units.len(), 2);
        assert_eq!(a.units[0].id, kept);
        assert!(a.units[0].run.is_some());
        assert!(a.units[1].run.is_none());
        let v = view(a, &world, 3_000);
        assert_eq!(v.sync_unit_statuses[0].sync_status, "Success");
        assert_eq!(v.sync_unit_statuses[0].template_name, "x");
        assert_eq!(v.sync_unit_statuses[1].sync_status, "NotSynced");
    }

    #[test]
    fn snapshot_round_trips() {
        let world = World::demo(0);
        let mut store = Store::default();
        store
            .create(input(serde_json::json!({"name": "a"})), &world, "me", 1)
            .unwrap();
        let bytes = store.snapshot().unwrap();
        let back = Store::from_snapshot(&bytes).unwrap();
        assert_eq!(back.count(), 1);
        assert!(back.names.contains_key("a"));
        assert!(Store::from_snapshot(b"{not json").is_err());
    }
}
