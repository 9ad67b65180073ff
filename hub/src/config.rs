//! The hub's configuration: one TOML file, read once in `main` and passed down in `Ctx`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Everything the hub reads from its configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address to listen on. Plain HTTP and TLS are both accepted on it (TLS only when `[tls]`
    /// is configured); the first byte of a connection tells them apart.
    pub listen: SocketAddr,
    /// Directory the hub owns: the managed PostgreSQL cluster lives under it.
    pub state_dir: PathBuf,
    /// Koji's `topdir`: uploads, task output, packages, repos.
    pub topdir: PathBuf,
    /// PostgreSQL connection string (`host=… dbname=…` or a `postgresql://` URL). Absent: the hub
    /// runs its own managed cluster under `state_dir`.
    #[serde(default)]
    pub database_url: Option<String>,
    /// URL prefix under which `topdir` is served, as clients should use it (Koji's `topurl`).
    #[serde(default)]
    pub topurl: Option<String>,
    /// URL of the web interface, as clients should use it (Koji's `weburl`).
    #[serde(default)]
    pub weburl: Option<String>,
    /// TLS with client certificates.
    #[serde(default)]
    pub tls: Option<TlsConfig>,
    /// Request limits.
    #[serde(default)]
    pub limits: Limits,
    /// Login and session rules.
    #[serde(default)]
    pub auth: AuthConfig,
    /// Connection pool size.
    #[serde(default = "default_pool_size")]
    pub db_pool_size: usize,
    /// Task scheduling and host liveness.
    #[serde(default)]
    pub scheduler: SchedulerConfig,
    /// SCM URLs `build` accepts, as shell globs over the URL without its `#commit` (Kiln's
    /// form of kojid's `allowed_scms`); empty refuses every SCM build.
    #[serde(default)]
    pub allowed_scms: Vec<String>,
    /// The Module Build Service.
    #[serde(default)]
    pub mbs: crate::mbs::config::MbsConfig,
}

/// Task scheduling and host liveness.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchedulerConfig {
    /// Seconds without a check-in after which a host counts as gone: it is marked not ready and
    /// its ASSIGNED and OPEN tasks are freed for other hosts (Koji's `HostTimeout`).
    #[serde(default = "default_host_timeout")]
    pub host_timeout_seconds: f64,
    /// Seconds an ASSIGNED task may wait for its host to open it before it is freed
    /// (Koji's `AssignTimeout`).
    #[serde(default = "default_assign_timeout")]
    pub assign_timeout_seconds: f64,
    /// Seconds between the hub's checks for silent hosts and stale assignments.
    #[serde(default = "default_check_interval")]
    pub check_interval_seconds: f64,
    /// How many times a task may be handed out before losing its host fails it instead of
    /// freeing it again.
    #[serde(default = "default_max_task_runs")]
    pub max_task_runs: i64,
    /// Tasks a host may hold when it does not report `maxjobs` (Koji's `MaxJobs`).
    #[serde(default = "default_maxjobs")]
    pub default_maxjobs: i64,
    /// How far a heavy task may push a host past its capacity (Koji's `CapacityOvercommit`).
    #[serde(default = "default_capacity_overcommit")]
    pub capacity_overcommit: f64,
    /// Seconds a host's soft refusal of a task keeps it away from that host.
    #[serde(default = "default_soft_refusal")]
    pub soft_refusal_seconds: f64,
    /// The longest a long-polling call (`host.waitTasks`, `host.waitSubtasks`) waits.
    #[serde(default = "default_max_wait")]
    pub max_wait_seconds: f64,
}

impl Default for SchedulerConfig {
    fn default() -> Self {
        SchedulerConfig {
            host_timeout_seconds: default_host_timeout(),
            assign_timeout_seconds: default_assign_timeout(),
            check_interval_seconds: default_check_interval(),
            max_task_runs: default_max_task_runs(),
            default_maxjobs: default_maxjobs(),
            capacity_overcommit: default_capacity_overcommit(),
            soft_refusal_seconds: default_soft_refusal(),
            max_wait_seconds: default_max_wait(),
        }
    }
}

fn default_host_timeout() -> f64 {
    900.0
}

fn default_assign_timeout() -> f64 {
    300.0
}

fn default_check_interval() -> f64 {
    10.0
}

fn default_max_task_runs() -> i64 {
    3
}

fn default_maxjobs() -> i64 {
    15
}

fn default_capacity_overcommit() -> f64 {
    5.0
}

fn default_soft_refusal() -> f64 {
    900.0
}

fn default_max_wait() -> f64 {
    60.0
}

/// TLS settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// The server certificate chain (PEM).
    pub cert: PathBuf,
    /// The server's private key (PEM).
    pub key: PathBuf,
    /// CA certificates that sign client certificates (PEM). Without it, `sslLogin` is refused.
    #[serde(default)]
    pub client_ca: Option<PathBuf>,
}

/// Request limits.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Largest request body accepted, in bytes (Koji's `MaxRequestLength`).
    #[serde(default = "default_max_request_bytes")]
    pub max_request_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_request_bytes: default_max_request_bytes(),
        }
    }
}

/// Login and session rules.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    /// Minutes after which a session must be renewed (Koji's `SessionRenewalTimeout`); 0 = never.
    #[serde(default = "default_session_renewal_minutes")]
    pub session_renewal_minutes: u64,
    /// Bind sessions to the client's IP address (Koji's `CheckClientIP`).
    #[serde(default = "default_true")]
    pub check_client_ip: bool,
    /// Create a user on first certificate login (Koji's `LoginCreatesUser`).
    #[serde(default = "default_true")]
    pub login_creates_user: bool,
    /// Which component of the certificate subject names the user (Koji's `DNUsernameComponent`).
    #[serde(default = "default_dn_component")]
    pub dn_username_component: String,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            session_renewal_minutes: default_session_renewal_minutes(),
            check_client_ip: true,
            login_creates_user: true,
            dn_username_component: default_dn_component(),
        }
    }
}

fn default_pool_size() -> usize {
    16
}

fn default_max_request_bytes() -> u64 {
    100 * 1024 * 1024
}

fn default_session_renewal_minutes() -> u64 {
    1440
}

fn default_true() -> bool {
    true
}

fn default_dn_component() -> String {
    "CN".to_owned()
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
    /// A value is out of range.
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
        let config: Config = toml::from_str(text).map_err(|source| ConfigError::Parse {
            path: origin.display().to_string(),
            source: Box::new(source),
        })?;
        config.validate()?;
        Ok(config)
    }

    /// Checks values serde cannot check.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.limits.max_request_bytes < 1024 {
            return Err(ConfigError::Invalid(
                "limits.max_request_bytes must be at least 1024".into(),
            ));
        }
        if self.db_pool_size == 0 {
            return Err(ConfigError::Invalid("db_pool_size must be at least 1".into()));
        }
        if self.auth.dn_username_component.is_empty() {
            return Err(ConfigError::Invalid(
                "auth.dn_username_component must not be empty".into(),
            ));
        }
        let scheduler = &self.scheduler;
        let positive = [
            ("host_timeout_seconds", scheduler.host_timeout_seconds),
            ("assign_timeout_seconds", scheduler.assign_timeout_seconds),
            ("check_interval_seconds", scheduler.check_interval_seconds),
            ("max_wait_seconds", scheduler.max_wait_seconds),
        ];
        for (name, value) in positive {
            if !(value.is_finite() && value > 0.0) {
                return Err(ConfigError::Invalid(format!(
                    "scheduler.{name} must be a positive number of seconds"
                )));
            }
        }
        if scheduler.max_task_runs < 1 || scheduler.default_maxjobs < 1 {
            return Err(ConfigError::Invalid(
                "scheduler.max_task_runs and scheduler.default_maxjobs must be at least 1".into(),
            ));
        }
        self.mbs.validate().map_err(ConfigError::Invalid)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_config_gets_defaults() {
        let config = Config::parse(
            "listen = \"127.0.0.1:0\"\nstate_dir = \"/s\"\ntopdir = \"/t\"\n",
            Path::new("t"),
        )
        .unwrap();
        assert_eq!(config.limits.max_request_bytes, 100 * 1024 * 1024);
        assert_eq!(config.auth.session_renewal_minutes, 1440);
        assert!(config.database_url.is_none());
    }

    #[test]
    fn unknown_keys_are_refused() {
        let err = Config::parse(
            "listen = \"127.0.0.1:0\"\nstate_dir = \"/s\"\ntopdir = \"/t\"\nbogus = 1\n",
            Path::new("t"),
        )
        .unwrap_err();
        assert!(err.to_string().contains("unknown field `bogus`"), "{err}");
    }

    #[test]
    fn missing_required_keys_are_named() {
        let err = Config::parse("listen = \"127.0.0.1:0\"\n", Path::new("t")).unwrap_err();
        assert!(err.to_string().contains("state_dir"), "{err}");
    }
}
