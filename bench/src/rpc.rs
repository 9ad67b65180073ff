//! A minimal XML-RPC client for load generation: one keep-alive HTTP/1.1 connection per
//! simulated client, optional Koji session headers.

use bytes::Bytes;
use common::Fault;
use common::xmlrpc::{Value, decode_response, encode_call};
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// A connection to the hub.
pub struct Conn {
    sender: http1::SendRequest<Full<Bytes>>,
    authority: String,
    path: String,
    session: Option<(i64, String, i64)>,
}

/// An error talking to the hub (not a fault).
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Splits `http://host:port/path` into authority and path.
pub fn split_url(url: &str) -> Result<(String, String), BoxError> {
    let rest = url
        .strip_prefix("http://")
        .ok_or("only http:// hub URLs are supported by the benchmark")?;
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    Ok((authority.to_owned(), format!("/{path}")))
}

impl Conn {
    /// Opens a connection.
    pub async fn connect(url: &str) -> Result<Conn, BoxError> {
        let (authority, path) = split_url(url)?;
        let stream = TcpStream::connect(&authority).await?;
        stream.set_nodelay(true)?;
        let (sender, connection) = http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(connection);
        Ok(Conn {
            sender,
            authority,
            path,
            session: None,
        })
    }

    /// Logs in with a password; later calls carry the session.
    pub async fn login(&mut self, user: &str, password: &str) -> Result<(), BoxError> {
        let kwargs = Value::structure([("opts", Value::Nil), ("__starstar", Value::Bool(true))]);
        let result = self
            .call("login", &[Value::from(user), Value::from(password), kwargs])
            .await??;
        let id = result
            .get("session-id")
            .and_then(Value::as_i64)
            .ok_or("login returned no session id")?;
        let key = result
            .get("session-key")
            .and_then(Value::as_str)
            .ok_or("login returned no key")?
            .to_owned();
        self.session = Some((id, key, 0));
        Ok(())
    }

    /// Calls a method.
    pub async fn call(&mut self, method: &str, params: &[Value]) -> Result<Result<Value, Fault>, BoxError> {
        self.send(Bytes::from(encode_call(method, params))).await
    }

    /// Sends a pre-encoded call.
    pub async fn send(&mut self, body: Bytes) -> Result<Result<Value, Fault>, BoxError> {
        let bytes = self.post(body).await?;
        Ok(decode_response(&bytes)?)
    }

    /// Sends a pre-encoded call and only checks that the answer is not a fault, without
    /// decoding it (as `wrk` does): what a measurement costs the load generator should not
    /// grow with the size of the answer.
    pub async fn send_checked(&mut self, body: Bytes) -> Result<bool, BoxError> {
        let bytes = self.post(body).await?;
        // `<fault>` follows `<methodResponse>` at the start of a fault document.
        let head = &bytes[..bytes.len().min(256)];
        Ok(!head.windows(7).any(|w| w == b"<fault>"))
    }

    async fn post(&mut self, body: Bytes) -> Result<Bytes, BoxError> {
        let mut request = Request::post(&self.path)
            .header("Host", &self.authority)
            .header("Content-Type", "text/xml");
        if let Some((id, key, callnum)) = &mut self.session {
            request = request
                .header("Koji-Session-Id", id.to_string())
                .header("Koji-Session-Key", key.as_str())
                .header("Koji-Session-Callnum", callnum.to_string());
            *callnum += 1;
        }
        self.sender.ready().await?;
        let response = self.sender.send_request(request.body(Full::new(body))?).await?;
        let status = response.status();
        let bytes = response.into_body().collect().await?.to_bytes();
        if !status.is_success() {
            return Err(format!("HTTP {status}").into());
        }
        Ok(bytes)
    }
}
