//! Wire types of the multi-tenant distribution API (`../shared/design/api-contract.md`).
//!
//! Every response type ignores unknown fields, defaults missing ones, and reads `null` as the
//! field's default, so a server that adds, omits or nulls fields never breaks decoding. Enums
//! are open: a value this client does not know decodes as `Other` instead of failing.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};

/// Per-tenant variables: variable name → values.
pub type Variables = BTreeMap<String, Vec<String>>;

/// The API variable that holds a tenant's Entra group object ids (scope of endpoint security policies).
pub const VAR_ENTRA_GROUPS: &str = "EntraGroups";
/// The API variable that holds a tenant's Defender device group names (scope of detection rules).
pub const VAR_DEVICE_GROUPS: &str = "DeviceGroups";

/// A distribution profile.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Assignment {
    #[serde(deserialize_with = "null_as_default")]
    pub id: String,
    #[serde(rename = "eTag")]
    #[serde(deserialize_with = "null_as_default")]
    pub e_tag: String,
    #[serde(deserialize_with = "null_as_default")]
    pub name: String,
    #[serde(deserialize_with = "null_as_default")]
    pub description: String,
    pub created_on: Option<String>,
    pub created_by: Option<String>,
    pub last_synced_on: Option<String>,
    pub last_synced_by: Option<String>,
    #[serde(deserialize_with = "null_as_default")]
    pub target_tenant_ids: Vec<String>,
    #[serde(deserialize_with = "null_as_default")]
    pub target_tenant_ids_without_relationship: u64,
    #[serde(deserialize_with = "null_as_default")]
    pub templates: Vec<Template>,
    #[serde(deserialize_with = "null_as_default")]
    pub is_variable_per_template: bool,
    /// tenant id → variable → values.
    #[serde(deserialize_with = "null_as_default")]
    pub variables: BTreeMap<String, Variables>,
    /// tenant id → template id → variable → values.
    #[serde(deserialize_with = "null_as_default")]
    pub template_variables: BTreeMap<String, BTreeMap<String, Variables>>,
    #[serde(deserialize_with = "null_as_default")]
    pub sync_unit_statuses: Vec<SyncUnitStatus>,
    /// Fields this client does not know. Kept so that a whole-document `PUT` sends them back
    /// unchanged instead of resetting them.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

/// The body of `POST /mtoapi/assignments`: an assignment without server-owned fields.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewAssignment {
    pub name: String,
    pub description: String,
    pub target_tenant_ids: Vec<String>,
    pub templates: Vec<Template>,
    pub is_variable_per_template: bool,
    pub variables: BTreeMap<String, Variables>,
    pub template_variables: BTreeMap<String, BTreeMap<String, Variables>>,
}

/// One content item of a profile: an object of the home tenant.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Template {
    #[serde(deserialize_with = "null_as_default")]
    pub id: String,
    #[serde(rename = "type")]
    #[serde(deserialize_with = "null_as_default")]
    pub content_type: ContentType,
    #[serde(deserialize_with = "null_as_default")]
    pub name: String,
}

/// Kind of content. Unknown values decode as [`ContentType::Other`] instead of failing.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum ContentType {
    #[default]
    CustomDetectionRule,
    EndpointSecurityPolicy,
    AnalyticsRule,
    AutomationRule,
    Workbook,
    Other(String),
}

/// One content item × one target tenant.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SyncUnitStatus {
    #[serde(deserialize_with = "null_as_default")]
    pub id: String,
    #[serde(deserialize_with = "null_as_default")]
    pub assignment_id: String,
    #[serde(deserialize_with = "null_as_default")]
    pub template_id: String,
    #[serde(deserialize_with = "null_as_default")]
    pub template_name: String,
    #[serde(deserialize_with = "null_as_default")]
    pub content_type: ContentType,
    #[serde(deserialize_with = "null_as_default")]
    pub source_tenant_id: String,
    #[serde(deserialize_with = "null_as_default")]
    pub target_tenant_id: String,
    pub target_content_id: Option<String>,
    pub last_synced_on: Option<String>,
    pub last_synced_by: Option<String>,
    #[serde(deserialize_with = "null_as_default")]
    pub sync_status: SyncStatus,
    #[serde(deserialize_with = "null_as_default")]
    pub error_type: ErrorType,
    #[serde(deserialize_with = "null_as_default")]
    pub expected_variables: Variables,
    #[serde(deserialize_with = "null_as_default")]
    pub synced_variables: Variables,
}

/// Status of one sync unit. Unknown values decode as [`SyncStatus::Other`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum SyncStatus {
    #[default]
    NotSynced,
    Pending,
    InProgress,
    Success,
    Failed,
    Other(String),
}

/// Why a sync unit failed. Unknown values decode as [`ErrorType::Other`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum ErrorType {
    #[default]
    None,
    NoRelationship,
    MissingPermissions,
    ScopeNotFound,
    SourceContentNotFound,
    Unknown,
    Other(String),
}

/// `GET /mtoapi/assignments`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AssignmentList {
    #[serde(deserialize_with = "null_as_default")]
    pub items: Vec<Assignment>,
}

/// `POST /mtoapi/assignments/{id}/sync` body.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_tenant_ids: Option<Vec<String>>,
}

/// `202` answer to a sync request.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SyncAccepted {
    #[serde(deserialize_with = "null_as_default")]
    pub assignment_id: String,
    #[serde(deserialize_with = "null_as_default")]
    pub sync_units: u64,
}

/// `GET /mtoapi/tenants/TenantPicker`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TenantPicker {
    #[serde(deserialize_with = "null_as_default")]
    pub tenant_info_list: Vec<ManagedTenant>,
    #[serde(deserialize_with = "null_as_default")]
    pub response_types: BTreeMap<String, String>,
}

/// A tenant the caller can manage.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ManagedTenant {
    #[serde(deserialize_with = "null_as_default")]
    pub tenant_id: String,
    #[serde(deserialize_with = "null_as_default")]
    pub name: String,
    #[serde(deserialize_with = "null_as_default")]
    pub selected: bool,
    #[serde(deserialize_with = "null_as_default")]
    pub lost_access: bool,
    #[serde(deserialize_with = "null_as_default")]
    pub tenant_aad_environment: i64,
    pub added_on: Option<String>,
}

/// The API's error body: `{"error":{"code":"…","message":"…"}}`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ErrorEnvelope {
    #[serde(deserialize_with = "null_as_default")]
    pub error: ErrorBody,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ErrorBody {
    #[serde(deserialize_with = "null_as_default")]
    pub code: String,
    #[serde(deserialize_with = "null_as_default")]
    pub message: String,
}

/// The authority's token answer.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default)]
pub struct TokenResponse {
    #[serde(deserialize_with = "null_as_default")]
    pub token_type: String,
    /// Seconds; some authorities send it as a string (`"3599"`), which is accepted too.
    #[serde(deserialize_with = "seconds")]
    pub expires_in: u64,
    #[serde(deserialize_with = "null_as_default")]
    pub access_token: String,
}

/// A field that may be `null` on the wire reads as its default.
fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// A non-negative number of seconds, as a JSON number or a string of digits; `null` is 0.
fn seconds<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    use serde::de::Error;
    match serde_json::Value::deserialize(deserializer)? {
        serde_json::Value::Null => Ok(0),
        serde_json::Value::Number(n) => n
            .as_u64()
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.is_finite() && *f >= 0.0)
                    .map(|f| f.min(u64::MAX as f64) as u64)
            })
            .ok_or_else(|| D::Error::custom("expected a non-negative number of seconds")),
        serde_json::Value::String(s) => s
            .trim()
            .parse::<u64>()
            .map_err(|_| D::Error::custom("expected a number of seconds")),
        _ => Err(D::Error::custom("expected a number of seconds")),
    }
}

/// The authority's error answer: `{"error":"invalid_client","error_description":"…"}`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default)]
pub struct TokenErrorResponse {
    #[serde(deserialize_with = "null_as_default")]
    pub error: String,
    #[serde(deserialize_with = "null_as_default")]
    pub error_description: String,
}

/// Implements string (de)serialisation for an enum with known PascalCase names and a
/// catch-all `Other(String)` variant, so unknown server values never fail decoding.
macro_rules! open_string_enum {
    ($ty:ident { $($variant:ident),+ $(,)? }) => {
        impl $ty {
            /// The API's name of the value.
            pub fn as_api_str(&self) -> &str {
                match self {
                    $(Self::$variant => stringify!($variant),)+
                    Self::Other(s) => s.as_str(),
                }
            }

            /// Parses the API's name; anything unknown becomes `Other`.
            pub fn from_api_str(s: &str) -> Self {
                match s {
                    $(stringify!($variant) => Self::$variant,)+
                    other => Self::Other(other.to_owned()),
                }
            }
        }

        impl Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_api_str())
            }
        }

        /// Never fails on a well-formed value: `null` is the default, a known name its
        /// variant, and anything else (an unknown name, a number, …) `Other` with its JSON text.
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                Ok(match serde_json::Value::deserialize(deserializer)? {
                    serde_json::Value::Null => Self::default(),
                    serde_json::Value::String(s) => Self::from_api_str(&s),
                    other => Self::Other(other.to_string()),
                })
            }
        }
    };
}

open_string_enum!(ContentType {
    CustomDetectionRule,
    EndpointSecurityPolicy,
    AnalyticsRule,
    AutomationRule,
    Workbook,
});
open_string_enum!(SyncStatus {
    NotSynced,
    Pending,
    InProgress,
    Success,
    Failed,
});
open_string_enum!(ErrorType {
    None,
    NoRelationship,
    MissingPermissions,
    ScopeNotFound,
    SourceContentNotFound,
    Unknown,
});

/// A profile's overall status, derived from its units by the contract's roll-up rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverallStatus {
    NotSynced,
    InProgress,
    Success,
    PartiallySuccessful,
    Failure,
}

impl OverallStatus {
    /// The contract's rule: no units or none synced yet → `NotSynced`; any unit `Pending` or
    /// `InProgress` → `InProgress`; all `Success` → `Success`; none `Success` → `Failure`;
    /// else `PartiallySuccessful`.
    pub fn roll_up<'a>(statuses: impl IntoIterator<Item = &'a SyncStatus>) -> Self {
        let (mut total, mut not_synced, mut running, mut success) =
            (0usize, 0usize, 0usize, 0usize);
        for s in statuses {
            total += 1;
            match s {
                SyncStatus::NotSynced => not_synced += 1,
                SyncStatus::Pending | SyncStatus::InProgress => running += 1,
                SyncStatus::Success => success += 1,
                SyncStatus::Failed | SyncStatus::Other(_) => {}
            }
        }
        if total == 0 || not_synced == total {
            Self::NotSynced
        } else if running > 0 {
            Self::InProgress
        } else if success == total {
            Self::Success
        } else if success == 0 {
            Self::Failure
        } else {
            Self::PartiallySuccessful
        }
    }

    /// The provider's snake_case name.
    pub fn as_snake(&self) -> &'static str {
        match self {
            Self::NotSynced => "not_synced",
            Self::InProgress => "in_progress",
            Self::Success => "success",
            Self::PartiallySuccessful => "partially_successful",
            Self::Failure => "failure",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roll_up_follows_the_contract() {
        use SyncStatus::*;
        let r = |v: &[SyncStatus]| OverallStatus::roll_up(v.iter());
        assert_eq!(r(&[]), OverallStatus::NotSynced);
        assert_eq!(r(&[NotSynced, NotSynced]), OverallStatus::NotSynced);
        assert_eq!(r(&[Success, Pending]), OverallStatus::InProgress);
        assert_eq!(r(&[Failed, InProgress]), OverallStatus::InProgress);
        assert_eq!(r(&[Success, Success]), OverallStatus::Success);
        assert_eq!(r(&[Failed, Failed]), OverallStatus::Failure);
        assert_eq!(r(&[Success, Failed]), OverallStatus::PartiallySuccessful);
        assert_eq!(r(&[Success, NotSynced]), OverallStatus::PartiallySuccessful);
    }

    #[test]
    fn unknown_assignment_fields_survive_a_round_trip() {
        let doc: Assignment = serde_json::from_str(
            r#"{"id":"a","name":"n","futureSetting":{"x":[1,2]},"owner":"ops"}"#,
        )
        .unwrap();
        assert_eq!(doc.extra["owner"], "ops");
        let back: serde_json::Value = serde_json::to_value(&doc).unwrap();
        assert_eq!(back["futureSetting"]["x"][1], 2);
        assert_eq!(back["owner"], "ops");
        assert_eq!(back["name"], "n");
    }
}
