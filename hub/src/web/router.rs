//! Routes `/koji/…` requests to pages and actions, and turns failures into error pages with
//! the right status.

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use tracing::{debug, error};

use super::api::Api;
use super::auth::{self, Visitor};
use super::error::{WebError, WebResult};
use super::params::Form;
use super::{actions, pages, render};
use crate::ctx::Ctx;
use crate::error::Error;
use crate::http::router::{Body, full};
use crate::rpc::call::Peer;

/// The path prefix of the web interface.
pub const PREFIX: &str = "/koji";

/// The largest form body accepted (login and action forms are tiny).
const MAX_FORM_BYTES: usize = 64 * 1024;

/// What a page handler produces.
pub enum Reply {
    /// An HTML page.
    Html(String),
    /// A redirect (303) to a path, optionally setting a cookie.
    Redirect {
        /// Where to.
        location: String,
        /// A `Set-Cookie` value.
        cookie: Option<HeaderValue>,
    },
    /// Plain text (log files), with extra headers.
    Text {
        /// The body.
        body: Vec<u8>,
        /// Extra headers.
        headers: Vec<(&'static str, String)>,
    },
}

/// One request as a page sees it.
pub struct PageRequest<'a> {
    /// The page's view of the hub.
    pub api: Api<'a>,
    /// Who is asking.
    pub visitor: Visitor,
    /// The query string, decoded.
    pub query: Form,
    /// The form body of a POST, decoded.
    pub form: Form,
    /// The request method.
    pub method: Method,
    /// The connection's peer.
    pub peer: &'a Peer,
}

fn html_response(status: StatusCode, body: String) -> Response<Body> {
    let mut response = Response::new(full(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert("X-Content-Type-Options", HeaderValue::from_static("nosniff"));
    headers.insert("X-Frame-Options", HeaderValue::from_static("DENY"));
    response
}

fn static_response(content_type: &'static str, body: &'static str) -> Response<Body> {
    let mut response = Response::new(full(body));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("max-age=3600"));
    response
}

fn error_response(error: &WebError, visitor: &Visitor) -> Response<Body> {
    let status = error.status();
    if error.is_internal() {
        error!(error = %error, "web page failed: {error}");
    } else {
        debug!(error = %error, status = status.as_u16(), "web page refused: {error}");
    }
    let message = if error.is_internal() {
        "The hub could not show this page; the error is in its log.".to_owned()
    } else {
        match error {
            WebError::Hub(hub_error) => common::Fault::from(hub_error).message,
            other => other.to_string(),
        }
    };
    let title = status.canonical_reason().unwrap_or("Error");
    let context = minijinja::context! { status => status.as_u16(), title => title, message => message };
    match render::page("error.html", visitor, context) {
        Ok(body) => html_response(status, body),
        Err(_) => crate::http::router::text(status, message),
    }
}

/// Handles a request under [`PREFIX`].
pub async fn route(ctx: Arc<Ctx>, peer: Arc<Peer>, request: Request<Incoming>) -> Response<Body> {
    let path = request.uri().path().to_owned();
    let rest = path.strip_prefix(PREFIX).unwrap_or(&path);
    let name = rest.trim_start_matches('/').trim_end_matches('/');
    match name {
        "static/kiln.css" => return static_response("text/css; charset=utf-8", render::STYLESHEET),
        "static/kiln.js" => return static_response("text/javascript; charset=utf-8", render::SCRIPT),
        "" if !rest.ends_with('/') => {
            let mut response = Response::new(full(""));
            *response.status_mut() = StatusCode::MOVED_PERMANENTLY;
            response
                .headers_mut()
                .insert(header::LOCATION, HeaderValue::from_static("/koji/"));
            return response;
        }
        _ => {}
    }
    let started = Instant::now();
    let name = if name.is_empty() { "index" } else { name }.to_owned();
    let task = tokio::spawn(async move { serve(&ctx, &peer, &name, request).await });
    let mut response = match task.await {
        Ok(response) => response,
        Err(join_error) => {
            error!(error = %join_error, "a web page handler panicked");
            error_response(
                &WebError::Hub(Error::Internal("the page handler failed".into())),
                &Visitor::default(),
            )
        }
    };
    let elapsed = started.elapsed();
    // The time the hub spent on the page, for browsers' developer tools and for tests.
    if let Ok(value) = HeaderValue::from_str(&format!("hub;dur={:.1}", elapsed.as_secs_f64() * 1000.0)) {
        response.headers_mut().insert("Server-Timing", value);
    }
    debug!(path = %path, status = response.status().as_u16(), duration_ms = elapsed.as_millis() as u64, "served {path}");
    response
}

async fn serve(ctx: &Ctx, peer: &Peer, name: &str, request: Request<Incoming>) -> Response<Body> {
    let api = match Api::connect(ctx, peer, None).await {
        Ok(api) => api,
        Err(e) => return error_response(&WebError::Hub(e), &Visitor::default()),
    };
    let visitor = match api.db() {
        Ok(client) => auth::visitor(ctx, client, request.headers(), peer).await,
        Err(_) => Visitor::default(),
    };
    let (parts, body) = request.into_parts();
    let query = match Form::parse(parts.uri.query()) {
        Ok(q) => q,
        Err(e) => return error_response(&e, &visitor),
    };
    let form = if parts.method == Method::POST {
        match read_form(body).await {
            Ok(form) => form,
            Err(e) => return error_response(&e, &visitor),
        }
    } else {
        Form::default()
    };
    let api = api.with_session(visitor.session.clone());
    let mut page = PageRequest {
        api,
        visitor: visitor.clone(),
        query,
        form,
        method: parts.method,
        peer,
    };
    match dispatch(name, &mut page).await {
        Ok(Reply::Html(body)) => html_response(StatusCode::OK, body),
        Ok(Reply::Redirect { location, cookie }) => {
            let mut response = Response::new(full(""));
            *response.status_mut() = StatusCode::SEE_OTHER;
            if let Ok(value) = HeaderValue::from_str(&location) {
                response.headers_mut().insert(header::LOCATION, value);
            }
            if let Some(cookie) = cookie {
                response.headers_mut().insert(header::SET_COOKIE, cookie);
            }
            response
        }
        Ok(Reply::Text { body, headers }) => {
            let mut response = Response::new(full(Bytes::from(body)));
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            );
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            for (name, value) in headers {
                if let Ok(value) = HeaderValue::from_str(&value) {
                    response.headers_mut().insert(name, value);
                }
            }
            response
        }
        Err(e) => error_response(&e, &page.visitor),
    }
}

async fn read_form(body: Incoming) -> WebResult<Form> {
    let collected = Limited::new(body, MAX_FORM_BYTES)
        .collect()
        .await
        .map_err(|e| WebError::BadRequest(format!("could not read the form: {e}")))?
        .to_bytes();
    let text =
        std::str::from_utf8(&collected).map_err(|_| WebError::BadRequest("the form is not UTF-8".into()))?;
    Form::parse(Some(text))
}

/// Requires GET (or HEAD) for a page.
fn get_only(page: &PageRequest<'_>) -> WebResult<()> {
    if page.method == Method::GET || page.method == Method::HEAD {
        Ok(())
    } else {
        Err(WebError::MethodNotAllowed(format!(
            "{} is not accepted here",
            page.method
        )))
    }
}

async fn dispatch(name: &str, page: &mut PageRequest<'_>) -> WebResult<Reply> {
    match name {
        "login" => return actions::login(page).await,
        "logout" => return actions::logout(page).await,
        "canceltask" => return actions::cancel_task(page).await,
        "resubmittask" => return actions::resubmit_task(page).await,
        "cancelbuild" => return actions::cancel_build(page).await,
        "cancelmodule" => return actions::cancel_module(page).await,
        _ => {}
    }
    get_only(page)?;
    let html = match name {
        "index" => pages::index::index(page).await?,
        "tasks" => pages::tasks::tasks(page).await?,
        "taskinfo" => pages::taskinfo::taskinfo(page).await?,
        "tasklog" => pages::taskinfo::tasklog(page).await?,
        "getfile" => return pages::taskinfo::getfile(page).await,
        "builds" => pages::builds::builds(page).await?,
        "buildinfo" => pages::builds::buildinfo(page).await?,
        "modules" => pages::modules::modules(page).await?,
        "moduleinfo" => pages::modules::moduleinfo(page).await?,
        "packages" => pages::packages::packages(page).await?,
        "packageinfo" => pages::packages::packageinfo(page).await?,
        "tags" => pages::tags::tags(page).await?,
        "taginfo" => pages::tags::taginfo(page).await?,
        "buildtargets" => pages::tags::buildtargets(page).await?,
        "buildtargetinfo" => pages::tags::buildtargetinfo(page).await?,
        "hosts" => pages::hosts::hosts(page).await?,
        "hostinfo" => pages::hosts::hostinfo(page).await?,
        "channelinfo" => pages::hosts::channelinfo(page).await?,
        "users" => pages::users::users(page).await?,
        "userinfo" => pages::users::userinfo(page).await?,
        "search" => return pages::search::search(page).await,
        other => return Err(WebError::NotFound(format!("no page named {other:?}"))),
    };
    Ok(Reply::Html(html))
}
