//! builderd's configuration: one TOML file, read once in `main`.
//!
//! ```toml
//! server = "https://hub.example/kojihub"
//! host = "builder1"                  # the host name, also its user name
//! password = "secret"                # password login, or:
//! # cert = "/etc/kiln/builder1.pem"  # certificate login (CN = host name), client cert + key
//! serverca = "/etc/kiln/ca.crt"
//! workdir = "/var/tmp/kiln-builderd"
//! maxjobs = 10
//! ```

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Everything builderd reads from its configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The hub's XML-RPC URL (Koji's `server`).
    pub server: String,
    /// The host's name: its login user on the hub.
    pub host: String,
    /// Password login (set with `addHost(…, password=…)` or `editUser(host, password=…)`).
    #[serde(default)]
    pub password: Option<String>,
    /// A file holding the password, instead of `password`.
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    /// Certificate login: the client certificate and key in one PEM file, CN = host name.
    #[serde(default)]
    pub cert: Option<PathBuf>,
    /// CA certificates to verify the hub with; system roots otherwise.
    #[serde(default)]
    pub serverca: Option<PathBuf>,
    /// Where tasks keep their working files and logs.
    pub workdir: PathBuf,
    /// The hub's `topdir`, mounted on this host (Koji's `topdir`): `newRepo` and `createrepo`
    /// read repo skeletons and packages from it. Hosts without it cannot make repos.
    #[serde(default)]
    pub topdir: Option<PathBuf>,
    /// Most tasks running at once (waiting parents do not count).
    #[serde(default = "default_maxjobs")]
    pub maxjobs: usize,
    /// How long one wait for work may last, in seconds (also how often the daemon checks on
    /// its task processes when nothing wakes it earlier).
    #[serde(default = "default_poll_seconds")]
    pub poll_seconds: f64,
    /// Seconds between uploads of a running task's log.
    #[serde(default = "default_log_upload_seconds")]
    pub log_upload_seconds: f64,
    /// Seconds between SIGTERM and SIGKILL when a task is canceled or the daemon stops.
    #[serde(default = "default_kill_grace_seconds")]
    pub kill_grace_seconds: f64,
    /// Seconds the daemon waits for running tasks when asked to stop, before killing them and
    /// giving them back to the hub.
    #[serde(default = "default_shutdown_grace_seconds")]
    pub shutdown_grace_seconds: f64,
    /// Seconds to wait between attempts when the hub cannot be reached.
    #[serde(default = "default_retry_seconds")]
    pub retry_seconds: f64,
    /// Close another exclusive session of this host at login (a previous daemon that died).
    #[serde(default = "default_true")]
    pub force_lock: bool,
}

fn default_maxjobs() -> usize {
    10
}

fn default_poll_seconds() -> f64 {
    10.0
}

fn default_log_upload_seconds() -> f64 {
    1.0
}

fn default_kill_grace_seconds() -> f64 {
    5.0
}

fn default_shutdown_grace_seconds() -> f64 {
    30.0
}

fn default_retry_seconds() -> f64 {
    2.0
}

fn default_true() -> bool {
    true
}

/// A configuration that could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML for this struct.
    #[error("invalid configuration in {path}: {source}")]
    Parse {
        /// The file.
        path: String,
        /// The cause.
        #[source]
        source: Box<toml::de::Error>,
    },
    /// A value is out of range or settings conflict.
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

impl Config {
    /// Reads and validates a configuration file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Config::parse(&text, path)
    }

    /// Parses and validates configuration text (`origin` names it in errors).
    pub fn parse(text: &str, origin: &Path) -> Result<Config, ConfigError> {
        let mut config: Config = toml::from_str(text).map_err(|source| ConfigError::Parse {
            path: origin.display().to_string(),
            source: Box::new(source),
        })?;
        if let Some(file) = config.password_file.clone() {
            if config.password.is_some() {
                return Err(ConfigError::Invalid(
                    "password and password_file exclude each other".into(),
                ));
            }
            let password = std::fs::read_to_string(&file).map_err(|source| ConfigError::Read {
                path: file.display().to_string(),
                source,
            })?;
            config.password = Some(password.trim().to_owned());
        }
        config.validate()?;
        Ok(config)
    }

    /// Checks values serde cannot check.
    pub fn validate(&self) -> Result<(), ConfigError> {
        match (&self.password, &self.cert) {
            (Some(_), Some(_)) => {
                return Err(ConfigError::Invalid(
                    "give either a password or a certificate, not both".into(),
                ));
            }
            (None, None) => {
                return Err(ConfigError::Invalid(
                    "a password (or password_file) or a certificate (cert) is needed to log in".into(),
                ));
            }
            _ => {}
        }
        if self.maxjobs == 0 {
            return Err(ConfigError::Invalid("maxjobs must be at least 1".into()));
        }
        let positive = [
            ("poll_seconds", self.poll_seconds),
            ("log_upload_seconds", self.log_upload_seconds),
            ("kill_grace_seconds", self.kill_grace_seconds),
            ("retry_seconds", self.retry_seconds),
        ];
        for (name, value) in positive {
            if !(value.is_finite() && value > 0.0) {
                return Err(ConfigError::Invalid(format!(
                    "{name} must be a positive number of seconds"
                )));
            }
        }
        if !(self.shutdown_grace_seconds.is_finite() && self.shutdown_grace_seconds >= 0.0) {
            return Err(ConfigError::Invalid(
                "shutdown_grace_seconds must not be negative".into(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, String> {
        Config::parse(text, Path::new("t")).map_err(|e| e.to_string())
    }

    const BASE: &str = "server = \"http://h/kojihub\"\nhost = \"b1\"\nworkdir = \"/w\"\n";

    #[test]
    fn minimal_config_gets_defaults() {
        let config = parse(&format!("{BASE}password = \"pw\"\n")).unwrap();
        assert_eq!(config.maxjobs, 10);
        assert!(config.force_lock);
        assert_eq!(config.poll_seconds, 10.0);
    }

    #[test]
    fn bad_configs_say_why() {
        let check = |text: String, expected: &str| {
            let error = parse(&text).unwrap_err();
            assert!(error.contains(expected), "{error}");
        };
        check(
            format!("{BASE}password = \"pw\"\nbogus = 1\n"),
            "unknown field `bogus`",
        );
        check(BASE.to_owned(), "a password");
        check(format!("{BASE}password = \"pw\"\ncert = \"/c\"\n"), "not both");
        check(format!("{BASE}password = \"pw\"\nmaxjobs = 0\n"), "maxjobs");
        check(
            format!("{BASE}password = \"pw\"\npoll_seconds = 0\n"),
            "poll_seconds",
        );
        check("host = \"b\"\n".to_owned(), "server");
    }

    #[test]
    fn password_files_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pw");
        std::fs::write(&file, "secret\n").unwrap();
        let config = parse(&format!(
            "{BASE}password_file = {:?}\n",
            file.display().to_string()
        ))
        .unwrap();
        assert_eq!(config.password.as_deref(), Some("secret"));
    }
}
