//! Koji client profiles: which files are read, in which order, which keys count, and the
//! defaults, as Koji's `read_config` does; plus Kiln's own `mbs_url` key.
//!
//! Unlike the hub's and builderd's TOML files, unknown keys are ignored here: the files are
//! shared with the stock `koji` client and its plugins.

use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::ini::Ini;

/// How to log in (Koji's `authtype`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AuthType {
    /// Never log in.
    Noauth,
    /// A client certificate (`cert`).
    Ssl,
    /// `--user` and a password.
    Password,
    /// Kerberos (GSSAPI); not supported by kiln, accepted so shared profiles still load.
    Kerberos,
}

impl AuthType {
    fn parse(text: &str) -> Option<AuthType> {
        match text {
            "noauth" => Some(AuthType::Noauth),
            "ssl" => Some(AuthType::Ssl),
            "password" => Some(AuthType::Password),
            "kerberos" | "gssapi" => Some(AuthType::Kerberos),
            _ => None,
        }
    }
}

/// One profile's settings after reading the files (Koji's `read_config` result).
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The profile name.
    pub profile: String,
    /// The hub's XML-RPC URL.
    pub server: String,
    /// The web UI's URL.
    pub weburl: String,
    /// Where the hub's files are served, if anywhere.
    pub topurl: Option<String>,
    /// Where the hub's files are mounted.
    pub topdir: String,
    /// Client certificate and key (PEM); `None` when unset and `~/.koji/client.crt` is absent.
    pub cert: Option<PathBuf>,
    /// CA to verify the hub with; `None` means the system roots.
    pub serverca: Option<PathBuf>,
    /// The configured login method; `None` lets the flags decide, as Koji does.
    pub authtype: Option<AuthType>,
    /// Retries of a call after a transport error.
    pub max_retries: u32,
    /// Seconds between retries.
    pub retry_interval: u64,
    /// Whether anonymous calls retry too.
    pub anon_retry: bool,
    /// Seconds one request may take.
    pub timeout: u64,
    /// Seconds between polls when watching.
    pub poll_interval: u64,
    /// Log in even for read-only commands.
    pub force_auth: bool,
    /// Debug output.
    pub debug: bool,
    /// Kiln's Module Build Service API URL; derived from `server` when unset.
    pub mbs_url: Option<String>,
}

/// Where configuration files are looked for: the system directory and the home directory.
#[derive(Debug, Clone)]
pub struct Locations {
    /// `/etc` normally.
    pub etc: PathBuf,
    /// The user's home directory, for `~/.koji/…` and `~` in paths.
    pub home: Option<PathBuf>,
}

impl Locations {
    /// `/etc` and `$HOME`.
    pub fn system() -> Locations {
        Locations {
            etc: PathBuf::from("/etc"),
            home: std::env::var_os("HOME").map(PathBuf::from),
        }
    }

    /// Expands a leading `~/` as Python's `os.path.expanduser` does.
    pub fn expand(&self, path: &str) -> PathBuf {
        match (path.strip_prefix("~/"), &self.home) {
            (Some(rest), Some(home)) => home.join(rest),
            _ if path == "~" => self.home.clone().unwrap_or_else(|| PathBuf::from(path)),
            _ => PathBuf::from(path),
        }
    }
}

/// The `*.conf` files of a directory, sorted by name.
fn directory_contents(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "conf"))
        .collect();
    files.sort();
    files
}

/// The files Koji reads, in order: `/etc/koji.conf.d/*.conf`, `/etc/koji.conf`, then either
/// the `--config` file (or directory), which must exist, or `~/.koji/config.d/*.conf` and
/// `~/.koji/config`.
pub fn config_files(locations: &Locations, user_config: Option<&Path>) -> Result<Vec<PathBuf>, Error> {
    let mut files = directory_contents(&locations.etc.join("koji.conf.d"));
    let etc_conf = locations.etc.join("koji.conf");
    if etc_conf.is_file() {
        files.push(etc_conf);
    }
    match user_config {
        Some(path) => {
            let path = locations.expand(&path.to_string_lossy());
            if path.is_dir() {
                let found = directory_contents(&path);
                if found.is_empty() {
                    return Err(Error::Config(format!(
                        "No config files found in directory: {}",
                        path.display()
                    )));
                }
                files.extend(found);
            } else if path.is_file() {
                files.push(path);
            } else {
                return Err(Error::Config(format!(
                    "Config file {} can't be opened.",
                    path.display()
                )));
            }
        }
        None => {
            if let Some(home) = &locations.home {
                files.extend(directory_contents(&home.join(".koji/config.d")));
                let user = home.join(".koji/config");
                if user.is_file() {
                    files.push(user);
                }
            }
        }
    }
    Ok(files)
}

fn parse_int<T: std::str::FromStr>(name: &str, value: &str) -> Result<T, Error> {
    value
        .trim()
        .parse()
        .map_err(|_| Error::Config(format!("value for {name} config option must be a valid integer")))
}

/// Python's `ConfigParser.getboolean`.
fn parse_bool(name: &str, value: &str) -> Result<bool, Error> {
    match value.trim().to_lowercase().as_str() {
        "1" | "yes" | "true" | "on" => Ok(true),
        "0" | "no" | "false" | "off" => Ok(false),
        _ => Err(Error::Config(format!("Not a boolean: {value} (option {name})"))),
    }
}

impl Config {
    /// Reads the profile from the files Koji would read.
    pub fn load(profile: &str, user_config: Option<&Path>, locations: &Locations) -> Result<Config, Error> {
        let mut ini = Ini::new();
        for file in config_files(locations, user_config)? {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| Error::Config(format!("cannot read {}: {e}", file.display())))?;
            ini.read_str(&text)
                .map_err(|e| Error::Config(format!("{}: {e}", file.display())))?;
        }
        let items = ini
            .items(profile)
            .map_err(|e| Error::Config(e.to_string()))?
            .ok_or_else(|| Error::Config(format!("no configuration for profile name: {profile}")))?;
        let mut config = Config {
            profile: profile.to_owned(),
            server: "http://localhost/kojihub".into(),
            weburl: "http://localhost/koji".into(),
            topurl: None,
            topdir: "/mnt/koji".into(),
            cert: None,
            serverca: None,
            authtype: None,
            max_retries: 30,
            retry_interval: 20,
            anon_retry: true,
            timeout: 43_200,
            poll_interval: 6,
            force_auth: false,
            debug: false,
            mbs_url: None,
        };
        let mut cert = None;
        let mut serverca = None;
        for (name, value) in &items {
            match name.as_str() {
                "server" => config.server = value.clone(),
                "weburl" => config.weburl = value.clone(),
                "topurl" => config.topurl = Some(value.clone()),
                "topdir" => config.topdir = value.clone(),
                "cert" => cert = Some(value.clone()),
                "serverca" => serverca = Some(value.clone()),
                "authtype" => {
                    config.authtype = Some(AuthType::parse(value).ok_or_else(|| {
                        Error::Config(format!(
                            "invalid authtype {value:?} in profile {profile} (expected noauth, ssl, password or kerberos)"
                        ))
                    })?);
                }
                "max_retries" => config.max_retries = parse_int(name, value)?,
                "retry_interval" => config.retry_interval = parse_int(name, value)?,
                "timeout" => config.timeout = parse_int(name, value)?,
                "poll_interval" => config.poll_interval = parse_int(name, value)?,
                "anon_retry" => config.anon_retry = parse_bool(name, value)?,
                "force_auth" => config.force_auth = parse_bool(name, value)?,
                "debug" => config.debug = parse_bool(name, value)?,
                "mbs_url" => config.mbs_url = Some(value.clone()),
                // Koji's other keys and anything unknown are ignored, as Koji ignores them.
                _ => {}
            }
        }
        config.cert = default_file(locations, cert, "~/.koji/client.crt");
        config.serverca = default_file(locations, serverca, "~/.koji/serverca.crt");
        Ok(config)
    }
}

/// Koji's cert defaults: a configured path (expanded), else the default file if it exists.
fn default_file(locations: &Locations, configured: Option<String>, default: &str) -> Option<PathBuf> {
    match configured {
        Some(path) if !path.is_empty() => Some(locations.expand(&path)),
        Some(_) => None,
        None => Some(locations.expand(default)).filter(|p| p.exists()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Tree {
        dir: tempfile::TempDir,
    }

    impl Tree {
        fn new(files: &[(&str, &str)]) -> Tree {
            let dir = tempfile::tempdir().unwrap();
            for (path, text) in files {
                let full = dir.path().join(path);
                std::fs::create_dir_all(full.parent().unwrap()).unwrap();
                std::fs::write(full, text).unwrap();
            }
            Tree { dir }
        }

        fn locations(&self) -> Locations {
            Locations {
                etc: self.dir.path().join("etc"),
                home: Some(self.dir.path().join("home")),
            }
        }

        fn load(&self, profile: &str, user_config: Option<&str>) -> Result<Config, Error> {
            let user_config = user_config.map(|p| self.dir.path().join(p));
            Config::load(profile, user_config.as_deref(), &self.locations())
        }
    }

    #[test]
    fn order_of_files() {
        let tree = Tree::new(&[
            (
                "etc/koji.conf.d/a.conf",
                "[koji]\nserver = etc-d\nweburl = etc-d\ntopurl = etc-d\ntopdir = etc-d\n",
            ),
            (
                "etc/koji.conf",
                "[koji]\nserver = etc\nweburl = etc\ntopurl = etc\n",
            ),
            (
                "home/.koji/config.d/b.conf",
                "[koji]\nserver = home-d\nweburl = home-d\n",
            ),
            ("home/.koji/config.d/ignored.txt", "[koji]\nserver = nope\n"),
            ("home/.koji/config", "[koji]\nserver = home\n"),
        ]);
        let config = tree.load("koji", None).unwrap();
        assert_eq!(
            (
                config.server.as_str(),
                config.weburl.as_str(),
                config.topurl.as_deref(),
                config.topdir.as_str()
            ),
            ("home", "home-d", Some("etc"), "etc-d")
        );
    }

    #[test]
    fn user_config_replaces_home_files() {
        let tree = Tree::new(&[
            ("home/.koji/config", "[koji]\nserver = home\nweburl = home\n"),
            ("other.conf", "[koji]\nserver = other\n"),
        ]);
        let config = tree.load("koji", Some("other.conf")).unwrap();
        assert_eq!(config.server, "other");
        assert_eq!(config.weburl, "http://localhost/koji");
    }

    #[test]
    fn missing_profile_and_file() {
        let tree = Tree::new(&[("home/.koji/config", "[koji]\nserver = home\n")]);
        assert_eq!(
            tree.load("nope", None).unwrap_err().to_string(),
            "no configuration for profile name: nope"
        );
        assert!(
            tree.load("koji", Some("missing.conf"))
                .unwrap_err()
                .to_string()
                .ends_with("missing.conf can't be opened.")
        );
    }

    #[test]
    fn typed_keys_defaults_and_unknown_keys() {
        let tree = Tree::new(&[(
            "home/.koji/config",
            "[kiln]\nserver = s\nauthtype = ssl\ncert = ~/my.pem\nmax_retries = 3\nretry_interval = 1\ntimeout = 9\npoll_interval = 2\nanon_retry = no\nmbs_url = http://m/module-build-service\nprincipal = x@Y\nno_such_key = 1\n",
        )]);
        let config = tree.load("kiln", None).unwrap();
        assert_eq!(config.authtype, Some(AuthType::Ssl));
        assert_eq!(config.cert, Some(tree.dir.path().join("home/my.pem")));
        assert_eq!(config.serverca, None);
        assert_eq!(
            (
                config.max_retries,
                config.retry_interval,
                config.timeout,
                config.poll_interval
            ),
            (3, 1, 9, 2)
        );
        assert!(!config.anon_retry);
        assert_eq!(config.mbs_url.as_deref(), Some("http://m/module-build-service"));
    }

    #[test]
    fn bad_values() {
        let tree = Tree::new(&[(
            "home/.koji/config",
            "[a]\nmax_retries = many\n[b]\nauthtype = magic\n",
        )]);
        assert_eq!(
            tree.load("a", None).unwrap_err().to_string(),
            "value for max_retries config option must be a valid integer"
        );
        assert!(
            tree.load("b", None)
                .unwrap_err()
                .to_string()
                .contains("invalid authtype")
        );
    }

    #[test]
    fn default_cert_when_present() {
        let tree = Tree::new(&[
            ("home/.koji/config", "[koji]\nserver = s\n"),
            ("home/.koji/client.crt", "pem"),
        ]);
        let config = tree.load("koji", None).unwrap();
        assert_eq!(config.cert, Some(tree.dir.path().join("home/.koji/client.crt")));
    }
}
