//! The cli's errors, how each is shown (one line, as Koji shows it) and its exit code.

use common::FaultCode;
use common::client::ClientError;

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A call failed: a hub fault, or the hub could not be reached.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The configuration is unusable (Koji's `ConfigurationError`).
    #[error("{0}")]
    Config(String),
    /// The command line is wrong in a way only known after parsing it (Koji's
    /// `parser.error`), such as a user that does not exist.
    #[error("{0}")]
    Usage(String),
    /// The command failed with a message of its own (Koji's `error(msg)`).
    #[error("{0}")]
    Failed(String),
    /// The command failed and has already said why (or has nothing to say).
    #[error("exit code {0}")]
    Exit(u8),
    /// Writing the output failed.
    #[error("cannot write output: {0}")]
    Output(#[from] std::io::Error),
}

/// A result with the cli's error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The process exit code, as Koji's: 2 for usage and configuration errors, 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Config(_) | Error::Usage(_) => 2,
            Error::Exit(code) => *code,
            // As a program killed by SIGPIPE would (128 + 13).
            Error::Output(e) if e.kind() == std::io::ErrorKind::BrokenPipe => 141,
            _ => 1,
        }
    }

    /// The line shown on standard error, if any. With `debug`, fault codes are shown too.
    pub fn message(&self, debug: bool) -> Option<String> {
        match self {
            Error::Client(e) => Some(client_message(e, debug)),
            Error::Config(m) | Error::Usage(m) => Some(format!("error: {m}")),
            Error::Failed(m) => Some(m.clone()),
            Error::Exit(_) => None,
            Error::Output(e) if e.kind() == std::io::ErrorKind::BrokenPipe => None,
            Error::Output(_) => Some(self.to_string()),
        }
    }

    /// True for a fault with this code.
    pub fn is_fault(&self, code: FaultCode) -> bool {
        matches!(self, Error::Client(e) if e.is_fault(code))
    }
}

/// Koji's exception class name for a fault code (`convertFault`), `Fault` for unknown codes.
pub fn fault_class(code: i32) -> &'static str {
    FaultCode::from_code(code).map_or("Fault", FaultCode::class_name)
}

fn client_message(error: &ClientError, debug: bool) -> String {
    match error {
        ClientError::Fault(fault) => {
            let class = fault_class(fault.code);
            if debug {
                format!("{class}: {} (fault code {})", fault.message, fault.code)
            } else {
                format!("{class}: {}", fault.message)
            }
        }
        ClientError::Transport { url, reason } => {
            format!("Error: Unable to connect to server {url}: {reason}")
        }
        ClientError::Http { url, status, body } => {
            let body = body.lines().next().unwrap_or_default();
            format!("Error: {url} answered HTTP {status}: {body}")
        }
        ClientError::Protocol { url, reason } => {
            format!("Error: unexpected answer from {url}: {reason}")
        }
        ClientError::Config(message) => format!("Error: {message}"),
        ClientError::Io { path, source } => format!("Error: cannot read {path}: {source}"),
    }
}

#[cfg(test)]
mod tests {
    use common::Fault;

    use super::*;

    fn check(error: Error, debug: bool, expected: Option<&str>, code: u8) {
        assert_eq!(error.message(debug).as_deref(), expected);
        assert_eq!(error.exit_code(), code);
    }

    #[test]
    fn faults_show_their_class() {
        let fault = || Error::Client(ClientError::Fault(Fault::new(1000, "Invalid method: nope")));
        check(fault(), false, Some("GenericError: Invalid method: nope"), 1);
        check(
            fault(),
            true,
            Some("GenericError: Invalid method: nope (fault code 1000)"),
            1,
        );
        check(
            Error::Client(ClientError::Fault(Fault::new(
                1002,
                "invalid username or password",
            ))),
            false,
            Some("AuthError: invalid username or password"),
            1,
        );
        check(
            Error::Client(ClientError::Fault(Fault::new(77, "odd"))),
            false,
            Some("Fault: odd"),
            1,
        );
    }

    #[test]
    fn transport_errors_name_the_url() {
        check(
            Error::Client(ClientError::Transport {
                url: "http://h:1/kojihub".into(),
                reason: "connection refused".into(),
            }),
            false,
            Some("Error: Unable to connect to server http://h:1/kojihub: connection refused"),
            1,
        );
    }

    #[test]
    fn usage_and_exit() {
        check(
            Error::Usage("No such user: x".into()),
            false,
            Some("error: No such user: x"),
            2,
        );
        check(Error::Exit(1), false, None, 1);
        check(
            Error::Output(std::io::Error::from(std::io::ErrorKind::BrokenPipe)),
            false,
            None,
            141,
        );
    }
}
