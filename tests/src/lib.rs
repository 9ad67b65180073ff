//! Helpers for the end-to-end tests: running the stock Python `koji` client against a hub, and
//! real hub and builder processes (`cluster`).

#![expect(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test helpers fail loudly, by design"
)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub mod cluster;
pub mod fixtures;
pub mod modules;
pub mod webdriver;

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The stock `koji` CLI (PyPI `koji==1.36.1`): `$KILN_KOJI_CLI`, else `.venv/bin/koji` in the
/// workspace (made by `scripts/test.sh`).
pub fn koji_cli_path() -> PathBuf {
    let path = std::env::var_os("KILN_KOJI_CLI")
        .map_or_else(|| workspace_root().join(".venv/bin/koji"), PathBuf::from);
    assert!(
        path.exists(),
        "the stock koji client is not installed at {}: run scripts/test.sh (it creates .venv with koji==1.36.1) or set KILN_KOJI_CLI",
        path.display()
    );
    path
}

/// The Python of the virtualenv holding the stock client.
pub fn koji_python() -> PathBuf {
    koji_cli_path().with_file_name("python")
}

/// What a command printed.
#[derive(Debug, Clone)]
pub struct Output {
    /// Exit code (-1 if killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Output {
    /// Panics with both streams unless the command succeeded.
    pub fn ok(self) -> Output {
        assert_eq!(
            self.code, 0,
            "command failed:\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

/// Runs the stock koji client with a configuration file.
#[derive(Debug, Clone)]
pub struct KojiCli {
    /// The configuration file passed with `-c`.
    pub config: PathBuf,
}

impl KojiCli {
    /// Runs `koji -c CONFIG ARGS…` (blocking).
    pub fn run(&self, args: &[&str]) -> Output {
        self.run_in(self.config.parent().unwrap(), args)
    }

    /// Runs `koji -c CONFIG ARGS…` with extra environment variables (blocking), e.g. `TZ=UTC`
    /// so that the times the client prints do not depend on the machine.
    pub fn run_with_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        self.run_in_with_env(self.config.parent().unwrap(), args, env)
    }

    /// Runs `koji -c CONFIG ARGS…` in directory `dir` (blocking).
    pub fn run_in(&self, dir: &Path, args: &[&str]) -> Output {
        self.run_in_with_env(dir, args, &[])
    }

    /// Runs `koji -c CONFIG ARGS…` in `dir` with extra environment variables (blocking).
    pub fn run_in_with_env(&self, dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
        let output = Command::new(koji_cli_path())
            .arg("-c")
            .arg(&self.config)
            .args(args)
            .current_dir(dir)
            .env("HOME", self.config.parent().unwrap())
            .envs(env.iter().copied())
            .output()
            .expect("run koji");
        Output {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Runs a Python snippet with the koji library importable (blocking).
    pub fn python(&self, code: &str) -> Output {
        let output = Command::new(koji_python())
            .arg("-c")
            .arg(code)
            .output()
            .expect("run python");
        Output {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}
