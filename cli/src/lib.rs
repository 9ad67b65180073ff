//! The `kiln` command-line client: Koji's commands with Koji's names, flags, output and exit
//! codes, over `common::client::ClientSession`, plus live progress for watching.
//!
//! `main` parses the command line and calls [`run`]; [`run`] loads the profile, runs the
//! command with a [`context::Ctx`] and turns errors into one line on stderr and an exit code.

pub mod commands;
pub mod config;
pub mod context;
pub mod error;
pub mod ini;
pub mod output;
pub mod pyliteral;
pub mod watch;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

use crate::commands::Command;
use crate::config::{AuthType, Config, Locations};
use crate::context::{Ctx, Options};
use crate::error::Error;

/// The kiln command line.
#[derive(Debug, Parser)]
#[command(
    name = "kiln",
    version,
    about = "Kiln build system client (Koji-compatible)",
    after_help = "Try \"kiln <command> --help\" for help about the options of a particular command",
    disable_help_subcommand = false,
    subcommand_required = true,
    arg_required_else_help = true
)]
pub struct Cli {
    /// Options before the command, as with `koji`.
    #[command(flatten)]
    pub global: GlobalOptions,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Koji's global options (they go before the command name).
#[derive(Debug, Clone, clap::Args)]
pub struct GlobalOptions {
    /// Specify a configuration profile
    #[arg(short = 'p', long, default_value = "koji", value_name = "PROFILE")]
    pub profile: String,
    /// Load profile's settings from another file (or directory of *.conf files)
    #[arg(short = 'c', long = "config", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Specify a SSL cert to use
    #[arg(long, value_name = "FILE")]
    pub cert: Option<PathBuf>,
    /// Specify the CA that signed the hub's certificate
    #[arg(long, value_name = "FILE")]
    pub serverca: Option<PathBuf>,
    /// Specify user
    #[arg(long)]
    pub user: Option<String>,
    /// Specify password
    #[arg(long, conflicts_with = "password_file")]
    pub password: Option<String>,
    /// Read the password from the first line of a file
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
    /// Do not authenticate
    #[arg(long)]
    pub noauth: bool,
    /// Authenticate even for read-only operations
    #[arg(long)]
    pub force_auth: bool,
    /// Force use of a type of authentication
    #[arg(long, value_enum)]
    pub authtype: Option<AuthType>,
    /// Show debug output (and fault codes)
    #[arg(short = 'd', long)]
    pub debug: bool,
    /// Run quietly
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Url of XMLRPC server
    #[arg(short = 's', long)]
    pub server: Option<String>,
    /// Specify topdir
    #[arg(long)]
    pub topdir: Option<String>,
    /// Url of the Koji web interface
    #[arg(long)]
    pub weburl: Option<String>,
    /// Url for Koji file access
    #[arg(long)]
    pub topurl: Option<String>,
}

/// Writes a warning to stderr as Koji's `warn()` does: the bare text on a line.
pub fn warn(message: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "{message}");
}

/// Sets up tracing to stderr: `RUST_LOG` if set, else warnings (debug with `--debug`).
pub fn init_logging(debug: bool) {
    let default = if debug { "debug" } else { "warn" };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .try_init();
}

/// Runs a parsed command line and returns the exit code.
pub fn run(cli: Cli) -> ExitCode {
    if let Command::Completion(args) = &cli.command {
        return commands::completion::run(args);
    }
    let debug = cli.global.debug;
    let result = Config::load(
        &cli.global.profile,
        cli.global.config.as_deref(),
        &Locations::system(),
    )
    .and_then(|config| Options::resolve(&cli.global, config));
    let options = match result {
        Ok(options) => options,
        Err(error) => return report(&error, debug),
    };
    let debug = options.debug;
    let mut ctx = Ctx::new(options);
    let result = cli.command.run(&mut ctx);
    ctx.finish();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => report(&error, debug),
    }
}

fn report(error: &Error, debug: bool) -> ExitCode {
    if let Some(message) = error.message(debug) {
        warn(&message);
    }
    ExitCode::from(error.exit_code())
}
