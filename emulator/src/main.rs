//! `defender-emulator`: serves the distribution API from memory. See `emulator/README.md`.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use defender_emulator::{world, Options, Server};
use tracing_subscriber::EnvFilter;

/// How long a shutdown waits for open requests before giving up on them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

#[tokio::main]
async fn main() -> ExitCode {
    let opts = Options::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();

    let server = match Server::start(opts.clone()).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("defender-emulator: {e}");
            return ExitCode::from(2);
        }
    };
    let base = server.base_url();
    if let Err(e) = announce(&server, &opts) {
        eprintln!("defender-emulator: cannot write to stdout: {e}");
        return ExitCode::from(2);
    }
    tracing::info!(%base, "listening");

    wait_for_signal().await;
    tracing::info!("shutting down");
    match tokio::time::timeout(SHUTDOWN_GRACE, server.shutdown()).await {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            eprintln!("defender-emulator: server error: {e}");
            ExitCode::from(1)
        }
        Err(_) => {
            tracing::warn!("open requests did not finish in time; exiting anyway");
            ExitCode::SUCCESS
        }
    }
}

/// The first stdout line is the base URL, alone; the rest describes the world for people.
fn announce(server: &Server, opts: &Options) -> std::io::Result<()> {
    let base = server.base_url();
    let w = server.world();
    let mut out = std::io::stdout().lock();
    writeln!(out, "{base}")?;
    out.flush()?;
    writeln!(out, "# authority_host = {base}")?;
    writeln!(out, "# endpoint       = {base}/apiproxy")?;
    writeln!(out, "# tenant_id      = {}", world::HOME_TENANT_ID)?;
    writeln!(out, "# client_id      = {}", server.client_id())?;
    if opts.static_token.is_some() {
        writeln!(out, "# access_token   = (the --static-token value)")?;
    }
    writeln!(
        out,
        "# world: {} tenants ({} generated), {} content items; GET {base}/_emulator/world for all of it",
        w.tenants.len(),
        opts.extra_tenants,
        w.content.len()
    )?;
    for t in w.tenants.iter().take(8) {
        writeln!(
            out,
            "#   tenant {} {}{}",
            t.tenant_id,
            t.name,
            if t.lost_access { " (lost access)" } else { "" }
        )?;
    }
    for c in &w.content {
        writeln!(out, "#   content {} {} ({})", c.id, c.name, c.content_type)?;
    }
    out.flush()
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM; only Ctrl-C stops the emulator");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
