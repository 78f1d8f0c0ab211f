//! Wire types of the multi-tenant distribution API (`../shared/design/api-contract.md`).
//!
//! Every response type ignores unknown fields, and every field that the contract does not
//! promise on every object is optional or defaulted, so a server that adds or omits fields
//! never breaks decoding.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

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
    pub id: String,
    #[serde(rename = "eTag")]
    pub e_tag: String,
    pub name: String,
    pub description: String,
    pub created_on: Option<String>,
    pub created_by: Option<String>,
    pub last_synced_on: Option<String>,
    pub last_synced_by: Option<String>,
    pub target_tenant_ids: Vec<String>,
    pub target_tenant_ids_without_relationship: u64,
    pub templates: Vec<Template>,
    pub is_variable_per_template: bool,
    /// tenant id → variable → values.
    pub variables: BTreeMap<String, Variables>,
    /// tenant id → template id → variable → values.
    pub template_variables: BTreeMap<String, BTreeMap<String, Variables>>,
    pub sync_unit_statuses: Vec<SyncUnitStatus>,
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
    pub id: String,
    #[serde(rename = "type")]
    pub content_type: ContentType,
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
    pub id: String,
    pub assignment_id: String,
    pub template_id: String,
    pub template_name: String,
    pub content_type: ContentType,
    pub source_tenant_id: String,
    pub target_tenant_id: String,
    pub target_content_id: Option<String>,
    pub last_synced_on: Option<String>,
    pub last_synced_by: Option<String>,
    pub sync_status: SyncStatus,
    pub error_type: ErrorType,
    pub expected_variables: Variables,
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
    pub assignment_id: String,
    pub sync_units: u64,
}

/// `GET /mtoapi/tenants/TenantPicker`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TenantPicker {
    pub tenant_info_list: Vec<ManagedTenant>,
    pub response_types: BTreeMap<String, String>,
}

/// A tenant the caller can manage.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ManagedTenant {
    pub tenant_id: String,
    pub name: String,
    pub selected: bool,
    pub lost_access: bool,
    pub tenant_aad_environment: i64,
    pub added_on: Option<String>,
}

/// The API's error body: `{"error":{"code":"…","message":"…"}}`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ErrorEnvelope {
    pub error: ErrorBody,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
}

/// The authority's token answer.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default)]
pub struct TokenResponse {
    pub token_type: String,
    pub expires_in: u64,
    pub access_token: String,
}

/// The authority's error answer: `{"error":"invalid_client","error_description":"…"}`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default)]
pub struct TokenErrorResponse {
    pub error: String,
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

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let s = Option::<String>::deserialize(deserializer)?;
                Ok(s.map(|s| Self::from_api_str(&s)).unwrap_or_default())
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
