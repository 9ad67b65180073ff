//! `kiln-builderd`: parses flags, loads the configuration, sets up logging and runs the daemon,
//! or (`run-task`) one task process started by the daemon.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Kiln's builder daemon.
#[derive(Debug, Parser)]
#[command(name = "kiln-builderd", version, about)]
struct Cli {
    /// The TOML configuration file.
    #[arg(short, long, default_value = "/etc/kiln/builderd.toml", global = true)]
    config: PathBuf,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the daemon (the default).
    Daemon,
    /// Run one task (started by the daemon, which passes the task on standard input).
    RunTask {
        /// The task id.
        #[arg(long)]
        task_id: i64,
        /// The daemon's process id: the task dies with it.
        #[arg(long)]
        parent_pid: Option<i32>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command.unwrap_or(Command::Daemon) {
        Command::Daemon => daemon(&cli.config),
        Command::RunTask { task_id, parent_pid } => {
            builderd::runner::run_task(task_id, parent_pid, builderd::handlers::REGISTRY)
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            ExitCode::FAILURE
        }
    }
}

fn daemon(config_path: &std::path::Path) -> builderd::Result<()> {
    let stop = builderd::signals::install()?;
    builderd::logging::init_daemon();
    let config = builderd::Config::load(config_path)?;
    let exe = std::env::current_exe().map_err(|e| builderd::Error::io("find", "kiln-builderd", e))?;
    builderd::daemon::run(&config, &exe, builderd::handlers::REGISTRY, stop)
}
