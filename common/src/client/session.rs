//! A blocking client session for a Koji-compatible hub: password or certificate login,
//! `Koji-Session-*` headers with an increasing call number, multicall, retries on transport
//! errors, re-login on an expired session, and raw uploads.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use tracing::{debug, warn};
use ureq::tls::{ClientCert, PemItem, RootCerts, TlsConfig};

use crate::checksum::Adler32;
use crate::fault::{Fault, FaultCode};
use crate::wire::SessionCredentials;
use crate::xmlrpc::{Params, STARSTAR, Struct, Value, decode_response, encode_call, from_value};

/// How to reach a hub.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The XML-RPC URL, e.g. `https://hub.example/kojihub`.
    pub server: String,
    /// Client certificate and key in one PEM file (Koji's `cert`).
    pub cert: Option<PathBuf>,
    /// CA certificates to verify the hub with (Koji's `serverca`); system roots otherwise.
    pub serverca: Option<PathBuf>,
    /// Time limit for one HTTP request.
    pub timeout: Duration,
    /// Retries after a transport error (connection refused, reset, timeout).
    pub max_retries: u32,
    /// Pause between retries.
    pub retry_interval: Duration,
}

impl ClientConfig {
    /// Defaults for interactive use: no retries, 12 hour timeout (Koji's default).
    pub fn new(server: impl Into<String>) -> ClientConfig {
        ClientConfig {
            server: server.into(),
            cert: None,
            serverca: None,
            timeout: Duration::from_secs(43_200),
            max_retries: 0,
            retry_interval: Duration::from_secs(2),
        }
    }
}

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The hub answered with a fault.
    #[error("{0}")]
    Fault(#[from] Fault),
    /// The hub could not be reached, or the connection broke.
    #[error("cannot reach {url}: {reason}")]
    Transport {
        /// The URL.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// The hub answered with an HTTP error status.
    #[error("{url} answered HTTP {status}: {body}")]
    Http {
        /// The URL.
        url: String,
        /// The status code.
        status: u16,
        /// The start of the body.
        body: String,
    },
    /// The answer was not an XML-RPC response, or not the shape expected.
    #[error("unexpected answer from {url}: {reason}")]
    Protocol {
        /// The URL.
        url: String,
        /// What was wrong.
        reason: String,
    },
    /// The client configuration is unusable (a certificate file, say).
    #[error("{0}")]
    Config(String),
    /// A local file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

impl ClientError {
    /// The fault, if the hub answered with one.
    pub fn fault(&self) -> Option<&Fault> {
        match self {
            ClientError::Fault(f) => Some(f),
            _ => None,
        }
    }

    /// True for a fault with `code`.
    pub fn is_fault(&self, code: FaultCode) -> bool {
        self.fault().is_some_and(|f| f.is(code))
    }
}

/// How the session logged in, kept to log in again when the hub says it expired.
#[derive(Debug, Clone)]
enum Login {
    Password {
        user: String,
        password: String,
    },
    Certificate,
    /// A subsession cannot log in again by itself.
    Sub,
}

#[derive(Debug, Clone)]
struct Credentials {
    session_id: i64,
    key: String,
    callnum: i64,
    login: Login,
    exclusive: bool,
}

/// A session with a hub. Safe to share between threads: calls take turns, each request being
/// answered before the next one takes its call number, so the hub sees call numbers in order.
#[derive(Debug)]
pub struct ClientSession {
    agent: ureq::Agent,
    config: ClientConfig,
    credentials: Mutex<Option<Credentials>>,
    /// Held for one request and its answer.
    exchange: Mutex<()>,
}

fn load_pem(path: &Path) -> Result<Vec<u8>, ClientError> {
    std::fs::read(path).map_err(|source| ClientError::Io {
        path: path.display().to_string(),
        source,
    })
}

fn build_agent(config: &ClientConfig) -> Result<ureq::Agent, ClientError> {
    let mut tls = TlsConfig::builder();
    if let Some(ca_path) = &config.serverca {
        let pem = load_pem(ca_path)?;
        let mut cas = Vec::new();
        for item in ureq::tls::parse_pem(&pem) {
            if let Ok(PemItem::Certificate(cert)) = item {
                cas.push(cert.to_owned());
            }
        }
        if cas.is_empty() {
            return Err(ClientError::Config(format!(
                "no CA certificate in {}",
                ca_path.display()
            )));
        }
        tls = tls.root_certs(RootCerts::new_with_certs(&cas));
    }
    if let Some(cert_path) = &config.cert {
        let pem = load_pem(cert_path)?;
        let mut chain = Vec::new();
        let mut key = None;
        for item in ureq::tls::parse_pem(&pem) {
            match item {
                Ok(PemItem::Certificate(cert)) => chain.push(cert.to_owned()),
                Ok(PemItem::PrivateKey(k)) => key = Some(k.to_owned()),
                _ => {}
            }
        }
        let key =
            key.ok_or_else(|| ClientError::Config(format!("no private key in {}", cert_path.display())))?;
        if chain.is_empty() {
            return Err(ClientError::Config(format!(
                "no certificate in {}",
                cert_path.display()
            )));
        }
        tls = tls.client_cert(Some(ClientCert::new_with_certs(&chain, key)));
    }
    Ok(ureq::Agent::config_builder()
        .tls_config(tls.build())
        .http_status_as_error(false)
        .timeout_global(Some(config.timeout))
        .user_agent("kiln/1")
        .max_idle_connections_per_host(8)
        .build()
        .new_agent())
}

impl ClientSession {
    /// An anonymous session.
    pub fn new(config: ClientConfig) -> Result<ClientSession, ClientError> {
        let agent = build_agent(&config)?;
        Ok(ClientSession {
            agent,
            config,
            credentials: Mutex::new(None),
            exchange: Mutex::new(()),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// The hub's XML-RPC URL.
    pub fn server(&self) -> &str {
        &self.config.server
    }

    /// The session id, when logged in.
    pub fn session_id(&self) -> Option<i64> {
        self.lock().as_ref().map(|c| c.session_id)
    }

    /// True when logged in.
    pub fn is_logged_in(&self) -> bool {
        self.lock().is_some()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Credentials>> {
        self.credentials
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Logs in with a user name and password (Koji's `login`).
    pub fn login_password(&self, user: &str, password: &str) -> Result<(), ClientError> {
        self.login(
            Login::Password {
                user: user.to_owned(),
                password: password.to_owned(),
            },
            false,
            false,
        )
    }

    /// Logs in with the configured client certificate (Koji's `sslLogin` at `…/ssllogin`).
    pub fn login_certificate(&self) -> Result<(), ClientError> {
        if self.config.cert.is_none() {
            return Err(ClientError::Config(
                "certificate login needs a client certificate (cert)".into(),
            ));
        }
        self.login(Login::Certificate, false, false)
    }

    fn login(&self, login: Login, renew: bool, exclusive: bool) -> Result<(), ClientError> {
        let mut kwargs = Struct::new();
        if renew {
            kwargs.insert("renew".into(), Value::Bool(true));
            kwargs.insert("exclusive".into(), Value::Bool(exclusive));
        }
        let (url, method, mut params) = match &login {
            Login::Password { user, password } => {
                kwargs.insert("opts".into(), Value::Nil);
                (
                    self.config.server.clone(),
                    "login",
                    vec![Value::from(user.as_str()), Value::from(password.as_str())],
                )
            }
            Login::Certificate => {
                kwargs.insert("proxyuser".into(), Value::Nil);
                (ssl_login_url(&self.config.server), "sslLogin", Vec::new())
            }
            Login::Sub => return Err(ClientError::Config("a subsession cannot log in again".into())),
        };
        kwargs.insert(STARSTAR.into(), Value::Bool(true));
        params.push(Value::Struct(kwargs));
        // A renewal presents the expired credentials so the hub renews that session.
        let headers = if renew {
            self.lock()
                .as_ref()
                .map(|c| (c.session_id, c.key.clone(), c.callnum))
        } else {
            None
        };
        if !renew {
            *self.lock() = None;
        }
        let body = encode_call(method, &params);
        let value = self.post_xml(&url, body, headers)?;
        let creds: SessionCredentials = from_value(value).map_err(|e| ClientError::Protocol {
            url: url.clone(),
            reason: format!("login returned {e}"),
        })?;
        *self.lock() = Some(Credentials {
            session_id: creds.session_id,
            key: creds.session_key,
            callnum: 0,
            login,
            exclusive,
        });
        Ok(())
    }

    /// Makes the session exclusive (builders do this right after logging in).
    pub fn exclusive(&self, force: bool) -> Result<(), ClientError> {
        self.call_kw("exclusiveSession", vec![], vec![("force", Value::Bool(force))])?;
        if let Some(c) = self.lock().as_mut() {
            c.exclusive = true;
        }
        Ok(())
    }

    /// Opens a subsession (kojid opens one per task) and returns it as a session of its own.
    pub fn subsession(&self) -> Result<ClientSession, ClientError> {
        let value = self.call("subsession", vec![])?;
        let creds: SessionCredentials = from_value(value).map_err(|e| ClientError::Protocol {
            url: self.config.server.clone(),
            reason: format!("subsession returned {e}"),
        })?;
        ClientSession::resume(self.config.clone(), creds.session_id, creds.session_key)
    }

    /// A session from existing credentials (a task process resuming its subsession).
    pub fn resume(config: ClientConfig, session_id: i64, key: String) -> Result<ClientSession, ClientError> {
        let session = ClientSession::new(config)?;
        *session.lock() = Some(Credentials {
            session_id,
            key,
            callnum: 0,
            login: Login::Sub,
            exclusive: false,
        });
        Ok(session)
    }

    /// The credentials (id, key), for handing a subsession to a child process.
    pub fn credentials(&self) -> Option<(i64, String)> {
        self.lock().as_ref().map(|c| (c.session_id, c.key.clone()))
    }

    /// Logs out (Koji's `logout`) and forgets the credentials.
    pub fn logout(&self) -> Result<(), ClientError> {
        if !self.is_logged_in() {
            return Ok(());
        }
        let result = self.call("logout", vec![]);
        *self.lock() = None;
        result.map(|_| ())
    }

    /// Calls a method with positional parameters.
    pub fn call(&self, method: &str, params: Vec<Value>) -> Result<Value, ClientError> {
        self.call_params(
            method,
            Params {
                positional: params,
                keywords: Struct::new(),
            },
        )
    }

    /// Calls a method with positional and keyword parameters.
    pub fn call_kw(
        &self,
        method: &str,
        args: Vec<Value>,
        kwargs: Vec<(&str, Value)>,
    ) -> Result<Value, ClientError> {
        let keywords = kwargs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        self.call_params(
            method,
            Params {
                positional: args,
                keywords,
            },
        )
    }

    /// Calls a method with already split parameters.
    pub fn call_params(&self, method: &str, params: Params) -> Result<Value, ClientError> {
        let body = encode_call(method, &params.into_wire());
        match self.send_with_session(&self.config.server, &body) {
            Err(ClientError::Fault(fault)) if fault.is(FaultCode::AuthExpired) => {
                self.renew()?;
                self.send_with_session(&self.config.server, &body)
            }
            other => other,
        }
    }

    /// Runs several calls in one `multiCall`; each result is the value or the fault.
    pub fn multicall(&self, calls: Vec<(String, Params)>) -> Result<Vec<Result<Value, Fault>>, ClientError> {
        let entries: Vec<Value> = calls
            .into_iter()
            .map(|(method, params)| {
                Value::structure([
                    ("methodName", Value::from(method)),
                    ("params", Value::Array(params.into_wire())),
                ])
            })
            .collect();
        let value = self.call("multiCall", vec![Value::Array(entries)])?;
        let Value::Array(results) = value else {
            return Err(ClientError::Protocol {
                url: self.config.server.clone(),
                reason: "multiCall did not return an array".into(),
            });
        };
        Ok(results
            .into_iter()
            .map(|entry| match entry {
                Value::Array(mut one) if one.len() == 1 => Ok(one.pop().unwrap_or(Value::Nil)),
                Value::Struct(fault) => Err(Fault::new(
                    fault
                        .get("faultCode")
                        .and_then(Value::as_i64)
                        .and_then(|c| i32::try_from(c).ok())
                        .unwrap_or(1),
                    fault
                        .get("faultString")
                        .and_then(Value::as_str)
                        .unwrap_or_default(),
                )),
                other => Err(Fault::of(
                    FaultCode::Generic,
                    format!("unexpected multicall entry: {other}"),
                )),
            })
            .collect())
    }

    fn renew(&self) -> Result<(), ClientError> {
        let (login, exclusive) = match self.lock().as_ref() {
            Some(c) => (c.login.clone(), c.exclusive),
            None => return Err(ClientError::Config("not logged in".into())),
        };
        debug!("session expired; logging in again");
        self.login(login, true, exclusive)
    }

    /// Sends a call with the session headers, retrying transport errors.
    fn send_with_session(&self, url: &str, body: &str) -> Result<Value, ClientError> {
        let mut attempt = 0;
        loop {
            let turn = self.take_turn();
            let headers = self.next_callnum();
            let outcome = self.post_xml(url, body.to_owned(), headers);
            drop(turn);
            match outcome {
                Err(error @ (ClientError::Transport { .. } | ClientError::Http { .. }))
                    if attempt < self.config.max_retries =>
                {
                    attempt += 1;
                    warn!(attempt, error = %error, "call failed, retrying: {error}");
                    std::thread::sleep(self.config.retry_interval);
                }
                other => return other,
            }
        }
    }

    /// Waits for this session's previous request to be answered.
    fn take_turn(&self) -> std::sync::MutexGuard<'_, ()> {
        self.exchange
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Takes the next call number: `(session id, key, callnum)`, or `None` when anonymous.
    fn next_callnum(&self) -> Option<(i64, String, i64)> {
        let mut guard = self.lock();
        let creds = guard.as_mut()?;
        let headers = (creds.session_id, creds.key.clone(), creds.callnum);
        creds.callnum += 1;
        Some(headers)
    }

    fn post_xml(
        &self,
        url: &str,
        body: String,
        headers: Option<(i64, String, i64)>,
    ) -> Result<Value, ClientError> {
        let mut request = self.agent.post(url).header("Content-Type", "text/xml");
        if let Some((id, key, callnum)) = &headers {
            request = request
                .header("Koji-Session-Id", id.to_string())
                .header("Koji-Session-Key", key.as_str())
                .header("Koji-Session-Callnum", callnum.to_string());
        }
        let response = request.send(body).map_err(|e| transport(url, &e))?;
        self.read_response(url, response)
    }

    fn read_response(
        &self,
        url: &str,
        mut response: ureq::http::Response<ureq::Body>,
    ) -> Result<Value, ClientError> {
        let status = response.status().as_u16();
        let bytes = response
            .body_mut()
            .with_config()
            .limit(u64::MAX)
            .read_to_vec()
            .map_err(|e| transport(url, &e))?;
        if !(200..300).contains(&status) {
            let text = String::from_utf8_lossy(&bytes);
            return Err(ClientError::Http {
                url: url.to_owned(),
                status,
                body: text.chars().take(500).collect(),
            });
        }
        match decode_response(&bytes) {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(fault)) => Err(ClientError::Fault(fault)),
            Err(e) => Err(ClientError::Protocol {
                url: url.to_owned(),
                reason: e.to_string(),
            }),
        }
    }

    /// A JSON request to a REST endpoint of the same hub (the Module Build Service API), with
    /// this session's TLS settings and, when logged in, its session headers. Returns the HTTP
    /// status and the body text; non-2xx statuses are not errors here. GETs are retried on
    /// transport errors as calls are (`max_retries`, `retry_interval`).
    pub fn rest(&self, method: &str, url: &str, body: Option<&str>) -> Result<(u16, String), ClientError> {
        let credentials = self
            .credentials
            .lock()
            .map_err(|_| ClientError::Config("session lock poisoned".into()))?
            .as_ref()
            .map(|c| (c.session_id, c.key.clone()));
        let mut headers = vec![("Accept".to_owned(), "application/json".to_owned())];
        if let Some((session_id, key)) = credentials {
            headers.push(("Koji-Session-Id".to_owned(), session_id.to_string()));
            headers.push(("Koji-Session-Key".to_owned(), key));
        }
        if method == "GET" {
            // Reads repeat safely: transport errors (a hub restarting) are retried like calls.
            let mut attempt = 0;
            loop {
                let mut request = self.agent.get(url);
                for (name, value) in &headers {
                    request = request.header(name.as_str(), value.as_str());
                }
                let outcome = request
                    .call()
                    .map_err(|e| transport(url, &e))
                    .and_then(|mut response| {
                        let status = response.status().as_u16();
                        let text = response
                            .body_mut()
                            .read_to_string()
                            .map_err(|e| transport(url, &e))?;
                        Ok((status, text))
                    });
                match outcome {
                    Err(error @ ClientError::Transport { .. }) if attempt < self.config.max_retries => {
                        attempt += 1;
                        warn!(attempt, error = %error, "request failed, retrying: {error}");
                        std::thread::sleep(self.config.retry_interval);
                    }
                    other => return other,
                }
            }
        }
        let mut request = match method {
            "PATCH" => self.agent.patch(url),
            "PUT" => self.agent.put(url),
            _ => self.agent.post(url),
        };
        for (name, value) in &headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let response = request
            .header("Content-Type", "application/json")
            .send(body.unwrap_or("{}").as_bytes());
        let mut response = response.map_err(|e| transport(url, &e))?;
        let status = response.status().as_u16();
        let text = response
            .body_mut()
            .read_to_string()
            .map_err(|e| transport(url, &e))?;
        Ok((status, text))
    }

    /// Uploads a local file to `<topdir>/work/<remote_dir>/<name>` with raw upload chunks and
    /// checks the result (Koji's `uploadWrapper` with fast upload).
    pub fn upload_file(
        &self,
        local: &Path,
        remote_dir: &str,
        name: &str,
        chunk_size: usize,
    ) -> Result<(), ClientError> {
        let io_error = |source| ClientError::Io {
            path: local.display().to_string(),
            source,
        };
        let mut file = std::fs::File::open(local).map_err(io_error)?;
        let mut buffer = vec![0_u8; chunk_size.max(1)];
        let mut offset: u64 = 0;
        let mut whole = Adler32::new();
        loop {
            let n = read_full(&mut file, &mut buffer).map_err(io_error)?;
            let chunk = buffer.get(..n).unwrap_or_default();
            if n > 0 || offset == 0 {
                self.upload_chunk(remote_dir, name, offset, chunk, true)?;
                whole.update(chunk);
            }
            offset += n as u64;
            if n < buffer.len() {
                break;
            }
        }
        let result = self.call_kw(
            "checkUpload",
            vec![Value::from(remote_dir), Value::from(name)],
            vec![("verify", Value::from("adler32"))],
        )?;
        let size = result.get("size").and_then(Value::as_i64).unwrap_or(-1);
        let digest = result
            .get("hexdigest")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if u64::try_from(size).ok() != Some(offset) || digest != whole.hexdigest() {
            return Err(ClientError::Protocol {
                url: self.config.server.clone(),
                reason: format!(
                    "upload of {name} ended with size {size} (expected {offset}) and checksum {digest}"
                ),
            });
        }
        Ok(())
    }

    /// Sends one raw upload chunk (`rawUpload`): the hub writes it at `offset` (`-1` appends),
    /// truncating there first when `overwrite`.
    pub fn upload_chunk(
        &self,
        remote_dir: &str,
        name: &str,
        offset: u64,
        data: &[u8],
        overwrite: bool,
    ) -> Result<(), ClientError> {
        let mut url = format!(
            "{}?filename={}&filepath={}&fileverify=adler32&offset={offset}",
            self.config.server,
            urlencode(name),
            urlencode(remote_dir)
        );
        if overwrite {
            url.push_str("&overwrite=1");
        }
        let mut sum = Adler32::new();
        sum.update(data);
        let mut attempt = 0;
        let value = loop {
            let turn = self.take_turn();
            let headers = self.next_callnum();
            let mut request = self
                .agent
                .post(&url)
                .header("Content-Type", "application/octet-stream");
            if let Some((id, key, callnum)) = &headers {
                request = request
                    .header("Koji-Session-Id", id.to_string())
                    .header("Koji-Session-Key", key.as_str())
                    .header("Koji-Session-Callnum", callnum.to_string());
            }
            let outcome = request
                .send(data)
                .map_err(|e| transport(&url, &e))
                .and_then(|response| self.read_response(&url, response));
            drop(turn);
            match outcome {
                Err(error @ ClientError::Transport { .. }) if attempt < self.config.max_retries => {
                    attempt += 1;
                    warn!(attempt, error = %error, "upload chunk failed, retrying: {error}");
                    std::thread::sleep(self.config.retry_interval);
                }
                other => break other?,
            }
        };
        let size = value.get("size").and_then(Value::as_i64);
        let digest = value.get("hexdigest").and_then(Value::as_str);
        if size != i64::try_from(data.len()).ok() || digest != Some(sum.hexdigest().as_str()) {
            return Err(ClientError::Protocol {
                url,
                reason: format!("upload chunk not confirmed: {value}"),
            });
        }
        Ok(())
    }
}

fn read_full(file: &mut std::fs::File, buffer: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        let n = file.read(buffer.get_mut(filled..).unwrap_or_default())?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    Ok(filled)
}

fn transport(url: &str, error: &ureq::Error) -> ClientError {
    ClientError::Transport {
        url: url.to_owned(),
        reason: error.to_string(),
    }
}

/// The `sslLogin` URL: the server URL forced to https, plus `/ssllogin` (as the stock client).
pub fn ssl_login_url(server: &str) -> String {
    let rest = server
        .strip_prefix("http://")
        .or_else(|| server.strip_prefix("https://"))
        .unwrap_or(server);
    format!("https://{}/ssllogin", rest.trim_end_matches('/'))
}

/// Percent-encodes a query parameter value.
pub fn urlencode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(char::from(byte)),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssl_login_url_forces_https() {
        assert_eq!(
            ssl_login_url("http://h:8080/kojihub"),
            "https://h:8080/kojihub/ssllogin"
        );
        assert_eq!(ssl_login_url("https://h/kojihub/"), "https://h/kojihub/ssllogin");
    }

    #[test]
    fn urlencode_reserved() {
        assert_eq!(urlencode("tasks/1/2 a&b"), "tasks%2F1%2F2%20a%26b");
    }

    #[test]
    fn rest_reads_retry_transport_errors_and_writes_do_not() {
        use std::io::{Read, Write};
        // A server that drops its first connection and answers the second.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!(
            "http://{}/module-build-service/1/about/",
            listener.local_addr().unwrap()
        );
        let server = std::thread::spawn(move || {
            let (first, _) = listener.accept().unwrap();
            drop(first);
            let (mut second, _) = listener.accept().unwrap();
            let mut request = [0_u8; 4096];
            let _ = second.read(&mut request).unwrap();
            let body = "{\"api_version\": 2}";
            write!(
                second,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
            .unwrap();
        });
        let mut config = ClientConfig::new(url.clone());
        config.max_retries = 2;
        config.retry_interval = Duration::from_millis(10);
        let session = ClientSession::new(config).unwrap();
        let (status, text) = session.rest("GET", &url, None).unwrap();
        assert_eq!((status, text.as_str()), (200, "{\"api_version\": 2}"));
        server.join().unwrap();

        // A write is not repeated: the dropped connection is the caller's error.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!(
            "http://{}/module-build-service/1/module-builds/",
            listener.local_addr().unwrap()
        );
        let server = std::thread::spawn(move || {
            let (first, _) = listener.accept().unwrap();
            drop(first);
        });
        let mut config = ClientConfig::new(url.clone());
        config.max_retries = 2;
        config.retry_interval = Duration::from_millis(10);
        let session = ClientSession::new(config).unwrap();
        assert!(matches!(
            session.rest("POST", &url, Some("{}")),
            Err(ClientError::Transport { .. })
        ));
        server.join().unwrap();
    }
}
