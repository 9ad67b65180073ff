//! The command line: `kiln-builderd [--config FILE] [daemon]` runs the daemon;
//! `kiln-builderd run-task --task-id N` is one task process, started by the daemon.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::error::{Error, Result};
use crate::{Config, daemon, handlers, logging, runner, signals};

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

/// Parses the command line and runs what it asks for.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command.unwrap_or(Command::Daemon) {
        Command::Daemon => run_daemon(&cli.config),
        Command::RunTask { task_id, parent_pid } => runner::run_task(task_id, parent_pid, handlers::REGISTRY),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            ExitCode::FAILURE
        }
    }
}

fn run_daemon(config_path: &Path) -> Result<()> {
    let stop = signals::install()?;
    logging::init_daemon();
    let config = Config::load(config_path)?;
    let exe = std::env::current_exe().map_err(|e| Error::io("find", "kiln-builderd", e))?;
    daemon::run(&config, &exe, handlers::REGISTRY, stop)
}
