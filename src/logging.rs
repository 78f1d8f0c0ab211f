//! Logs as hclog JSON lines on stderr, so Terraform shows them under `TF_LOG` / `TF_LOG_PROVIDER`.
//!
//! Terraform reads a plugin's stderr line by line; a JSON object with `@level`, `@message`,
//! `@timestamp` and `@module` is treated as a structured hclog entry and filtered by the
//! provider log level. stdout stays reserved for the plugin handshake.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::{Mutex, OnceLock, RwLock};

use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;

/// Strings that must never reach a log line (client secret, tokens); replaced by `***`.
static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Registers a secret so that any log line containing it is redacted.
pub fn register_secret(secret: &str) {
    if secret.len() < 4 {
        return;
    }
    let mut secrets = SECRETS.write().unwrap_or_else(|e| e.into_inner());
    if !secrets.iter().any(|s| s == secret) {
        secrets.push(secret.to_owned());
    }
}

fn redact(mut line: String) -> String {
    let secrets = SECRETS.read().unwrap_or_else(|e| e.into_inner());
    for s in secrets.iter() {
        if line.contains(s.as_str()) {
            line = line.replace(s.as_str(), "***");
        }
    }
    line
}

/// The level asked for by `TF_LOG_PROVIDER_DEFENDER`, `TF_LOG_PROVIDER` or `TF_LOG`, in that order.
pub fn level_from_env() -> Option<Level> {
    ["TF_LOG_PROVIDER_DEFENDER", "TF_LOG_PROVIDER", "TF_LOG"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
        .and_then(|v| parse_level(&v))
}

fn parse_level(v: &str) -> Option<Level> {
    match v.trim().to_ascii_lowercase().as_str() {
        "trace" | "json" => Some(Level::TRACE),
        "debug" => Some(Level::DEBUG),
        "info" => Some(Level::INFO),
        "warn" => Some(Level::WARN),
        "error" => Some(Level::ERROR),
        "off" => None,
        // Terraform treats unknown values as TRACE.
        _ => Some(Level::TRACE),
    }
}

/// Installs the hclog layer as the global subscriber, unless tf-provider will install its own
/// (it does when `PLUGIN_LOG_FILE` is set, and a second global subscriber would panic).
pub fn init() {
    static DONE: OnceLock<()> = OnceLock::new();
    if std::env::var_os("PLUGIN_LOG_FILE").is_some() {
        return;
    }
    DONE.get_or_init(|| {
        let Some(level) = level_from_env() else {
            return;
        };
        let layer = HclogLayer {
            max_level: level,
            out: Mutex::new(Box::new(std::io::stderr())),
        };
        let _ = tracing_subscriber::registry().with(layer).try_init();
    });
}

/// Formats events as hclog JSON lines.
pub struct HclogLayer {
    pub max_level: Level,
    pub out: Mutex<Box<dyn std::io::Write + Send>>,
}

impl<S: Subscriber> Layer<S> for HclogLayer {
    fn enabled(&self, metadata: &tracing::Metadata<'_>, _: Context<'_, S>) -> bool {
        *metadata.level() <= self.max_level && is_ours_or_important(metadata)
    }

    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let meta = event.metadata();
        if *meta.level() > self.max_level || !is_ours_or_important(meta) {
            return;
        }
        let line = redact(format_event(event));
        let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
        let _ = out.write_all(line.as_bytes());
        let _ = out.flush();
    }
}

/// Our own targets at any level; dependencies (hyper, h2, tonic) only from warn up, so trace
/// logs stay readable.
fn is_ours_or_important(meta: &tracing::Metadata<'_>) -> bool {
    meta.target().starts_with("defender")
        || meta.target().starts_with("terraform_provider_defender")
        || *meta.level() <= Level::WARN
}

/// One hclog JSON line (with the trailing newline).
pub fn format_event(event: &Event<'_>) -> String {
    let meta = event.metadata();
    let mut visitor = JsonVisitor::default();
    event.record(&mut visitor);
    let mut obj = Map::new();
    obj.insert(
        "@level".into(),
        Value::String(hclog_level(meta.level()).into()),
    );
    obj.insert(
        "@message".into(),
        Value::String(visitor.message.unwrap_or_default()),
    );
    obj.insert(
        "@module".into(),
        Value::String(format!("provider.defender.{}", module_of(meta.target()))),
    );
    obj.insert("@timestamp".into(), Value::String(timestamp()));
    for (k, v) in visitor.fields {
        obj.insert(k, v);
    }
    let mut line = Value::Object(obj).to_string();
    line.push('\n');
    line
}

fn module_of(target: &str) -> String {
    let t = target
        .trim_start_matches("terraform_provider_defender::")
        .trim_start_matches("defender::")
        .trim_start_matches("defender");
    if t.is_empty() {
        "provider".into()
    } else {
        t.replace("::", ".")
    }
}

fn hclog_level(level: &Level) -> &'static str {
    match *level {
        Level::TRACE => "trace",
        Level::DEBUG => "debug",
        Level::INFO => "info",
        Level::WARN => "warn",
        Level::ERROR => "error",
    }
}

/// RFC 3339 UTC with microseconds, as hclog writes it: `2026-12-03T08:25:23.123456Z`.
pub fn timestamp() -> String {
    let now = OffsetDateTime::now_utc();
    let mut s = String::with_capacity(27);
    let _ = write!(
        s,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second(),
        now.microsecond()
    );
    if s.len() != 27 {
        // Years beyond 9999 do not happen; fall back to the standard format anyway.
        return now.format(&Rfc3339).unwrap_or_default();
    }
    s
}

#[derive(Default)]
struct JsonVisitor {
    message: Option<String>,
    fields: BTreeMap<String, Value>,
}

impl Visit for JsonVisitor {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.put(field, Value::String(format!("{value:?}")));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, Value::String(value.to_owned()));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, Value::from(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, Value::from(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, Value::from(value));
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(field, Value::from(value));
    }
}

impl JsonVisitor {
    fn put(&mut self, field: &Field, value: Value) {
        if field.name() == "message" {
            self.message = Some(match value {
                Value::String(s) => s,
                other => other.to_string(),
            });
        } else {
            self.fields.insert(field.name().to_owned(), value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn writes_hclog_json_with_microsecond_timestamps_and_redacts_secrets() {
        let buf = Buf::default();
        let layer = HclogLayer {
            max_level: Level::DEBUG,
            out: Mutex::new(Box::new(buf.clone())),
        };
        register_secret("s3cr3t-value");
        let subscriber = tracing_subscriber::registry().with(layer);
        tracing::subscriber::with_default(subscriber, || {
            tracing::debug!(target: "defender::api", method = "GET", status = 200u64, "API request s3cr3t-value");
            tracing::trace!(target: "defender::api", "too verbose");
        });
        let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 1, "{text}");
        let v: Value = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(v["@level"], "debug");
        assert_eq!(v["@module"], "provider.defender.api");
        assert_eq!(v["method"], "GET");
        assert_eq!(v["status"], 200);
        assert_eq!(v["@message"], "API request ***");
        let ts = v["@timestamp"].as_str().unwrap();
        assert_eq!(ts.len(), 27, "{ts}");
        assert!(ts.ends_with('Z') && ts.as_bytes()[19] == b'.', "{ts}");
    }

    #[test]
    fn level_names() {
        assert_eq!(parse_level("DEBUG"), Some(Level::DEBUG));
        assert_eq!(parse_level("off"), None);
        assert_eq!(parse_level("whatever"), Some(Level::TRACE));
    }
}
