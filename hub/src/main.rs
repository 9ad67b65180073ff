//! `kiln-hub`: parses flags, loads the configuration, sets up logging and runs the hub.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Kiln's hub: a Koji-compatible XML-RPC server with the Module Build Service built in.
#[derive(Debug, Parser)]
#[command(name = "kiln-hub", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the hub with a configuration file.
    Serve {
        /// The TOML configuration file.
        #[arg(short, long, default_value = "/etc/kiln/hub.toml")]
        config: PathBuf,
    },
    /// Run a complete development instance in one directory (managed PostgreSQL, topdir,
    /// admin user, certificates).
    Dev {
        /// The directory holding everything.
        #[arg(long)]
        dir: PathBuf,
        /// Address to listen on (default 127.0.0.1:8080, or a free port if taken).
        #[arg(long)]
        listen: Option<SocketAddr>,
        /// Password for the admin user (default: the stored one, or a generated one).
        #[arg(long)]
        admin_password: Option<String>,
        /// Number of local builders to run.
        #[arg(long, default_value_t = 0)]
        builders: usize,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    hub::logging::init();
    let result = match cli.command {
        Command::Serve { config } => serve(config).await,
        Command::Dev {
            dir,
            listen,
            admin_password,
            builders,
        } => dev(dir, listen, admin_password, builders).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config_path: PathBuf) -> anyhow::Result<()> {
    let config = hub::Config::load(&config_path)?;
    let listen = config.listen;
    let hub = hub::Hub::start(config).await?;
    let listener = tokio::net::TcpListener::bind(listen).await?;
    hub.serve(listener, hub::shutdown_signal()).await;
    hub.stop().await?;
    Ok(())
}

async fn dev(
    dir: PathBuf,
    listen: Option<SocketAddr>,
    admin_password: Option<String>,
    builders: usize,
) -> anyhow::Result<()> {
    let dev = hub::dev::start(hub::dev::DevOptions {
        dir: dir.clone(),
        listen,
        admin_password,
    })
    .await?;
    #[expect(clippy::print_stdout, reason = "dev mode talks to the person who started it")]
    {
        println!("{}", dev.banner());
    }
    let hub::dev::DevHub {
        hub, listener, addr, ..
    } = dev;
    let state_dir = hub.ctx.config.state_dir.clone();
    let server = format!("http://{addr}/kojihub");
    let started = hub::dev_builders::DevBuilders::start(&hub, &state_dir, &server, builders).await?;
    if builders > 0 {
        #[expect(clippy::print_stdout, reason = "dev mode talks to the person who started it")]
        {
            println!("Builders: {}\n", started.names().join(", "));
        }
    }
    // Builders stop first (giving back their tasks) while the hub still answers them.
    let (stop_hub, hub_stopped) = tokio::sync::oneshot::channel::<()>();
    let stopper = tokio::spawn(async move {
        hub::shutdown_signal().await;
        let _ = tokio::task::spawn_blocking(move || started.stop(std::time::Duration::from_secs(15))).await;
        let _ = stop_hub.send(());
    });
    hub.serve(listener, async {
        let _ = hub_stopped.await;
    })
    .await;
    stopper.abort();
    hub.stop().await?;
    Ok(())
}
