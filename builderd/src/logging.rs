//! Tracing setup: the daemon logs to stderr; a task process logs to its `task.log` (uploaded
//! to the hub) and to stderr. Both honour `RUST_LOG` and default to `info`.

use std::path::Path;
use std::sync::Arc;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::writer::MakeWriterExt as _;

use crate::error::{Error, Result};

fn filter() -> EnvFilter {
    EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"))
}

/// Sets up the daemon's subscriber (stderr).
pub fn init_daemon() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter())
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

/// Sets up a task process's subscriber: its log file and stderr.
pub fn init_task(log_file: &Path) -> Result<()> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_file)
        .map_err(|e| Error::io("open", log_file, e))?;
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter())
        .with_writer(Arc::new(file).and(std::io::stderr))
        .with_ansi(false)
        .with_target(false)
        .try_init();
    Ok(())
}
