//! The `defender` provider: configuration → API client and profile store.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tf_provider::schema::Schema;
use tf_provider::value::{Value, ValueEmpty};
use tf_provider::{AttributePath, Diagnostics, DynamicDataSource, DynamicResource, Provider};

use crate::api::{Client, ClientConfig, Credentials, RetryPolicy, Secret};
use crate::schema::{bool, number, schema, sensitive_string, string, Optional};
use crate::store::{ProfileStore, StoreOptions};
use crate::{data_sources, diag, logging, resources, validate};

pub const DEFAULT_ENDPOINT: &str = "https://mto.security.microsoft.com/apiproxy";
pub const DEFAULT_AUTHORITY_HOST: &str = "https://login.microsoftonline.com";
pub const DEFAULT_SCOPE: &str = "https://api.security.microsoft.com/.default";
pub const DEFAULT_MAX_RETRIES: i64 = 8;
pub const DEFAULT_MAX_RETRY_WAIT: &str = "2m";

/// The provider block as Terraform sends it.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct ProviderConfig {
    #[serde(default)]
    pub endpoint: Value<String>,
    #[serde(default)]
    pub tenant_id: Value<String>,
    #[serde(default)]
    pub client_id: Value<String>,
    #[serde(default)]
    pub client_secret: Value<String>,
    #[serde(default)]
    pub access_token: Value<String>,
    #[serde(default)]
    pub authority_host: Value<String>,
    #[serde(default)]
    pub scope: Value<String>,
    #[serde(default)]
    pub auto_sync: Value<bool>,
    #[serde(default)]
    pub max_retries: Value<i64>,
    #[serde(default)]
    pub max_retry_wait: Value<String>,
}

/// What every resource and data source shares once the provider is configured.
pub struct ProviderData {
    pub client: Client,
    pub store: ProfileStore,
    pub auto_sync: bool,
}

/// Filled by `configure`; resources are created before it runs, so they hold this handle.
#[derive(Clone, Default)]
pub struct Shared(Arc<RwLock<Option<Arc<ProviderData>>>>);

impl Shared {
    /// The configured provider, or an error diagnostic saying why there is none.
    pub fn get(&self, diags: &mut Diagnostics) -> Option<Arc<ProviderData>> {
        let data = self.0.read().unwrap_or_else(|e| e.into_inner()).clone();
        if data.is_none() {
            diag::error(
                diags,
                "The defender provider is not configured",
                "The provider configuration depends on values that are not known yet, or it failed. \
                 Make its arguments known at plan time (or set the DEFENDER_* environment variables) and run again.",
            );
        }
        data
    }

    fn set(&self, data: ProviderData) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(data));
    }
}

pub struct DefenderProvider {
    shared: Shared,
}

impl DefenderProvider {
    pub fn new() -> Self {
        Self {
            shared: Shared::default(),
        }
    }
}

impl Default for DefenderProvider {
    fn default() -> Self {
        Self::new()
    }
}

/// A setting after config → environment → default resolution.
#[derive(Debug, Clone, PartialEq)]
pub enum Setting<T> {
    Known(T),
    /// Not known until apply (depends on other resources).
    Unknown,
    Absent,
}

impl<T> Setting<T> {
    fn known(&self) -> Option<&T> {
        match self {
            Setting::Known(v) => Some(v),
            _ => None,
        }
    }
}

/// Resolved provider settings, or the list of problems (attribute, summary, detail).
#[derive(Debug)]
pub struct Settings {
    pub endpoint: String,
    pub credentials: Credentials,
    pub auto_sync: bool,
    pub max_retries: u32,
    pub max_retry_wait: Duration,
}

pub type Problem = (&'static str, String, String);

fn pick_string(
    config: &Value<String>,
    env: &dyn Fn(&str) -> Option<String>,
    var: &str,
) -> Setting<String> {
    match config {
        Value::Value(v) if !v.is_empty() => Setting::Known(v.clone()),
        Value::Unknown => Setting::Unknown,
        _ => match env(var).filter(|v| !v.trim().is_empty()) {
            Some(v) => Setting::Known(v.trim().to_owned()),
            None => Setting::Absent,
        },
    }
}

/// Resolves and checks the provider settings. With `allow_unknown`, unknown values skip their
/// checks (validation at plan time); without, they are errors (configure).
pub fn resolve(
    cfg: &ProviderConfig,
    env: &dyn Fn(&str) -> Option<String>,
) -> (Option<Settings>, Vec<Problem>, bool) {
    let mut problems: Vec<Problem> = Vec::new();
    let mut any_unknown = false;

    let mut url_setting =
        |name: &'static str, value: Setting<String>, default: &str| -> Option<String> {
            let v = match value {
                Setting::Known(v) => v,
                Setting::Unknown => {
                    any_unknown = true;
                    return None;
                }
                Setting::Absent => default.to_owned(),
            };
            match check_url(&v) {
                Ok(()) => Some(v),
                Err(why) => {
                    problems.push((
                        name,
                        format!("Invalid {name}"),
                        format!("{name} = {v:?}: {why}"),
                    ));
                    None
                }
            }
        };
    let endpoint = url_setting(
        "endpoint",
        pick_string(&cfg.endpoint, env, "DEFENDER_ENDPOINT"),
        DEFAULT_ENDPOINT,
    );
    let authority = url_setting(
        "authority_host",
        pick_string(&cfg.authority_host, env, "DEFENDER_AUTHORITY_HOST"),
        DEFAULT_AUTHORITY_HOST,
    );

    let tenant_id = pick_string(&cfg.tenant_id, env, "DEFENDER_TENANT_ID");
    let client_id = pick_string(&cfg.client_id, env, "DEFENDER_CLIENT_ID");
    let client_secret = pick_string(&cfg.client_secret, env, "DEFENDER_CLIENT_SECRET");
    let access_token = pick_string(&cfg.access_token, env, "DEFENDER_ACCESS_TOKEN");
    let scope = pick_string(&cfg.scope, env, "DEFENDER_SCOPE");
    for s in [
        &tenant_id,
        &client_id,
        &client_secret,
        &access_token,
        &scope,
    ] {
        any_unknown |= matches!(s, Setting::Unknown);
    }
    if let Some(t) = tenant_id.known() {
        if !validate::is_guid(t) {
            problems.push((
                "tenant_id",
                "Invalid tenant_id".into(),
                format!("tenant_id = {t:?} is not a GUID. Use the home tenant's directory (tenant) ID, e.g. 00000000-0000-0000-0000-000000000000."),
            ));
        }
    }

    let mut credentials = None;
    match &access_token {
        Setting::Known(token) => {
            let conflicting: Vec<&str> =
                [("client_id", &client_id), ("client_secret", &client_secret)]
                    .iter()
                    .filter(|(_, s)| !matches!(s, Setting::Absent))
                    .map(|(n, _)| *n)
                    .collect();
            if conflicting.is_empty() {
                credentials = Some(Credentials::AccessToken(Secret::new(token.clone())));
            } else {
                problems.push((
                    "access_token",
                    "Conflicting credentials".into(),
                    format!(
                        "access_token is set together with {}. Use either access_token (DEFENDER_ACCESS_TOKEN), \
                         or tenant_id + client_id + client_secret (DEFENDER_TENANT_ID, DEFENDER_CLIENT_ID, DEFENDER_CLIENT_SECRET), not both.",
                        conflicting.join(" and ")
                    ),
                ));
            }
        }
        Setting::Unknown => {}
        Setting::Absent => {
            let missing: Vec<&str> = [
                ("tenant_id", &tenant_id, "DEFENDER_TENANT_ID"),
                ("client_id", &client_id, "DEFENDER_CLIENT_ID"),
                ("client_secret", &client_secret, "DEFENDER_CLIENT_SECRET"),
            ]
            .iter()
            .filter(|(_, s, _)| matches!(s, Setting::Absent))
            .map(|(n, _, _)| *n)
            .collect();
            if !missing.is_empty() {
                let present = 3 - missing.len();
                problems.push((
                    missing[0],
                    "Incomplete credentials".into(),
                    format!(
                        "{} {} missing{}. Set access_token (DEFENDER_ACCESS_TOKEN), or all of tenant_id, client_id and client_secret \
                         (DEFENDER_TENANT_ID, DEFENDER_CLIENT_ID, DEFENDER_CLIENT_SECRET).",
                        missing.join(", "),
                        if missing.len() == 1 { "is" } else { "are" },
                        if present > 0 { " for client-credentials authentication" } else { "" },
                    ),
                ));
            } else if let (Some(t), Some(c), Some(s), Some(a)) = (
                tenant_id.known(),
                client_id.known(),
                client_secret.known(),
                authority.as_ref(),
            ) {
                credentials = Some(Credentials::ClientSecret {
                    authority_host: a.clone(),
                    tenant_id: t.clone(),
                    client_id: c.clone(),
                    client_secret: Secret::new(s.clone()),
                    scope: scope
                        .known()
                        .cloned()
                        .unwrap_or_else(|| DEFAULT_SCOPE.to_owned()),
                });
            }
        }
    }

    let auto_sync = match &cfg.auto_sync {
        Value::Value(b) => *b,
        Value::Unknown => {
            any_unknown = true;
            true
        }
        Value::Null => match env("DEFENDER_AUTO_SYNC").map(|v| v.trim().to_ascii_lowercase()) {
            None => true,
            Some(v) if v == "true" || v == "1" => true,
            Some(v) if v == "false" || v == "0" => false,
            Some(v) => {
                problems.push((
                    "auto_sync",
                    "Invalid DEFENDER_AUTO_SYNC".into(),
                    format!("DEFENDER_AUTO_SYNC = {v:?}: use true or false."),
                ));
                true
            }
        },
    };

    let max_retries = match &cfg.max_retries {
        Value::Value(n) => Some(*n),
        Value::Unknown => {
            any_unknown = true;
            None
        }
        Value::Null => match env("DEFENDER_MAX_RETRIES") {
            None => Some(DEFAULT_MAX_RETRIES),
            Some(v) => match v.trim().parse::<i64>() {
                Ok(n) => Some(n),
                Err(_) => {
                    problems.push((
                        "max_retries",
                        "Invalid DEFENDER_MAX_RETRIES".into(),
                        format!("DEFENDER_MAX_RETRIES = {v:?} is not a whole number."),
                    ));
                    None
                }
            },
        },
    };
    let max_retries = match max_retries {
        Some(n) if (0..=100).contains(&n) => Some(n as u32),
        Some(n) => {
            problems.push((
                "max_retries",
                "Invalid max_retries".into(),
                format!("max_retries = {n}: use a number from 0 to 100."),
            ));
            None
        }
        None => None,
    };

    let max_retry_wait = match pick_string(&cfg.max_retry_wait, env, "DEFENDER_MAX_RETRY_WAIT") {
        Setting::Known(v) => match validate::parse_duration(&v) {
            Ok(d) => Some(d),
            Err(why) => {
                problems.push((
                    "max_retry_wait",
                    "Invalid max_retry_wait".into(),
                    format!("max_retry_wait {why}."),
                ));
                None
            }
        },
        Setting::Unknown => {
            any_unknown = true;
            None
        }
        Setting::Absent => validate::parse_duration(DEFAULT_MAX_RETRY_WAIT).ok(),
    };

    let settings = match (endpoint, credentials, max_retries, max_retry_wait) {
        (Some(endpoint), Some(credentials), Some(max_retries), Some(max_retry_wait))
            if problems.is_empty() && !any_unknown =>
        {
            Some(Settings {
                endpoint,
                credentials,
                auto_sync,
                max_retries,
                max_retry_wait,
            })
        }
        _ => None,
    };
    (settings, problems, any_unknown)
}

/// `https://` anywhere; `http://` only on loopback.
pub fn check_url(v: &str) -> Result<(), String> {
    let url = url::Url::parse(v).map_err(|e| format!("not a URL ({e})"))?;
    match url.scheme() {
        "https" => Ok(()),
        "http" => {
            let loopback = match url.host() {
                Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                None => false,
            };
            if loopback {
                Ok(())
            } else {
                Err("http:// is only allowed on a loopback address (127.0.0.0/8, ::1, localhost); use https://".into())
            }
        }
        other => Err(format!("scheme {other}:// is not supported; use https://")),
    }
}

fn report(diags: &mut Diagnostics, problems: Vec<Problem>) {
    for (attr, summary, detail) in problems {
        diag::attr_error(diags, AttributePath::new(attr), summary, detail);
    }
}

fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

#[async_trait]
impl Provider for DefenderProvider {
    type Config<'a> = ProviderConfig;
    type MetaState<'a> = ValueEmpty;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
        Some(schema(
            "The `defender` provider manages Microsoft Defender multi-tenant content distribution: \
             distribution profiles, their content and target tenants, and reads sync status.",
            vec![
                ("endpoint", string(Optional, "Base URL of the multi-tenant distribution API, up to and including `/apiproxy`. Must be `https://`, except on a loopback address. Environment: `DEFENDER_ENDPOINT`. Default: `https://mto.security.microsoft.com/apiproxy`.")),
                ("tenant_id", string(Optional, "Home (source) tenant ID, a GUID; used to get tokens with client credentials. Environment: `DEFENDER_TENANT_ID`.")),
                ("client_id", string(Optional, "Application (client) ID of the app registration used for client-credentials authentication. Environment: `DEFENDER_CLIENT_ID`.")),
                ("client_secret", sensitive_string(Optional, "Client secret of the app registration. Never logged or stored in state. Environment: `DEFENDER_CLIENT_SECRET`.")),
                ("access_token", sensitive_string(Optional, "A bearer token obtained elsewhere, used instead of `tenant_id`, `client_id` and `client_secret`; the provider never renews it. Never logged or stored in state. Environment: `DEFENDER_ACCESS_TOKEN`.")),
                ("authority_host", string(Optional, "OAuth2 authority that issues tokens (`{authority_host}/{tenant_id}/oauth2/v2.0/token`). Must be `https://`, except on a loopback address. Environment: `DEFENDER_AUTHORITY_HOST`. Default: `https://login.microsoftonline.com`.")),
                ("scope", string(Optional, "OAuth2 scope requested with client credentials. Environment: `DEFENDER_SCOPE`. Default: `https://api.security.microsoft.com/.default`.")),
                ("auto_sync", bool(Optional, "Start a sync of a profile after a change to its content or targets lands; syncs requested by many resources of one profile coalesce. With `false`, nothing syncs by itself: change a profile's `sync_trigger` to sync. Environment: `DEFENDER_AUTO_SYNC`. Default: `true`.")),
                ("max_retries", number(Optional, "How many times a request is retried on 429, 503 and transport errors (0–100). Environment: `DEFENDER_MAX_RETRIES`. Default: `8`.")),
                ("max_retry_wait", string(Optional, "Longest wait honoured from a `Retry-After` header, as a duration (`\"30s\"`, `\"2m\"`). Environment: `DEFENDER_MAX_RETRY_WAIT`. Default: `\"2m\"`.")),
            ],
        ))
    }

    async fn validate<'a>(&self, diags: &mut Diagnostics, config: Self::Config<'a>) -> Option<()> {
        let (_, problems, _) = resolve(&config, &env_var);
        report(diags, problems);
        Some(())
    }

    async fn configure<'a>(
        &self,
        diags: &mut Diagnostics,
        terraform_version: String,
        config: Self::Config<'a>,
    ) -> Option<()> {
        let (settings, problems, any_unknown) = resolve(&config, &env_var);
        if !problems.is_empty() {
            report(diags, problems);
            return Some(());
        }
        let Some(settings) = settings else {
            if any_unknown {
                tracing::debug!(target: "defender::provider", "provider configuration has unknown values; not configured yet");
            }
            return Some(());
        };
        match &settings.credentials {
            Credentials::AccessToken(t) => logging::register_secret(t.expose()),
            Credentials::ClientSecret { client_secret, .. } => {
                logging::register_secret(client_secret.expose())
            }
        }
        let client = match Client::new(ClientConfig {
            endpoint: settings.endpoint.clone(),
            credentials: settings.credentials,
            retry: RetryPolicy {
                max_retries: settings.max_retries,
                retry_after_cap: settings.max_retry_wait,
                ..RetryPolicy::default()
            },
            request_timeout: Duration::from_secs(60),
            user_agent: format!(
                "terraform-provider-defender/{} terraform/{}",
                env!("CARGO_PKG_VERSION"),
                terraform_version
            ),
        }) {
            Ok(c) => c,
            Err(e) => {
                diag::api_error(diags, "Could not set up the API client", &e);
                return Some(());
            }
        };
        let store = ProfileStore::new(Arc::new(client.clone()), StoreOptions::default());
        tracing::debug!(target: "defender::provider", endpoint = %settings.endpoint, auto_sync = settings.auto_sync, max_retries = settings.max_retries, "provider configured");
        self.shared.set(ProviderData {
            client,
            store,
            auto_sync: settings.auto_sync,
        });
        Some(())
    }

    fn get_resources(
        &self,
        _diags: &mut Diagnostics,
    ) -> Option<HashMap<String, Box<dyn DynamicResource>>> {
        Some(resources::all(&self.shared))
    }

    fn get_data_sources(
        &self,
        _diags: &mut Diagnostics,
    ) -> Option<HashMap<String, Box<dyn DynamicDataSource>>> {
        Some(data_sources::all(&self.shared))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> ProviderConfig {
        ProviderConfig::default()
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn urls() {
        assert!(check_url("https://example.com/apiproxy").is_ok());
        assert!(check_url("http://127.0.0.1:8080/apiproxy").is_ok());
        assert!(check_url("http://127.9.9.9").is_ok());
        assert!(check_url("http://localhost:1").is_ok());
        assert!(check_url("http://[::1]:1").is_ok());
        assert!(check_url("http://example.com").is_err());
        assert!(check_url("http://10.0.0.1").is_err());
        assert!(check_url("ftp://example.com").is_err());
        assert!(check_url("example.com").is_err());
    }

    #[test]
    fn config_wins_over_env_and_env_over_default() {
        let mut c = cfg();
        c.access_token = Value::Value("tok".into());
        let env = |n: &str| match n {
            "DEFENDER_ENDPOINT" => Some("https://env.example/apiproxy".to_owned()),
            "DEFENDER_MAX_RETRIES" => Some("3".to_owned()),
            _ => None,
        };
        let (s, p, _) = resolve(&c, &env);
        assert!(p.is_empty(), "{p:?}");
        let s = s.unwrap();
        assert_eq!(s.endpoint, "https://env.example/apiproxy");
        assert_eq!(s.max_retries, 3);
        c.endpoint = Value::Value("https://cfg.example/apiproxy".into());
        let (s, _, _) = resolve(&c, &env);
        assert_eq!(s.unwrap().endpoint, "https://cfg.example/apiproxy");
        let (s, _, _) = resolve(&c, &no_env);
        assert_eq!(s.unwrap().max_retries, 8);
    }

    #[test]
    fn credentials_must_be_complete_and_not_conflict() {
        let (_, p, _) = resolve(&cfg(), &no_env);
        assert_eq!(p.len(), 1);
        assert!(
            p[0].2
                .contains("tenant_id, client_id, client_secret are missing"),
            "{p:?}"
        );

        let mut c = cfg();
        c.tenant_id = Value::Value("00000000-0000-0000-0000-000000000001".into());
        c.client_id = Value::Value("id".into());
        let (_, p, _) = resolve(&c, &no_env);
        assert_eq!(p[0].0, "client_secret");
        assert!(p[0].2.contains("client_secret is missing"), "{p:?}");

        c.access_token = Value::Value("tok".into());
        let (_, p, _) = resolve(&c, &no_env);
        assert_eq!(p[0].0, "access_token");
        assert!(p[0].2.contains("client_id"), "{p:?}");
    }

    #[test]
    fn unknown_values_skip_checks() {
        let mut c = cfg();
        c.access_token = Value::Unknown;
        let (s, p, unknown) = resolve(&c, &no_env);
        assert!(p.is_empty() && unknown && s.is_none());
    }

    #[test]
    fn problems_never_echo_secrets() {
        let mut c = cfg();
        c.access_token = Value::Value("tok-xyzzy-1".into());
        c.client_secret = Value::Value("cs-xyzzy-2".into());
        let (_, p, _) = resolve(&c, &no_env);
        assert!(!p.is_empty());
        for (_, s, d) in p {
            assert!(!s.contains("xyzzy") && !d.contains("xyzzy"), "{s} {d}");
        }
    }
}
