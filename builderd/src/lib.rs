//! The builder daemon: logs in as a build host, takes tasks from the hub and runs each in a
//! process of its own (`kiln-builderd run-task`), with the handlers in `handlers`.
//!
//! `cli::main` parses flags, loads the configuration, sets up logging and calls [`daemon::run`]
//! or [`runner::run_task`].

#![warn(clippy::print_stdout, clippy::print_stderr)]
#![deny(clippy::unwrap_used, clippy::expect_used)]

pub mod buildroot;
pub mod buildtask;
pub mod cli;
pub mod config;
pub mod daemon;
pub mod error;
pub mod handler;
pub mod handlers;
pub mod launch;
pub mod logging;
pub mod logstream;
pub mod process;
pub mod rpmbuild;
pub mod runner;
pub mod scm;
pub mod signals;
pub mod srpm;

pub use config::Config;
pub use error::{Error, Result, TaskError};
pub use handler::{HandlerEntry, SubtaskOptions, TaskContext, TaskHandler};
