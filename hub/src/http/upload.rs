//! `rawUpload`: a chunk POSTed as `application/octet-stream` to the XML-RPC URL, with the
//! upload parameters in the query string (`filename`, `filepath`, `fileverify`, `offset`,
//! `overwrite`, `volume`). The body streams to disk; the answer is an XML-RPC response
//! `{size, fileverify, offset, hexdigest}` or a fault, like any call.

use std::sync::Arc;

use bytes::Bytes;
use common::wire::UploadResult;
use common::xmlrpc::{Value, to_value};
use futures_util::StreamExt;
use http_body_util::BodyStream;
use hyper::body::Incoming;
use tracing::{Instrument, debug, field, info_span};

use crate::auth::session::{self, SessionHeaders};
use crate::ctx::Ctx;
use crate::error::{Error, Result};
use crate::files::checksum::Checksum;
use crate::files::upload;
use crate::rpc::call::{Call, Peer};
use crate::rpc::run::Conn;

/// The query parameters of one chunk.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UploadQuery {
    /// `filename`.
    pub filename: String,
    /// `filepath` (the directory under `work/`).
    pub filepath: String,
    /// `fileverify`: the checksum type (`adler32`), or empty.
    pub fileverify: String,
    /// `offset`; `-1` appends.
    pub offset: i64,
    /// `overwrite`: truncate at the offset first.
    pub overwrite: bool,
    /// `volume`.
    pub volume: Option<String>,
}

/// Decodes one `application/x-www-form-urlencoded` component.
pub fn urldecode(text: &str) -> String {
    decode(text, true)
}

/// Decodes `%XX` escapes of a URL path segment; `+` stays `+` (only query strings use it for
/// spaces, and NVRs such as module dist tags hold it).
pub fn percent_decode(text: &str) -> String {
    decode(text, false)
}

fn decode(text: &str, plus_is_space: bool) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'+' if plus_is_space => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(v) => {
                        out.push(v);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl UploadQuery {
    /// Reads the query string.
    pub fn parse(query: Option<&str>) -> Result<UploadQuery> {
        let mut parsed = UploadQuery::default();
        let mut have_name = false;
        for pair in query.unwrap_or_default().split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = urldecode(value);
            match urldecode(key).as_str() {
                "filename" => {
                    parsed.filename = value;
                    have_name = true;
                }
                "filepath" => parsed.filepath = value,
                "fileverify" => parsed.fileverify = value,
                "offset" => {
                    parsed.offset = value
                        .trim()
                        .parse()
                        .map_err(|_| Error::InvalidValue(format!("Invalid upload offset: {value:?}")))?;
                }
                "overwrite" => parsed.overwrite = !value.is_empty() && value != "0",
                "volume" => parsed.volume = Some(value),
                _ => {}
            }
        }
        if !have_name {
            return Err(Error::InvalidValue("rawUpload needs a filename".into()));
        }
        Ok(parsed)
    }
}

/// Handles one chunk.
pub async fn raw_upload(
    ctx: Arc<Ctx>,
    peer: Peer,
    query: Option<String>,
    headers: SessionHeaders,
    body: Incoming,
) -> Result<Value> {
    let span = info_span!(
        "rpc",
        method = "rawUpload",
        user.id = field::Empty,
        host.id = field::Empty
    );
    async move {
        let query = UploadQuery::parse(query.as_deref())?;
        let verify = Checksum::named(&query.fileverify)?;
        let target = {
            let conn = Conn::get(&ctx).await?;
            let session = session::validate(&ctx, conn.client()?, &headers, "rawUpload", &peer, true).await?;
            let Some(session) = session else {
                return Err(Error::NotAllowed("you must be logged-in to upload a file".into()));
            };
            tracing::Span::current().record("user.id", session.user_id);
            let mut call = Call::new(&ctx, "rawUpload", &peer, conn.client()?, false, Some(session));
            upload::authorize(&mut call, &query.filepath, &query.filename, query.volume.as_deref()).await?
        };
        let chunks = Box::pin(BodyStream::new(body).filter_map(|frame| async move {
            match frame {
                Ok(frame) => frame.into_data().ok().map(Ok::<Bytes, Error>),
                Err(e) => Some(Err(Error::InvalidRequest {
                    reason: format!("could not read the upload body: {e}"),
                })),
            }
        }));
        let written = upload::write_chunk(
            &target,
            query.offset,
            query.overwrite,
            verify,
            chunks,
            ctx.config.limits.max_request_bytes,
        )
        .await?;
        debug!(file = %target.display, size = written.size, offset = written.offset, "uploaded a chunk of {}", target.display);
        let result = UploadResult {
            size: i64::try_from(written.size).unwrap_or(i64::MAX),
            fileverify: query.fileverify,
            offset: i64::try_from(written.offset).unwrap_or(i64::MAX),
            hexdigest: written.hexdigest,
        };
        Ok(to_value(&result)?)
    }
    .instrument(span)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_parse_like_pythons_parse_qs() {
        let query = UploadQuery::parse(Some(
            "filename=foo-1.0.src.rpm&filepath=cli-build%2F1.abc&fileverify=adler32&offset=1048576&overwrite=1",
        ))
        .unwrap();
        assert_eq!(
            query,
            UploadQuery {
                filename: "foo-1.0.src.rpm".into(),
                filepath: "cli-build/1.abc".into(),
                fileverify: "adler32".into(),
                offset: 1_048_576,
                overwrite: true,
                volume: None,
            }
        );
        assert_eq!(
            UploadQuery::parse(Some("filename=a&offset=-1")).unwrap().offset,
            -1
        );
        assert!(UploadQuery::parse(Some("filepath=x")).is_err());
        assert!(UploadQuery::parse(Some("filename=a&offset=x")).is_err());
        assert_eq!(urldecode("a%20b+c%2"), "a b c%2");
        assert_eq!(percent_decode("x-1.module+f28+2%2Bz"), "x-1.module+f28+2+z");
    }
}
