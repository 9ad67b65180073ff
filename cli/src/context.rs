//! What every command runs with: the resolved options (profile plus flags), the hub session,
//! Koji's choice of login method, and standard output.
//!
//! Anonymous commands call only `getAPIVersion` before their work (Koji's `ensure_connection`);
//! authenticated ones log in first (Koji's `activate_session`) and log out when the command
//! ends, as the stock client's session destructor does.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

use common::client::{ClientConfig, ClientSession};
use common::xmlrpc::{Params, Struct, Value};
use tracing::debug;

use crate::GlobalOptions;
use crate::config::{AuthType, Config};
use crate::error::{Error, Result};

/// Koji's `API_VERSION`.
pub const API_VERSION: i64 = 1;

/// How the session logged in, for `hello`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoggedIn {
    /// With `--user` and a password.
    Password,
    /// With this client certificate.
    Certificate(PathBuf),
}

/// Options after merging the flags over the profile (flags win, as in Koji).
#[derive(Debug, Clone)]
pub struct Options {
    /// The profile as read from the files.
    pub config: Config,
    /// `--user`.
    pub user: Option<String>,
    /// `--password`, or the first line of `--password-file`.
    pub password: Option<String>,
    /// `--noauth`.
    pub noauth: bool,
    /// `--force-auth` or the profile's `force_auth`.
    pub force_auth: bool,
    /// `--debug` or the profile's `debug`.
    pub debug: bool,
    /// `--quiet`.
    pub quiet: bool,
}

impl Options {
    /// Merges the global flags over a profile.
    pub fn resolve(global: &GlobalOptions, mut config: Config) -> Result<Options> {
        if let Some(server) = &global.server {
            config.server.clone_from(server);
        }
        if let Some(weburl) = &global.weburl {
            config.weburl.clone_from(weburl);
        }
        if let Some(topurl) = &global.topurl {
            config.topurl = Some(topurl.clone());
        }
        if let Some(topdir) = &global.topdir {
            config.topdir.clone_from(topdir);
        }
        if let Some(cert) = &global.cert {
            config.cert = Some(cert.clone());
        }
        if let Some(serverca) = &global.serverca {
            config.serverca = Some(serverca.clone());
        }
        if let Some(authtype) = global.authtype {
            config.authtype = Some(authtype);
        }
        let password = match (&global.password, &global.password_file) {
            (Some(p), _) => Some(p.clone()),
            (None, Some(file)) => Some(read_password_file(file)?),
            (None, None) => None,
        };
        Ok(Options {
            user: global.user.clone(),
            password,
            noauth: global.noauth || config.authtype == Some(AuthType::Noauth),
            force_auth: global.force_auth || config.force_auth,
            debug: global.debug || config.debug,
            quiet: global.quiet,
            config,
        })
    }
}

/// The first line of a password file, without its line end.
pub fn read_password_file(path: &std::path::Path) -> Result<String> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::Failed(format!(
            "Error: cannot read password file {}: {e}",
            path.display()
        ))
    })?;
    Ok(text.lines().next().unwrap_or_default().to_owned())
}

/// Which login `activate_session` would pick.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Method {
    None,
    Certificate(PathBuf),
    Password(String),
}

/// A command's context.
pub struct Ctx {
    /// The resolved options.
    pub options: Options,
    /// Standard output; commands print their results here.
    pub out: Box<dyn Write>,
    session: Option<ClientSession>,
    logged_in: Option<LoggedIn>,
}

impl Ctx {
    /// A context printing to standard output.
    pub fn new(options: Options) -> Ctx {
        Ctx::with_output(options, Box::new(std::io::stdout()))
    }

    /// A context printing to `out`.
    pub fn with_output(options: Options, out: Box<dyn Write>) -> Ctx {
        Ctx {
            options,
            out,
            session: None,
            logged_in: None,
        }
    }

    /// The profile.
    pub fn config(&self) -> &Config {
        &self.options.config
    }

    /// How the session logged in, if it did.
    pub fn logged_in(&self) -> Option<&LoggedIn> {
        self.logged_in.as_ref()
    }

    fn login_method(&self) -> Result<Method> {
        let options = &self.options;
        let authtype = options.config.authtype;
        let cert_file = options.config.cert.clone().filter(|c| c.is_file());
        if options.noauth {
            return Ok(Method::None);
        }
        if authtype == Some(AuthType::Ssl) || (authtype.is_none() && cert_file.is_some()) {
            let cert = options
                .config
                .cert
                .clone()
                .ok_or_else(|| Error::Failed("AuthError: No client cert provided".into()))?;
            return Ok(Method::Certificate(cert));
        }
        if authtype == Some(AuthType::Password) || (authtype.is_none() && options.user.is_some()) {
            let Some(user) = options.user.clone() else {
                return Err(Error::Failed(
                    "Error: authtype password needs --user (and --password, --password-file or a terminal to ask on)"
                        .into(),
                ));
            };
            return Ok(Method::Password(user));
        }
        if authtype == Some(AuthType::Kerberos) {
            return Err(Error::Failed(
                "Error: Kerberos (GSSAPI) login is not supported by kiln; use a client certificate or --user"
                    .into(),
            ));
        }
        Err(Error::Failed(
            "Unable to log in, no authentication methods available".into(),
        ))
    }

    fn open(&mut self, server: String, anonymous: bool) -> Result<()> {
        let config = &self.options.config;
        let mut client = ClientConfig::new(server);
        client.timeout = Duration::from_secs(config.timeout.max(1));
        client.retry_interval = Duration::from_secs(config.retry_interval);
        // Anonymous calls retry only with anon_retry, as in Koji.
        client.max_retries = if anonymous && !config.anon_retry {
            0
        } else {
            config.max_retries
        };
        if client.server.starts_with("https://") {
            client.serverca = config.serverca.clone().filter(|p| !p.as_os_str().is_empty());
        }
        self.session = Some(ClientSession::new(client)?);
        Ok(())
    }

    /// Koji's `ensure_connection`: `getAPIVersion` anonymously (or a login with
    /// `--force-auth`).
    pub fn connect_anonymous(&mut self) -> Result<()> {
        if self.options.force_auth {
            return self.connect_login();
        }
        if self.session.is_none() {
            let server = self.options.config.server.clone();
            self.open(server, true)?;
        }
        self.check_api_version()
    }

    /// Koji's `activate_session`: log in as the profile and flags say, then `getAPIVersion`.
    pub fn connect_login(&mut self) -> Result<()> {
        if self.logged_in.is_some() {
            return Ok(());
        }
        let method = self.login_method()?;
        let mut server = self.options.config.server.clone();
        if matches!(method, Method::Certificate(_)) {
            // Koji forces https for certificate logins and keeps using that URL.
            if let Some(rest) = server.strip_prefix("http://") {
                server = format!("https://{rest}");
            }
        }
        self.open(server, matches!(method, Method::None))?;
        let session = self.session()?;
        match method {
            Method::None => {}
            Method::Certificate(cert) => {
                if std::fs::File::open(&cert).is_err() {
                    return Err(Error::Failed(format!(
                        "AuthError: Certificate {} doesn't exist or is not accessible",
                        cert.display()
                    )));
                }
                let mut client = session.config().clone();
                client.cert = Some(cert.clone());
                let session = ClientSession::new(client)?;
                session.login_certificate()?;
                self.session = Some(session);
                self.logged_in = Some(LoggedIn::Certificate(cert));
            }
            Method::Password(user) => {
                let password = self.password_for(&user)?;
                session.login_password(&user, &password)?;
                self.logged_in = Some(LoggedIn::Password);
            }
        }
        self.check_api_version()?;
        if self.options.debug {
            writeln!(self.out, "successfully connected to hub")?;
        }
        Ok(())
    }

    fn password_for(&self, user: &str) -> Result<String> {
        if let Some(password) = &self.options.password {
            return Ok(password.clone());
        }
        if std::io::stdin().is_terminal() {
            return rpassword::prompt_password(format!("Password for {user}: "))
                .map_err(|e| Error::Failed(format!("Error: cannot read the password: {e}")));
        }
        Err(Error::Failed(format!(
            "Error: no password for {user}: use --password, --password-file or run on a terminal"
        )))
    }

    fn check_api_version(&self) -> Result<()> {
        let version = self.call("getAPIVersion", vec![])?;
        if version.as_i64() != Some(API_VERSION) {
            crate::warn(&format!(
                "WARNING: The server is at API version {version} and the client is at {API_VERSION}"
            ));
        }
        Ok(())
    }

    /// The session; an error if the command did not connect first.
    pub fn session(&self) -> Result<&ClientSession> {
        self.session
            .as_ref()
            .ok_or_else(|| Error::Failed("internal error: call before connecting".into()))
    }

    /// Calls a method with positional arguments.
    pub fn call(&self, method: &str, args: Vec<Value>) -> Result<Value> {
        debug!(method, "calling {method}");
        Ok(self.session()?.call(method, args)?)
    }

    /// Calls a method with positional and keyword arguments.
    pub fn call_kw(&self, method: &str, args: Vec<Value>, kwargs: Vec<(&str, Value)>) -> Result<Value> {
        debug!(method, "calling {method}");
        Ok(self.session()?.call_kw(method, args, kwargs)?)
    }

    /// Calls a method with already built parameters.
    pub fn call_params(&self, method: &str, positional: Vec<Value>, keywords: Struct) -> Result<Value> {
        debug!(method, "calling {method}");
        Ok(self
            .session()?
            .call_params(method, Params { positional, keywords })?)
    }

    /// Logs out now (Koji's explicit `session.logout()` before watching anonymously); later
    /// calls go out without a session.
    pub fn logout(&mut self) {
        if self.logged_in.take().is_some()
            && let Some(session) = &self.session
            && let Err(e) = session.logout()
        {
            debug!(error = %e, "logout failed: {e}");
        }
    }

    /// Logs out if logged in; errors are ignored, as in Koji.
    pub fn finish(&mut self) {
        if self.logged_in.take().is_some()
            && let Some(session) = &self.session
            && let Err(e) = session.logout()
        {
            debug!(error = %e, "logout failed: {e}");
        }
        let _ = self.out.flush();
    }
}
