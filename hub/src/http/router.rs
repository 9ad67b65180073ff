//! Routes HTTP requests: XML-RPC (and raw uploads) at `/kojihub` (and `/kojihub/ssllogin`),
//! `topdir` at `/kojifiles/`, the web interface at `/koji/`, the Module Build Service's REST API
//! at `/module-build-service/`, everything else 404.

use std::sync::Arc;

use bytes::Bytes;
use common::states::KOJI_VERSION;
use common::xmlrpc::encode_response;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use tracing::{debug, error};

use crate::auth::session::SessionHeaders;
use crate::ctx::Ctx;
use crate::error::Error;
use crate::http::{files, upload};
use crate::rpc::call::Peer;
use crate::rpc::run;

/// Response bodies: whole buffers, or streams for files.
pub type Body = BoxBody<Bytes, std::io::Error>;

/// A body holding `bytes`.
pub fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into()).map_err(|never| match never {}).boxed()
}

/// A plain-text response.
pub fn text(status: StatusCode, message: impl Into<String>) -> Response<Body> {
    let mut response = Response::new(full(message.into()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// Handles one request.
pub async fn route(ctx: Arc<Ctx>, peer: Arc<Peer>, request: Request<Incoming>) -> Response<Body> {
    let path = request.uri().path().to_owned();
    match path.as_str() {
        "/kojihub" | "/kojihub/" => xmlrpc(ctx, peer, request, false).await,
        "/kojihub/ssllogin" | "/kojihub/ssllogin/" => xmlrpc(ctx, peer, request, true).await,
        "/" => text(StatusCode::OK, "Kiln hub: XML-RPC at /kojihub\n"),
        p if p == crate::web::PREFIX || p.starts_with("/koji/") => {
            crate::web::route(ctx, peer, request).await
        }
        p if p == files::PREFIX || p.starts_with("/kojifiles/") => files::serve(ctx, request).await,
        p if p.starts_with(crate::mbs::http::PREFIX) => crate::mbs::http::route(ctx, peer, request).await,
        _ => text(StatusCode::NOT_FOUND, format!("Not found: {path}\n")),
    }
}

fn xml_response(document: String) -> Response<Body> {
    let mut response = Response::new(full(document));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"));
    headers.insert("Koji-Version", HeaderValue::from_static(KOJI_VERSION));
    response
}

/// An XML-RPC fault for a request refused before dispatch, closing the connection when the
/// body was not read.
fn early_fault(error: &Error, close: bool) -> Response<Body> {
    let mut response = xml_response(run::fault_document(error));
    if close {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

async fn xmlrpc(
    ctx: Arc<Ctx>,
    peer: Arc<Peer>,
    request: Request<Incoming>,
    via_ssllogin: bool,
) -> Response<Body> {
    if request.method() != Method::POST {
        let mut response = text(
            StatusCode::METHOD_NOT_ALLOWED,
            "Method Not Allowed\nThis is an XML-RPC server. Only POST requests are accepted.\n",
        );
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        response
            .headers_mut()
            .insert("Koji-Version", HeaderValue::from_static(KOJI_VERSION));
        return response;
    }
    let limit = ctx.config.limits.max_request_bytes;
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        discard(request.into_body()).await;
        return early_fault(&Error::RequestTooLong { limit_bytes: limit }, true);
    }
    let session_headers = match SessionHeaders::from_request(request.headers(), request.uri().query()) {
        Ok(h) => h,
        Err(e) => return early_fault(&e, false),
    };
    let is_upload = request
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"application/octet-stream"));
    if is_upload {
        return raw_upload(ctx, peer, request, session_headers, via_ssllogin).await;
    }
    let body = match read_limited(request.into_body(), limit).await {
        Ok(body) => body,
        Err(error) => return early_fault(&error, true),
    };
    let call_peer = Peer {
        via_ssllogin,
        ..(*peer).clone()
    };
    // Each call runs in its own task: a client that hangs up cannot cancel it halfway through a
    // transaction, and a panic in a handler becomes a fault instead of a dropped connection.
    let task = tokio::spawn(async move { run::handle(&ctx, &body, &session_headers, &call_peer).await });
    match task.await {
        Ok(document) => xml_response(document),
        Err(join_error) => {
            error!(error = %join_error, "a call handler panicked");
            xml_response(run::fault_document(&Error::Internal(
                "the call handler failed unexpectedly".into(),
            )))
        }
    }
}

/// A `rawUpload` chunk: streamed to disk in a task of its own, answered like a call.
async fn raw_upload(
    ctx: Arc<Ctx>,
    peer: Arc<Peer>,
    request: Request<Incoming>,
    session_headers: SessionHeaders,
    via_ssllogin: bool,
) -> Response<Body> {
    let query = request.uri().query().map(str::to_owned);
    let call_peer = Peer {
        via_ssllogin,
        ..(*peer).clone()
    };
    let body = request.into_body();
    let task = tokio::spawn(upload::raw_upload(ctx, call_peer, query, session_headers, body));
    match task.await {
        Ok(Ok(value)) => xml_response(encode_response(&value)),
        Ok(Err(error)) => {
            debug!(error = %error, "rawUpload refused: {error}");
            early_fault(&error, false)
        }
        Err(join_error) => {
            error!(error = %join_error, "an upload handler panicked");
            xml_response(run::fault_document(&Error::Internal(
                "the upload handler failed unexpectedly".into(),
            )))
        }
    }
}

/// How much of an oversized body is read and thrown away before answering, so the client gets
/// the fault instead of a reset connection; past this the connection is simply closed.
const DISCARD_LIMIT: u64 = 64 * 1024 * 1024;

/// Reads a body of at most `limit` bytes into memory.
async fn read_limited(mut body: Incoming, limit: u64) -> Result<Bytes, Error> {
    let mut buffer = bytes::BytesMut::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| Error::InvalidRequest {
            reason: format!("could not read the request body: {e}"),
        })?;
        if let Ok(data) = frame.into_data() {
            if buffer.len() as u64 + data.len() as u64 > limit {
                discard(body).await;
                return Err(Error::RequestTooLong { limit_bytes: limit });
            }
            buffer.extend_from_slice(&data);
        }
    }
    Ok(buffer.freeze())
}

/// Reads and drops the rest of a body, up to [`DISCARD_LIMIT`] bytes.
async fn discard(mut body: Incoming) {
    let mut seen: u64 = 0;
    while let Some(Ok(frame)) = body.frame().await {
        if let Ok(data) = frame.into_data() {
            seen += data.len() as u64;
            if seen > DISCARD_LIMIT {
                return;
            }
        }
    }
}
