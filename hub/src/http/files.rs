//! `topdir` served read-only over HTTP at `/kojifiles/` (Koji's `topurl`): GET and HEAD, with
//! `Range: bytes=N-` and `bytes=N-M` so downloads resume. Paths resolve inside `topdir` only.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, StreamBody};
use hyper::body::{Frame, Incoming};
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tracing::debug;

use crate::ctx::Ctx;
use crate::http::router::{Body, full, text};
use crate::http::upload::percent_decode;

/// The URL prefix.
pub const PREFIX: &str = "/kojifiles";

/// Turns the part of the URL after the prefix into a path below `topdir`, refusing `..`.
pub fn relative_path(url_path: &str) -> Option<PathBuf> {
    let rest = url_path.strip_prefix(PREFIX)?;
    let mut path = PathBuf::new();
    for part in rest.split('/') {
        let part = percent_decode(part);
        match part.as_str() {
            "" | "." => {}
            ".." => return None,
            p if p.contains('\0') => return None,
            p => path.push(p),
        }
    }
    Some(path)
}

/// A byte range asked for: `(start, end inclusive)`.
pub fn parse_range(header: &str, length: u64) -> Option<Result<(u64, u64), ()>> {
    let spec = header.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (start, end) = spec.split_once('-')?;
    let last = length.checked_sub(1);
    let range = match (start.trim(), end.trim()) {
        ("", suffix) => {
            let n: u64 = suffix.parse().ok()?;
            match last {
                Some(last) if n > 0 => Ok((length.saturating_sub(n), last)),
                _ => Err(()),
            }
        }
        (start, end) => {
            let start: u64 = start.parse().ok()?;
            let end: Option<u64> = if end.is_empty() {
                None
            } else {
                Some(end.parse().ok()?)
            };
            match last {
                Some(last) if start <= last => Ok((start, end.map_or(last, |e| e.min(last)))),
                _ => Err(()),
            }
        }
    };
    match range {
        Ok((start, end)) if end < start => Some(Err(())),
        other => Some(other),
    }
}

fn not_found(path: &str) -> Response<Body> {
    text(StatusCode::NOT_FOUND, format!("Not found: {path}\n"))
}

/// Resolves the file, following symbolic links only as far as they stay inside `topdir`.
fn resolve(topdir: &Path, relative: &Path) -> Option<PathBuf> {
    let root = topdir.canonicalize().ok()?;
    let full = root.join(relative).canonicalize().ok()?;
    full.starts_with(&root).then_some(full)
}

/// Serves one request under `/kojifiles`.
pub async fn serve(ctx: Arc<Ctx>, request: Request<Incoming>) -> Response<Body> {
    let url_path = request.uri().path().to_owned();
    if request.method() != Method::GET && request.method() != Method::HEAD {
        let mut response = text(
            StatusCode::METHOD_NOT_ALLOWED,
            "Only GET and HEAD are allowed here\n",
        );
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return response;
    }
    let Some(relative) = relative_path(&url_path) else {
        return not_found(&url_path);
    };
    let topdir = ctx.config.topdir.clone();
    let Some(path) = tokio::task::spawn_blocking(move || resolve(&topdir, &relative))
        .await
        .ok()
        .flatten()
    else {
        return not_found(&url_path);
    };
    let Ok(mut file) = tokio::fs::File::open(&path).await else {
        return not_found(&url_path);
    };
    let Ok(meta) = file.metadata().await else {
        return not_found(&url_path);
    };
    if !meta.is_file() {
        return text(StatusCode::FORBIDDEN, format!("Not a file: {url_path}\n"));
    }
    let length = meta.len();
    let range = request
        .headers()
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_range(v, length));
    let (status, start, end) = match range {
        None => (StatusCode::OK, 0, length.saturating_sub(1)),
        Some(Ok((start, end))) => (StatusCode::PARTIAL_CONTENT, start, end),
        Some(Err(())) => {
            let mut response = text(StatusCode::RANGE_NOT_SATISFIABLE, "Range not satisfiable\n");
            if let Ok(value) = HeaderValue::from_str(&format!("bytes */{length}")) {
                response.headers_mut().insert(header::CONTENT_RANGE, value);
            }
            return response;
        }
    };
    let count = if length == 0 { 0 } else { end - start + 1 };
    debug!(path = %path.display(), start, count, "serving {url_path}");
    let body = if request.method() == Method::HEAD || count == 0 {
        full(Bytes::new())
    } else if file.seek(std::io::SeekFrom::Start(start)).await.is_err() {
        return not_found(&url_path);
    } else {
        file_body(file, count)
    };
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(count));
    if status == StatusCode::PARTIAL_CONTENT
        && let Ok(value) = HeaderValue::from_str(&format!("bytes {start}-{end}/{length}"))
    {
        headers.insert(header::CONTENT_RANGE, value);
    }
    response
}

/// Streams `count` bytes of `file` from its current position, 64 KiB at a time.
fn file_body(file: tokio::fs::File, count: u64) -> Body {
    let stream = futures_util::stream::unfold((file, count), |(mut file, remaining)| async move {
        if remaining == 0 {
            return None;
        }
        let want = usize::try_from(remaining.min(64 * 1024)).unwrap_or(64 * 1024);
        let mut buffer = vec![0_u8; want];
        match file.read(&mut buffer).await {
            Ok(0) => None,
            Ok(n) => {
                buffer.truncate(n);
                Some((Ok(Frame::data(Bytes::from(buffer))), (file, remaining - n as u64)))
            }
            Err(e) => Some((Err(e), (file, 0))),
        }
    });
    StreamBody::new(stream).boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_inside() {
        assert_eq!(
            relative_path("/kojifiles/work/tasks/5/5/build.log"),
            Some(PathBuf::from("work/tasks/5/5/build.log"))
        );
        assert_eq!(relative_path("/kojifiles/a%20b"), Some(PathBuf::from("a b")));
        assert_eq!(relative_path("/kojifiles/../etc/passwd"), None);
        assert_eq!(relative_path("/kojifiles/work/%2e%2e/x"), None);
        assert_eq!(relative_path("/other"), None);
    }

    fn check(header: &str, length: u64, expected: Option<Result<(u64, u64), ()>>) {
        assert_eq!(parse_range(header, length), expected, "{header} of {length}");
    }

    #[test]
    fn ranges() {
        check("bytes=0-", 10, Some(Ok((0, 9))));
        check("bytes=4-", 10, Some(Ok((4, 9))));
        check("bytes=2-5", 10, Some(Ok((2, 5))));
        check("bytes=2-50", 10, Some(Ok((2, 9))));
        check("bytes=-3", 10, Some(Ok((7, 9))));
        check("bytes=10-", 10, Some(Err(())));
        check("bytes=0-", 0, Some(Err(())));
        check("bytes=5-2", 10, Some(Err(())));
        check("items=1-2", 10, None);
        check("bytes=1-2,4-5", 10, None);
    }
}
