//! The fixed demo world: the home tenant, its content, and the customer tenants it manages.
//!
//! Every id here is deterministic so that documentation, examples and tests can name them.
//! `emulator/README.md` lists them all; keep the two in step.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

/// The MSP's own tenant: the source of all content, and the tenant tokens are issued for.
pub const HOME_TENANT_ID: &str = "c0000000-0000-4000-8000-000000000000";
/// Display name of the home tenant.
pub const HOME_TENANT_NAME: &str = "Contoso MSP (home)";
/// The customer tenant whose relationship is gone (`lostAccess: true`).
pub const LOST_TENANT_ID: &str = "c0000000-0000-4000-8000-000000000004";
/// The tenant a "foreign writer" adds to an assignment unless told otherwise. It is a real
/// customer of the demo world (Litware), so syncs to it succeed.
pub const DEFAULT_FOREIGN_TENANT_ID: &str = "f0f0f0f0-0000-4000-8000-000000000001";
/// Upper bound of `--extra-tenants`, to keep the id scheme within 12 decimal digits and memory sane.
pub const MAX_EXTRA_TENANTS: u64 = 1_000_000;

/// Content types the API knows.
pub const CONTENT_TYPES: [&str; 5] = [
    "CustomDetectionRule",
    "EndpointSecurityPolicy",
    "AnalyticsRule",
    "AutomationRule",
    "Workbook",
];

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EntraGroup {
    pub id: String,
    pub display_name: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Tenant {
    pub tenant_id: String,
    pub name: String,
    pub lost_access: bool,
    pub added_on: String,
    pub is_home: bool,
    pub entra_groups: Vec<EntraGroup>,
    pub device_groups: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Content {
    pub id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub content_type: String,
}

/// Lookup structures for one tenant, used on every sync.
#[derive(Debug, Default)]
struct TenantIndex {
    /// Index into `World::tenants`.
    pos: usize,
    entra_groups: HashSet<String>,
    device_groups: HashSet<String>,
}

#[derive(Debug)]
pub struct World {
    /// The home tenant first, then the demo customers, then the generated ones.
    pub tenants: Vec<Tenant>,
    pub content: Vec<Content>,
    /// Lower-cased tenant id → index data.
    by_tenant: HashMap<String, TenantIndex>,
    /// Content id → index into `content`.
    by_content: HashMap<String, usize>,
}

/// The id of generated tenant `i` (1-based) for `--extra-tenants`.
pub fn extra_tenant_id(i: u64) -> String {
    format!("00000000-0000-4000-8000-{i:012}")
}

/// The id of the one Entra group of generated tenant `i` (1-based).
pub fn extra_tenant_group_id(i: u64) -> String {
    format!("e0000000-0000-4000-8000-{i:012}")
}

/// Device group of every generated tenant.
pub const EXTRA_TENANT_DEVICE_GROUP: &str = "All-Devices";
/// Entra group display name of every generated tenant.
pub const EXTRA_TENANT_GROUP_NAME: &str = "All Users";

fn group(tenant_digit: &str, n: u32, name: &str) -> EntraGroup {
    EntraGroup {
        id: format!("e000000{tenant_digit}-0000-4000-8000-{n:012}"),
        display_name: name.to_owned(),
    }
}

fn customer(
    id: &str,
    name: &str,
    lost_access: bool,
    added_on: &str,
    groups: Vec<EntraGroup>,
    device_groups: [&str; 2],
) -> Tenant {
    Tenant {
        tenant_id: id.to_owned(),
        name: name.to_owned(),
        lost_access,
        added_on: added_on.to_owned(),
        is_home: false,
        entra_groups: groups,
        device_groups: device_groups.iter().map(|s| (*s).to_owned()).collect(),
    }
}

fn content(id: &str, name: &str, content_type: &str) -> Content {
    Content {
        id: id.to_owned(),
        name: name.to_owned(),
        content_type: content_type.to_owned(),
    }
}

impl World {
    /// The demo world plus `extra_tenants` generated customers.
    pub fn demo(extra_tenants: u64) -> Self {
        let mut tenants = vec![
            Tenant {
                tenant_id: HOME_TENANT_ID.to_owned(),
                name: HOME_TENANT_NAME.to_owned(),
                lost_access: false,
                added_on: "2024-01-08T09:00:00Z".to_owned(),
                is_home: true,
                entra_groups: Vec::new(),
                device_groups: Vec::new(),
            },
            customer(
                "c0000000-0000-4000-8000-000000000001",
                "Fabrikam, Inc.",
                false,
                "2024-01-15T09:30:00Z",
                vec![
                    group("1", 1, "SOC Analysts"),
                    group("1", 2, "Finance Users"),
                    group("1", 3, "Privileged Admins"),
                ],
                ["Tier0-Servers", "Workstations"],
            ),
            customer(
                "c0000000-0000-4000-8000-000000000002",
                "Northwind Traders",
                false,
                "2024-02-03T14:00:00Z",
                vec![
                    group("2", 1, "All Employees"),
                    group("2", 2, "Tier0 Admins"),
                ],
                ["Tier0-Servers", "Workstations"],
            ),
            customer(
                "c0000000-0000-4000-8000-000000000003",
                "Tailspin Toys",
                false,
                "2024-03-11T08:15:00Z",
                vec![
                    group("3", 1, "Store Managers"),
                    group("3", 2, "IT Operations"),
                    group("3", 3, "Contractors"),
                ],
                ["Store-POS", "Workstations"],
            ),
            customer(
                LOST_TENANT_ID,
                "Woodgrove Bank",
                true,
                "2024-04-22T16:45:00Z",
                vec![group("4", 1, "Traders"), group("4", 2, "Branch Staff")],
                ["Trading-Floor", "Workstations"],
            ),
            customer(
                DEFAULT_FOREIGN_TENANT_ID,
                "Litware, Inc.",
                false,
                "2024-05-06T10:00:00Z",
                vec![group("f", 1, "Engineering"), group("f", 2, "Sales")],
                ["Build-Servers", "Workstations"],
            ),
        ];
        let extra = extra_tenants.min(MAX_EXTRA_TENANTS);
        tenants.reserve(extra as usize);
        for i in 1..=extra {
            tenants.push(Tenant {
                tenant_id: extra_tenant_id(i),
                name: format!("Generated Tenant {i}"),
                lost_access: false,
                added_on: "2025-01-01T00:00:00Z".to_owned(),
                is_home: false,
                entra_groups: vec![EntraGroup {
                    id: extra_tenant_group_id(i),
                    display_name: EXTRA_TENANT_GROUP_NAME.to_owned(),
                }],
                device_groups: vec![EXTRA_TENANT_DEVICE_GROUP.to_owned()],
            });
        }
        let content = vec![
            content(
                "1001",
                "Suspicious PowerShell download cradle",
                "CustomDetectionRule",
            ),
            content(
                "1002",
                "LSASS memory access by unsigned process",
                "CustomDetectionRule",
            ),
            content(
                "1003",
                "Mass file rename (possible ransomware)",
                "CustomDetectionRule",
            ),
            content(
                "5ec00000-0000-4000-8000-000000000001",
                "Antivirus baseline (MSP standard)",
                "EndpointSecurityPolicy",
            ),
            content(
                "5ec00000-0000-4000-8000-000000000002",
                "Attack surface reduction rules",
                "EndpointSecurityPolicy",
            ),
            content(
                "5ec00000-0000-4000-8000-000000000003",
                "Windows Firewall baseline",
                "EndpointSecurityPolicy",
            ),
        ];
        Self::index(tenants, content)
    }

    fn index(tenants: Vec<Tenant>, content: Vec<Content>) -> Self {
        let by_tenant = tenants
            .iter()
            .enumerate()
            .map(|(pos, t)| {
                (
                    t.tenant_id.to_ascii_lowercase(),
                    TenantIndex {
                        pos,
                        entra_groups: t
                            .entra_groups
                            .iter()
                            .map(|g| g.id.to_ascii_lowercase())
                            .collect(),
                        device_groups: t.device_groups.iter().map(|g| g.to_lowercase()).collect(),
                    },
                )
            })
            .collect();
        let by_content = content
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id.clone(), i))
            .collect();
        Self {
            tenants,
            content,
            by_tenant,
            by_content,
        }
    }

    pub fn tenant(&self, id: &str) -> Option<&Tenant> {
        self.by_tenant
            .get(&id.to_ascii_lowercase())
            .and_then(|ix| self.tenants.get(ix.pos))
    }

    /// True when content can reach `id`: the tenant is known and its relationship stands.
    pub fn has_relationship(&self, id: &str) -> bool {
        self.tenant(id).is_some_and(|t| !t.lost_access)
    }

    pub fn has_entra_group(&self, tenant_id: &str, group_id: &str) -> bool {
        self.by_tenant
            .get(&tenant_id.to_ascii_lowercase())
            .is_some_and(|ix| ix.entra_groups.contains(&group_id.to_ascii_lowercase()))
    }

    pub fn has_device_group(&self, tenant_id: &str, name: &str) -> bool {
        self.by_tenant
            .get(&tenant_id.to_ascii_lowercase())
            .is_some_and(|ix| ix.device_groups.contains(&name.to_lowercase()))
    }

    pub fn content(&self, id: &str) -> Option<&Content> {
        self.by_content.get(id).and_then(|&i| self.content.get(i))
    }
}

/// The id of the copy of `template_id` in `tenant_id`: the same pair always gives the same id,
/// and the shape (a UUID with version nibble 8) never matches a source id of the demo world.
pub fn target_content_id(template_id: &str, tenant_id: &str) -> String {
    fn fnv1a(seed: u64, parts: &[&str]) -> u64 {
        let mut h = seed;
        for part in parts {
            for b in part.bytes().chain(std::iter::once(0xff)) {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0000_0100_0000_01b3);
            }
        }
        h
    }
    let tenant = tenant_id.to_ascii_lowercase();
    let parts = [template_id, tenant.as_str()];
    let hi = fnv1a(0xcbf2_9ce4_8422_2325, &parts);
    let lo = fnv1a(0x6c62_272e_07bb_0142, &parts);
    format!(
        "{:08x}-{:04x}-8{:03x}-{:04x}-{:012x}",
        hi >> 32,
        (hi >> 16) & 0xffff,
        hi & 0x0fff,
        0x8000 | (lo >> 48 & 0x3fff),
        lo & 0xffff_ffff_ffff
    )
}

/// True for a canonical hyphenated GUID (8-4-4-4-12 hex digits).
pub fn is_guid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_guids_and_unique() {
        let w = World::demo(3);
        let mut seen = HashSet::new();
        for t in &w.tenants {
            assert!(is_guid(&t.tenant_id), "{}", t.tenant_id);
            assert!(seen.insert(t.tenant_id.clone()));
            for g in &t.entra_groups {
                assert!(is_guid(&g.id), "{}", g.id);
                assert!(seen.insert(g.id.clone()));
            }
        }
        assert_eq!(w.tenants.iter().filter(|t| t.lost_access).count(), 1);
        assert_eq!(
            w.tenant("00000000-0000-4000-8000-000000000003")
                .map(|t| t.name.as_str()),
            Some("Generated Tenant 3")
        );
        assert!(w.has_entra_group(
            "00000000-0000-4000-8000-000000000002",
            "e0000000-0000-4000-8000-000000000002"
        ));
        assert!(w.has_device_group("C0000000-0000-4000-8000-000000000001", "tier0-servers"));
        assert!(!w.has_device_group("c0000000-0000-4000-8000-000000000003", "Tier0-Servers"));
    }

    #[test]
    fn target_content_ids_are_stable_and_distinct() {
        let a = target_content_id("1001", HOME_TENANT_ID);
        assert_eq!(a, target_content_id("1001", HOME_TENANT_ID));
        assert_ne!(a, target_content_id("1002", HOME_TENANT_ID));
        assert_ne!(a, target_content_id("1001", LOST_TENANT_ID));
        assert!(is_guid(&a), "{a}");
        assert_eq!(&a[14..15], "8");
    }

    #[test]
    fn guid_check() {
        assert!(is_guid("c0000000-0000-4000-8000-000000000001"));
        assert!(is_guid("C0000000-0000-4000-8000-00000000000A"));
        assert!(!is_guid("c0000000000040008000000000000001"));
        assert!(!is_guid("not-a-guid"));
        assert!(!is_guid("{c0000000-0000-4000-8000-000000000001}"));
    }
}
