//! Decoding any answer body never panics, and tolerates what servers really send.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use serde::de::DeserializeOwned;
use serde_json::{json, Map, Value};
use terraform_provider_defender::api::types::{
    Assignment, AssignmentList, ContentType, ErrorEnvelope, ErrorType, ManagedTenant,
    NewAssignment, OverallStatus, SyncAccepted, SyncStatus, SyncUnitStatus, Template, TenantPicker,
    TokenErrorResponse, TokenResponse,
};
use terraform_provider_defender::api::{decode, error_from_answer, ApiError};

/// Field names of the wire types, so that random objects reach deep into the decoders.
const KEYS: &[&str] = &[
    "id",
    "eTag",
    "name",
    "description",
    "createdOn",
    "createdBy",
    "lastSyncedOn",
    "lastSyncedBy",
    "targetTenantIds",
    "targetTenantIdsWithoutRelationship",
    "templates",
    "type",
    "isVariablePerTemplate",
    "variables",
    "templateVariables",
    "syncUnitStatuses",
    "assignmentId",
    "templateId",
    "templateName",
    "contentType",
    "sourceTenantId",
    "targetTenantId",
    "targetContentId",
    "syncStatus",
    "errorType",
    "expectedVariables",
    "syncedVariables",
    "items",
    "syncUnits",
    "tenantInfoList",
    "responseTypes",
    "tenantId",
    "selected",
    "lostAccess",
    "tenantAadEnvironment",
    "addedOn",
    "error",
    "code",
    "message",
    "error_description",
    "token_type",
    "expires_in",
    "access_token",
];

/// Enum names the API uses, and near misses.
const WORDS: &[&str] = &[
    "Success",
    "Failed",
    "Pending",
    "InProgress",
    "NotSynced",
    "CustomDetectionRule",
    "EndpointSecurityPolicy",
    "Workbook",
    "None",
    "NoRelationship",
    "Unknown",
    "success",
    "",
    "3599",
    "Bearer",
];

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => proptest::sample::select(KEYS).prop_map(str::to_owned),
        1 => ".{0,12}",
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from), // NaN/inf become null
        proptest::sample::select(WORDS).prop_map(Value::from),
        ".{0,24}".prop_map(Value::String),
    ]
}

/// Any JSON value, up to 5 levels deep.
fn json_value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(5, 96, 8, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec((key(), inner), 0..8)
                .prop_map(|fields| Value::Object(fields.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// A valid assignment with some fields replaced by random values.
fn mangled_assignment() -> impl Strategy<Value = Value> {
    (
        proptest::collection::vec((key(), json_value()), 0..6),
        proptest::collection::vec((key(), json_value()), 0..4),
    )
        .prop_map(|(top, unit)| {
            let mut a = valid_assignment();
            for (k, v) in unit {
                a["syncUnitStatuses"][0][k] = v;
            }
            for (k, v) in top {
                a[k] = v;
            }
            a
        })
}

fn valid_assignment() -> Value {
    json!({
        "id": "a1", "eTag": "W/\"1\"", "name": "alpha", "description": "d",
        "createdOn": "2024-05-01T10:00:00Z", "createdBy": "admin@contoso.com",
        "lastSyncedOn": null, "lastSyncedBy": null,
        "targetTenantIds": ["t1"], "targetTenantIdsWithoutRelationship": 0,
        "templates": [{"id": "r1", "type": "CustomDetectionRule", "name": "Rule 1"}],
        "isVariablePerTemplate": false,
        "variables": {"t1": {"DeviceGroups": ["Servers"]}},
        "templateVariables": {"t1": {"r1": {"DeviceGroups": ["Servers"]}}},
        "syncUnitStatuses": [{
            "id": "u1", "assignmentId": "a1", "templateId": "r1", "templateName": "Rule 1",
            "contentType": "CustomDetectionRule", "sourceTenantId": "s", "targetTenantId": "t1",
            "targetContentId": "c9", "lastSyncedOn": null, "lastSyncedBy": null,
            "syncStatus": "Success", "errorType": "None",
            "expectedVariables": {}, "syncedVariables": {}
        }]
    })
}

fn try_decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let result = decode::<T>("decoding", 200, Some("rid"), body);
    if let Err(e) = &result {
        // The error's text is built from the body too: it must not panic either.
        let _ = (e.to_string(), format!("{e:?}"), e.hint(), e.is_ambiguous());
    }
    result
}

/// Feeds `body` to every decoder; none may panic.
fn decode_all(body: &[u8]) {
    let _ = try_decode::<Assignment>(body);
    let _ = try_decode::<AssignmentList>(body);
    let _ = try_decode::<NewAssignment>(body);
    let _ = try_decode::<SyncUnitStatus>(body);
    let _ = try_decode::<Template>(body);
    let _ = try_decode::<TenantPicker>(body);
    let _ = try_decode::<ManagedTenant>(body);
    let _ = try_decode::<SyncAccepted>(body);
    let _ = try_decode::<TokenResponse>(body);
    let _ = try_decode::<TokenErrorResponse>(body);
    let _ = try_decode::<ErrorEnvelope>(body);
    if let Ok(list) = try_decode::<AssignmentList>(body) {
        for a in &list.items {
            let _ = OverallStatus::roll_up(a.sync_unit_statuses.iter().map(|u| &u.sync_status));
        }
    }
    for status in [400, 404, 409, 412, 429, 500, 502, 503, 599] {
        let e = error_from_answer("doing it", status, Some("rid"), body);
        let _ = (e.to_string(), format!("{e:?}"), e.hint(), e.code());
        assert_eq!(e.status(), Some(status));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..512)) {
        decode_all(&body);
    }

    #[test]
    fn arbitrary_text_never_panics(body in ".{0,256}") {
        decode_all(body.as_bytes());
    }

    #[test]
    fn arbitrary_json_never_panics(value in json_value()) {
        decode_all(&serde_json::to_vec(&value).unwrap());
        decode_all(&serde_json::to_vec(&json!({"items": [value.clone()]})).unwrap());
        decode_all(&serde_json::to_vec(&json!({"error": value})).unwrap());
    }

    #[test]
    fn mangled_assignments_never_panic_and_round_trip(value in mangled_assignment()) {
        let body = serde_json::to_vec(&value).unwrap();
        decode_all(&body);
        if let Ok(a) = try_decode::<Assignment>(&body) {
            // What decodes re-encodes to something that decodes to the same.
            let again = serde_json::to_vec(&a).unwrap();
            prop_assert_eq!(try_decode::<Assignment>(&again).unwrap(), a);
        }
    }

    #[test]
    fn truncated_valid_bodies_are_errors_not_panics(cut in 0usize..2000) {
        let body = serde_json::to_vec(&json!({"items": [valid_assignment()]})).unwrap();
        let cut = cut.min(body.len());
        let result = try_decode::<AssignmentList>(&body[..cut]);
        prop_assert_eq!(result.is_ok(), cut == body.len());
    }
}

#[test]
fn unknown_fields_are_ignored() {
    let mut a = valid_assignment();
    a["someNewField"] = json!({"nested": [1, 2, 3]});
    a["syncUnitStatuses"][0]["retryCount"] = json!(3);
    a["templates"][0]["version"] = json!("2");
    let list = json!({"items": [a], "nextLink": null, "@odata.count": 1});
    let decoded: AssignmentList = try_decode(&serde_json::to_vec(&list).unwrap()).unwrap();
    assert_eq!(decoded.items[0].name, "alpha");
    assert_eq!(decoded.items[0].templates[0].id, "r1");
}

#[test]
fn unknown_enum_values_decode_as_other() {
    let mut a = valid_assignment();
    a["templates"][0]["type"] = json!("DataConnector");
    a["syncUnitStatuses"][0]["syncStatus"] = json!("Queued");
    a["syncUnitStatuses"][0]["errorType"] = json!(7);
    let decoded: Assignment = try_decode(&serde_json::to_vec(&a).unwrap()).unwrap();
    assert_eq!(
        decoded.templates[0].content_type,
        ContentType::Other("DataConnector".into())
    );
    let unit = &decoded.sync_unit_statuses[0];
    assert_eq!(unit.sync_status, SyncStatus::Other("Queued".into()));
    assert_eq!(unit.error_type, ErrorType::Other("7".into()));
    // And they go back out as they came in.
    let out = serde_json::to_value(&decoded).unwrap();
    assert_eq!(out["templates"][0]["type"], "DataConnector");
    assert_eq!(out["syncUnitStatuses"][0]["syncStatus"], "Queued");
}

#[test]
fn nulls_and_missing_fields_take_defaults() {
    let a: Assignment = try_decode(
        br#"{"id":"a1","eTag":null,"name":"alpha","description":null,"templates":null,
             "targetTenantIds":null,"variables":null,"syncUnitStatuses":[{"syncStatus":null}]}"#,
    )
    .unwrap();
    assert_eq!(a.e_tag, "");
    assert!(a.templates.is_empty() && a.target_tenant_ids.is_empty());
    assert_eq!(a.sync_unit_statuses[0].sync_status, SyncStatus::NotSynced);
    let empty: Assignment = try_decode(b"{}").unwrap();
    assert_eq!(empty, Assignment::default());
}

#[test]
fn token_expiry_as_number_or_string() {
    let n: TokenResponse =
        try_decode(br#"{"token_type":"Bearer","expires_in":3599,"access_token":"x"}"#).unwrap();
    let s: TokenResponse =
        try_decode(br#"{"token_type":"Bearer","expires_in":"3599","access_token":"x"}"#).unwrap();
    assert_eq!(n.expires_in, 3599);
    assert_eq!(s.expires_in, 3599);
    assert!(try_decode::<TokenResponse>(br#"{"expires_in":-5}"#).is_err());
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let deep = "[".repeat(100_000);
    assert!(try_decode::<Assignment>(deep.as_bytes()).is_err());
    let deep_obj = r#"{"items":"#.repeat(10_000);
    assert!(try_decode::<AssignmentList>(deep_obj.as_bytes()).is_err());
}
