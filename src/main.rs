//! The `terraform-provider-defender` plugin binary. stdout carries only the plugin handshake.

use std::process::ExitCode;

use terraform_provider_defender::{logging, provider::DefenderProvider};

fn main() -> ExitCode {
    // tf-provider attaches a captured backtrace to every diagnostic it builds when
    // RUST_BACKTRACE is set; users must never see one. Library backtraces are decided by
    // RUST_LIB_BACKTRACE first, so turn them off before any thread starts.
    std::env::set_var("RUST_LIB_BACKTRACE", "0");

    // reqwest is built without a crypto provider; pick ring (tonic's TLS uses it too).
    if rustls::crypto::ring::default_provider()
        .install_default()
        .is_err()
    {
        eprintln!("terraform-provider-defender: a TLS crypto provider was already installed");
    }

    logging::init();

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("terraform-provider-defender: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(tf_provider::serve("defender", DefenderProvider::new())) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(target: "defender::provider", error = %e, "plugin server stopped");
            eprintln!("terraform-provider-defender: {e}");
            ExitCode::FAILURE
        }
    }
}
