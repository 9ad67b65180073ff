//! `kiln completion SHELL`: shell completion scripts generated from the command definitions.

use std::process::ExitCode;

use clap::CommandFactory;
use clap_complete::Shell;

use crate::Cli;

/// Arguments of `completion`.
#[derive(Debug, clap::Args)]
pub struct CompletionArgs {
    /// The shell
    #[arg(value_enum)]
    pub shell: Shell,
}

/// Writes the script to standard output.
pub fn run(args: &CompletionArgs) -> ExitCode {
    let mut command = Cli::command();
    clap_complete::generate(args.shell, &mut command, "kiln", &mut std::io::stdout());
    ExitCode::SUCCESS
}
