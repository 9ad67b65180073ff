//! A hub process for end-to-end tests that kill and restart it: `kiln-test-hub CONFIG` loads
//! the configuration, serves until SIGTERM, and stops (like `kiln-hub serve`).

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    hub::logging::init();
    let Some(path) = std::env::args_os().nth(1) else {
        tracing::error!("usage: kiln-test-hub CONFIG");
        return ExitCode::FAILURE;
    };
    let config = match hub::Config::load(std::path::Path::new(&path)) {
        Ok(config) => config,
        Err(e) => {
            tracing::error!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let listen = config.listen;
    let hub = match hub::Hub::start(config).await {
        Ok(hub) => hub,
        Err(e) => {
            tracing::error!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let listener = match tokio::net::TcpListener::bind(listen).await {
        Ok(listener) => listener,
        Err(e) => {
            tracing::error!("cannot listen on {listen}: {e}");
            return ExitCode::FAILURE;
        }
    };
    hub.serve(listener, hub::shutdown_signal()).await;
    match hub.stop().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            ExitCode::FAILURE
        }
    }
}
