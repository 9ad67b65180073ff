//! The buildroot backend interface and its errors.

use std::path::{Path, PathBuf};
use std::process::ExitStatus;

use crate::buildroot::packages::InstalledPackage;
use crate::process::describe_exit;

/// Why a buildroot step failed.
#[derive(Debug, thiserror::Error)]
pub enum BuildrootError {
    /// A program could not be started, or a file operation failed.
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
    /// A command ran and failed; its output is in `log`.
    #[error("{program} {}", describe_exit(*status))]
    Failed {
        /// The program (`dnf`, `rpmbuild`, …).
        program: String,
        /// How it ended.
        status: ExitStatus,
        /// The log holding its output.
        log: PathBuf,
    },
    /// A command ran longer than allowed and was killed with its process group.
    #[error("{program} was killed after running longer than {seconds} seconds")]
    Timeout {
        /// The program.
        program: String,
        /// The limit.
        seconds: f64,
        /// The log holding its output.
        log: PathBuf,
    },
    /// The task was canceled while a command ran; the command was killed.
    #[error("{program} was canceled")]
    Canceled {
        /// The program.
        program: String,
    },
    /// The buildroot cannot be set up as asked (a path the overlay cannot take, …).
    #[error("{0}")]
    Setup(String),
}

impl BuildrootError {
    /// An I/O failure on `path`.
    pub fn io(action: &'static str, path: impl AsRef<Path>, source: std::io::Error) -> BuildrootError {
        BuildrootError::Io {
            action,
            path: path.as_ref().display().to_string(),
            source,
        }
    }

    /// The name of the log a user should read (`root.log`, `build.log`), if a command failed.
    pub fn log_name(&self) -> Option<String> {
        match self {
            BuildrootError::Failed { log, .. } | BuildrootError::Timeout { log, .. } => {
                log.file_name().map(|name| name.to_string_lossy().into_owned())
            }
            _ => None,
        }
    }
}

/// A buildroot: set up once per task, used for one or more commands, then expired.
/// Logs are files in the task's log directory; each command appends to the one it is given.
pub trait Buildroot {
    /// Creates the buildroot's directories and its minimal system files.
    fn init(&mut self) -> Result<(), BuildrootError>;

    /// Installs comps `groups` (without `@`) and `extra` package specs (`libfoo-devel >= 2.0`)
    /// from the repo, appending the package manager's output to `log`.
    fn install(&mut self, groups: &[&str], extra: &[String], log: &Path) -> Result<(), BuildrootError>;

    /// Runs `argv` inside the buildroot (cwd `/builddir`), appending its output to `log`.
    fn run(&self, argv: &[String], log: &Path) -> Result<(), BuildrootError>;

    /// The installed packages, read from the buildroot's rpmdb (Koji's `getPackageList`).
    fn package_list(&self) -> Result<Vec<InstalledPackage>, BuildrootError>;

    /// Removes what the buildroot holds on disk, except the build directory's results.
    fn expire(&mut self) -> Result<(), BuildrootError>;

    /// The host path seen as `/builddir` inside the buildroot.
    fn build_dir(&self) -> &Path;
}
