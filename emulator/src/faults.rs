//! Injected faults and added latency, set by flags and replaced at run time.

use serde::{Deserialize, Serialize};

use crate::world::DEFAULT_FOREIGN_TENANT_ID;

/// The fault configuration. Field names are the flag names in snake case; a field left out of
/// a `POST /_emulator/faults` body takes its default (off), not its previous value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaultConfig {
    /// Sleep this long before handling each API or token request.
    pub latency_ms: u64,
    /// Lifetime of tokens issued from now on.
    pub token_lifetime_secs: u64,
    /// Every K-th API request answers 429 (0 = never).
    pub fault_429_every: u64,
    /// Every K-th API request answers 503 (0 = never).
    pub fault_503_every: u64,
    /// `Retry-After` of those answers, in seconds.
    pub fault_retry_after_secs: u64,
    /// Every K-th API GET answers 200 with an HTML gateway page.
    pub fault_garbage_get_every: u64,
    /// Every K-th API request is carried out, then its connection is cut mid-answer.
    pub fault_drop_every: u64,
    /// Before every K-th API PUT, a foreign writer changes the assignment first.
    pub fault_foreign_write_every: u64,
    /// The tenant the foreign writer adds.
    pub foreign_tenant_id: String,
}

impl Default for FaultConfig {
    fn default() -> Self {
        Self {
            latency_ms: 0,
            token_lifetime_secs: 3599,
            fault_429_every: 0,
            fault_503_every: 0,
            fault_retry_after_secs: 1,
            fault_garbage_get_every: 0,
            fault_drop_every: 0,
            fault_foreign_write_every: 0,
            foreign_tenant_id: DEFAULT_FOREIGN_TENANT_ID.to_owned(),
        }
    }
}

/// How many requests each fault has counted since the configuration was last set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct FaultCounters {
    pub api_requests: u64,
    pub gets: u64,
    pub puts: u64,
}

#[derive(Debug, Default)]
pub struct FaultState {
    pub config: FaultConfig,
    pub counters: FaultCounters,
}

/// What to do to one API request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub latency_ms: u64,
    /// Answer 429 (`Some(429)`) or 503 before doing anything.
    pub reject_status: Option<u16>,
    pub retry_after_secs: u64,
    pub garbage: bool,
    pub drop_connection: bool,
    /// Tenant the foreign writer adds before this PUT is handled.
    pub foreign_write: Option<String>,
}

fn hits(count: u64, every: u64) -> bool {
    every > 0 && count % every == 0
}

impl FaultState {
    pub fn new(config: FaultConfig) -> Self {
        Self {
            config,
            counters: FaultCounters::default(),
        }
    }

    /// Counts an arriving API request and decides its faults. Every request counts, whatever
    /// then happens to it.
    pub fn plan(&mut self, is_get: bool, is_put: bool) -> Plan {
        let c = &self.config;
        self.counters.api_requests += 1;
        let n = self.counters.api_requests;
        let reject_status = if hits(n, c.fault_429_every) {
            Some(429)
        } else if hits(n, c.fault_503_every) {
            Some(503)
        } else {
            None
        };
        let mut garbage = false;
        if is_get {
            self.counters.gets += 1;
            garbage = hits(self.counters.gets, c.fault_garbage_get_every);
        }
        let mut foreign_write = None;
        if is_put {
            self.counters.puts += 1;
            if hits(self.counters.puts, c.fault_foreign_write_every) {
                foreign_write = Some(c.foreign_tenant_id.clone());
            }
        }
        Plan {
            latency_ms: c.latency_ms,
            reject_status,
            retry_after_secs: c.fault_retry_after_secs,
            garbage,
            drop_connection: hits(n, c.fault_drop_every),
            foreign_write,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kth_request() {
        let mut f = FaultState::new(FaultConfig {
            fault_429_every: 3,
            fault_503_every: 2,
            fault_garbage_get_every: 2,
            fault_foreign_write_every: 1,
            ..FaultConfig::default()
        });
        let statuses: Vec<Option<u16>> =
            (0..6).map(|_| f.plan(true, false).reject_status).collect();
        assert_eq!(
            statuses,
            vec![None, Some(503), Some(429), Some(503), None, Some(429)]
        );
        assert!(!f.plan(true, false).garbage);
        assert!(f.plan(true, false).garbage);
        assert!(f.plan(false, true).foreign_write.is_some());
        assert_eq!(
            f.counters,
            FaultCounters {
                api_requests: 9,
                gets: 8,
                puts: 1
            }
        );
    }

    #[test]
    fn unknown_fields_are_refused() {
        assert!(serde_json::from_str::<FaultConfig>(r#"{"fault_492_every": 1}"#).is_err());
        let c: FaultConfig = serde_json::from_str(r#"{"fault_drop_every": 4}"#).unwrap();
        assert_eq!(c.fault_drop_every, 4);
        assert_eq!(c.token_lifetime_secs, 3599);
    }
}
