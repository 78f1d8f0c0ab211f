//! `defender-emulator`: an in-memory server of the Defender multi-tenant content distribution
//! API and of the OAuth2 token endpoint in front of it, with a fixed demo world, request
//! counters, fault injection and an optional durable state file.
//!
//! One port serves everything: the authority at `/{tenantId}/oauth2/v2.0/token`, the API under
//! `/apiproxy/mtoapi/…` and the emulator's own control endpoints under `/_emulator/…`.
//! See `emulator/README.md` for the flags, the demo world and the rules the emulator follows.
//!
//! Tests start it in-process with [`Server::start`]; the `defender-emulator` binary is a thin
//! wrapper that parses [`Options`] from the command line.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use clap::Parser;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

mod app;
mod auth;
mod error;
pub mod faults;
mod persist;
mod store;
pub mod world;

pub use app::STATIC_TOKEN_ACTOR;
pub use faults::FaultConfig;
pub use world::World;

/// Command-line flags (each also readable from a `DEFENDER_EMULATOR_*` environment variable).
#[derive(Debug, Clone, Parser)]
#[command(
    name = "defender-emulator",
    version,
    about = "In-memory emulator of the Defender multi-tenant content distribution API",
    long_about = "In-memory emulator of the Defender multi-tenant content distribution API and its \
                  token endpoint. Prints its base URL as the first line on stdout; point the \
                  provider's authority_host at it and its endpoint at <base>/apiproxy."
)]
pub struct Options {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, env = "DEFENDER_EMULATOR_LISTEN", default_value = "127.0.0.1:0")]
    pub listen: SocketAddr,

    /// Client id the token endpoint accepts.
    #[arg(
        long,
        env = "DEFENDER_EMULATOR_CLIENT_ID",
        default_value = "demo-client-id"
    )]
    pub client_id: String,

    /// Client secret the token endpoint accepts.
    #[arg(
        long,
        env = "DEFENDER_EMULATOR_CLIENT_SECRET",
        default_value = "demo-client-secret",
        hide_env_values = true
    )]
    pub client_secret: String,

    /// A bearer token the API accepts forever, for the provider's access_token mode.
    #[arg(long, env = "DEFENDER_EMULATOR_STATIC_TOKEN", hide_env_values = true)]
    pub static_token: Option<String>,

    /// How long a started sync unit stays Pending, and then InProgress, before its result shows.
    #[arg(long, env = "DEFENDER_EMULATOR_SYNC_DELAY_MS", default_value_t = 200)]
    pub sync_delay_ms: u64,

    /// Latency added before handling each API and token request.
    #[arg(long, env = "DEFENDER_EMULATOR_LATENCY_MS", default_value_t = 0)]
    pub latency_ms: u64,

    /// Lifetime of issued tokens (`expires_in`).
    #[arg(
        long,
        env = "DEFENDER_EMULATOR_TOKEN_LIFETIME_SECS",
        default_value_t = 3599
    )]
    pub token_lifetime_secs: u64,

    /// Generate this many extra customer tenants (ids 00000000-0000-4000-8000-<12-digit index>).
    #[arg(long, env = "DEFENDER_EMULATOR_EXTRA_TENANTS", default_value_t = 0,
          value_parser = clap::value_parser!(u64).range(0..=world::MAX_EXTRA_TENANTS))]
    pub extra_tenants: u64,

    /// Keep assignments in this file: every acknowledged write is on disk before its answer.
    #[arg(long, env = "DEFENDER_EMULATOR_STATE_FILE")]
    pub state_file: Option<PathBuf>,

    /// Every K-th API request answers 429 TooManyRequests (0 = off).
    #[arg(long, env = "DEFENDER_EMULATOR_FAULT_429_EVERY", default_value_t = 0)]
    pub fault_429_every: u64,

    /// Every K-th API request answers 503 ServiceUnavailable (0 = off).
    #[arg(long, env = "DEFENDER_EMULATOR_FAULT_503_EVERY", default_value_t = 0)]
    pub fault_503_every: u64,

    /// Retry-After seconds sent with injected 429 and 503 answers.
    #[arg(
        long,
        env = "DEFENDER_EMULATOR_FAULT_RETRY_AFTER_SECS",
        default_value_t = 1
    )]
    pub fault_retry_after_secs: u64,

    /// Every K-th API GET answers 200 with an HTML gateway page (0 = off).
    #[arg(
        long,
        env = "DEFENDER_EMULATOR_FAULT_GARBAGE_GET_EVERY",
        default_value_t = 0
    )]
    pub fault_garbage_get_every: u64,

    /// Every K-th API request is carried out, then its connection is cut mid-answer (0 = off).
    #[arg(long, env = "DEFENDER_EMULATOR_FAULT_DROP_EVERY", default_value_t = 0)]
    pub fault_drop_every: u64,

    /// Before every K-th API PUT, a foreign writer changes the assignment first (0 = off).
    #[arg(
        long,
        env = "DEFENDER_EMULATOR_FAULT_FOREIGN_WRITE_EVERY",
        default_value_t = 0
    )]
    pub fault_foreign_write_every: u64,

    /// Tenant the foreign writer adds to the assignment's targets.
    #[arg(long, env = "DEFENDER_EMULATOR_FOREIGN_TENANT_ID", default_value = world::DEFAULT_FOREIGN_TENANT_ID)]
    pub foreign_tenant_id: String,
}

impl Options {
    /// Parses flags as the binary does; `args` excludes the program name.
    pub fn from_args<I, T>(args: I) -> Result<Self, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        Self::try_parse_from(
            std::iter::once(std::ffi::OsString::from("defender-emulator"))
                .chain(args.into_iter().map(Into::into)),
        )
    }

    fn fault_config(&self) -> FaultConfig {
        FaultConfig {
            latency_ms: self.latency_ms,
            token_lifetime_secs: self.token_lifetime_secs,
            fault_429_every: self.fault_429_every,
            fault_503_every: self.fault_503_every,
            fault_retry_after_secs: self.fault_retry_after_secs,
            fault_garbage_get_every: self.fault_garbage_get_every,
            fault_drop_every: self.fault_drop_every,
            fault_foreign_write_every: self.fault_foreign_write_every,
            foreign_tenant_id: self.foreign_tenant_id.clone(),
        }
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot read the state file {path}: {source}")]
    ReadState {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the state file {path} is not a valid emulator state ({reason}); move it away or fix it"
    )]
    CorruptState { path: PathBuf, reason: String },
    #[error("--foreign-tenant-id {0:?} is not a GUID")]
    ForeignTenant(String),
}

/// A running emulator.
pub struct Server {
    addr: SocketAddr,
    app: Arc<app::App>,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Server {
    /// Loads the state file (if any), binds, and serves in a background task.
    pub async fn start(opts: Options) -> Result<Self, StartError> {
        if !world::is_guid(&opts.foreign_tenant_id) {
            return Err(StartError::ForeignTenant(opts.foreign_tenant_id.clone()));
        }
        let world = World::demo(opts.extra_tenants);
        let (store, persister) = match &opts.state_file {
            None => (store::Store::default(), None),
            Some(path) => {
                let p = persist::Persister::new(path.clone());
                let bytes = p.load().map_err(|source| StartError::ReadState {
                    path: path.clone(),
                    source,
                })?;
                let store = match bytes {
                    None => store::Store::default(),
                    Some(b) => store::Store::from_snapshot(&b).map_err(|reason| {
                        StartError::CorruptState {
                            path: path.clone(),
                            reason,
                        }
                    })?,
                };
                p.mark_written(store.version);
                tracing::info!(path = %path.display(), assignments = store.count(), "state file loaded");
                (store, Some(Arc::new(p)))
            }
        };
        let app = Arc::new(app::App::new(app::AppConfig {
            world,
            client_id: opts.client_id.clone(),
            client_secret: opts.client_secret.clone(),
            static_token: opts.static_token.clone().filter(|t| !t.is_empty()),
            sync_delay_ms: opts.sync_delay_ms,
            faults: opts.fault_config(),
            store,
            persister,
        }));
        let listener = tokio::net::TcpListener::bind(opts.listen)
            .await
            .map_err(|source| StartError::Bind {
                addr: opts.listen,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| StartError::Bind {
            addr: opts.listen,
            source,
        })?;
        let router = axum::Router::new()
            .fallback(app::dispatch)
            .with_state(Arc::clone(&app));
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    let _ = rx.await;
                })
                .await
        });
        Ok(Self {
            addr,
            app,
            shutdown: Some(tx),
            task,
        })
    }

    /// The address actually bound.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://IP:PORT`: the provider's `authority_host`; the API is at `<base>/apiproxy`.
    pub fn base_url(&self) -> String {
        let ip = match self.addr.ip() {
            ip if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            ip => ip,
        };
        format!("http://{}", SocketAddr::new(ip, self.addr.port()))
    }

    pub fn world(&self) -> &World {
        &self.app.world
    }

    pub fn client_id(&self) -> &str {
        &self.app.client_id
    }

    /// Stops accepting connections and waits for open ones to finish.
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.task.await.map_err(std::io::Error::other)?
    }
}
