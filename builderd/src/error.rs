//! builderd's error type, and the fault a failed task reports.

use common::client::ClientError;
use common::{Fault, FaultCode};

/// A failure of the daemon or of a task process.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A call to the hub failed.
    #[error("hub call {method} failed: {source}")]
    Hub {
        /// The method called.
        method: String,
        /// The cause.
        #[source]
        source: ClientError,
    },
    /// The hub answered with something unexpected.
    #[error("unexpected answer to {method}: {detail}")]
    Protocol {
        /// The method called.
        method: String,
        /// What was wrong.
        detail: String,
    },
    /// A local file or process operation failed.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file or program.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The task launch document from the daemon was unusable.
    #[error("bad task launch data: {0}")]
    Launch(String),
    /// The configuration could not be used.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
}

impl Error {
    /// An I/O failure on `path`.
    pub fn io(action: &'static str, path: impl AsRef<std::path::Path>, source: std::io::Error) -> Error {
        Error::Io {
            action,
            path: path.as_ref().display().to_string(),
            source,
        }
    }

    /// A failed hub call.
    pub fn hub(method: &str, source: ClientError) -> Error {
        Error::Hub {
            method: method.to_owned(),
            source,
        }
    }

    /// The hub's fault, if the hub answered with one.
    pub fn fault(&self) -> Option<&Fault> {
        match self {
            Error::Hub { source, .. } => source.fault(),
            _ => None,
        }
    }
}

/// builderd's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a task failed: the fault that goes into `host.failTask`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct TaskError {
    /// Koji's fault code (1005 BuildError for build failures, …).
    pub code: i32,
    /// The message users see.
    pub message: String,
}

impl TaskError {
    /// A failure with one of Koji's codes.
    pub fn new(code: FaultCode, message: impl Into<String>) -> TaskError {
        TaskError {
            code: code.code(),
            message: message.into(),
        }
    }
}

impl From<Error> for TaskError {
    /// A hub fault keeps its code (a failed child's fault re-raised by `taskWaitResults`
    /// fails the parent with the same code); anything else is a generic error.
    fn from(error: Error) -> TaskError {
        match error.fault() {
            Some(fault) => TaskError {
                code: fault.code,
                message: fault.message.clone(),
            },
            None => TaskError::new(FaultCode::Generic, error.to_string()),
        }
    }
}
