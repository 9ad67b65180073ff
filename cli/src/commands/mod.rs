//! The commands, one module per family. Each family is a clap `Subcommand` enum flattened
//! into [`Command`], so adding a family is one new file plus one line here and one match arm.

pub mod args;
pub mod builds;
pub mod call;
pub mod completion;
pub mod download;
pub mod history;
pub mod hosts;
pub mod misc;
pub mod modules;
pub mod packages;
pub mod perms;
pub mod repo_watch;
pub mod repos;
pub mod tags;
pub mod targets;
pub mod taskinfo;
pub mod tasks;
pub mod users;

use std::io::Write;

use clap::Subcommand;
use common::xmlrpc::Value;

use crate::context::Ctx;
use crate::error::Result;
use crate::output::json;

/// Every command.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Greetings, versions and raw calls.
    #[command(flatten)]
    Misc(misc::MiscCommand),
    /// Users.
    #[command(flatten)]
    Users(users::UserCommand),
    /// Permissions.
    #[command(flatten)]
    Perms(perms::PermCommand),
    /// Tags and inheritance.
    #[command(flatten)]
    Tags(tags::TagCommand),
    /// Build targets.
    #[command(flatten)]
    Targets(targets::TargetCommand),
    /// Package lists.
    #[command(flatten)]
    Packages(packages::PackageCommand),
    /// History.
    #[command(flatten)]
    History(history::HistoryCommand),
    /// Hosts and channels.
    #[command(flatten)]
    Hosts(hosts::HostCommand),
    /// Tasks.
    #[command(flatten)]
    Tasks(tasks::TaskCommand),
    /// Repos.
    #[command(flatten)]
    Repos(repos::RepoCommand),
    /// Builds.
    #[command(flatten)]
    Builds(builds::BuildCommand),
    /// Download the output of a build task
    DownloadTask(download::DownloadTaskArgs),
    /// Download a built package
    DownloadBuild(download::DownloadBuildArgs),
    /// Module builds (the Module Build Service).
    #[command(flatten)]
    Modules(modules::ModuleCommand),
    /// Print a shell completion script (bash, zsh, fish, elvish or powershell)
    Completion(completion::CompletionArgs),
}

impl Command {
    /// Runs the command.
    pub fn run(self, ctx: &mut Ctx) -> Result<()> {
        match self {
            Command::Misc(command) => command.run(ctx),
            Command::Users(command) => command.run(ctx),
            Command::Perms(command) => command.run(ctx),
            Command::Tags(command) => command.run(ctx),
            Command::Targets(command) => command.run(ctx),
            Command::Packages(command) => command.run(ctx),
            Command::History(command) => command.run(ctx),
            Command::Hosts(command) => command.run(ctx),
            Command::Tasks(command) => command.run(ctx),
            Command::Repos(command) => command.run(ctx),
            Command::Builds(command) => command.run(ctx),
            Command::DownloadTask(args) => download::download_task(ctx, &args),
            Command::DownloadBuild(args) => download::download_build(ctx, &args),
            Command::Modules(command) => command.run(ctx),
            // Handled before a profile is loaded.
            Command::Completion(_) => Ok(()),
        }
    }
}

/// Prints a value as `--json` does (Python's `json.dumps(indent=2)`).
pub fn print_json(ctx: &mut Ctx, value: &Value) -> Result<()> {
    writeln!(ctx.out, "{}", json::to_json(value))?;
    Ok(())
}

/// A struct member as a string (`""` when missing or not a string).
pub fn field_str<'a>(value: &'a Value, key: &str) -> &'a str {
    value.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// A struct member as an integer.
pub fn field_i64(value: &Value, key: &str) -> Option<i64> {
    value.get(key).and_then(Value::as_i64)
}
