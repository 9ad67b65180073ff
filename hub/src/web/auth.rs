//! The web session: a cookie naming a row of the sessions table (validated exactly as the
//! `Koji-Session-*` headers are), and the CSRF token derived from its secret key.

use http::{HeaderMap, HeaderValue, header};
use sha2::{Digest, Sha256};

use super::error::{WebError, WebResult};
use crate::auth::session::{self, SessionHeaders};
use crate::ctx::Ctx;
use crate::db::Client;
use crate::rpc::call::{Peer, Session};

/// The session cookie's name.
pub const COOKIE: &str = "kiln_session";

/// Who is looking at a page.
#[derive(Debug, Clone, Default)]
pub struct Visitor {
    /// The validated session, if the cookie named a live one.
    pub session: Option<Session>,
    /// The token forms must carry for actions (present when logged in).
    pub csrf: Option<String>,
}

/// The `id:key` a session cookie holds.
fn cookie_credentials(headers: &HeaderMap) -> Option<(i64, String)> {
    let value = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value)?;
    let (id, key) = value.split_once(':')?;
    Some((id.parse().ok()?, key.to_owned()))
}

/// The CSRF token of a session: a digest of its secret key, so a page from another site cannot
/// know it while the cookie alone does not prove it.
pub fn csrf_token(session_key: &str) -> String {
    let digest = Sha256::digest(format!("kiln-web-csrf\0{session_key}").as_bytes());
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// Reads the cookie and validates the session it names; anything wrong means anonymous.
pub async fn visitor(ctx: &Ctx, client: &Client, headers: &HeaderMap, peer: &Peer) -> Visitor {
    let Some((id, key)) = cookie_credentials(headers) else {
        return Visitor::default();
    };
    let credentials = SessionHeaders {
        id: Some(id),
        key: Some(key.clone()),
        callnum: None,
    };
    match session::validate(ctx, client, &credentials, "web", peer, true).await {
        Ok(Some(session)) if !session.expired => Visitor {
            session: Some(session),
            csrf: Some(csrf_token(&key)),
        },
        _ => Visitor::default(),
    }
}

/// Checks the form's `a` field (koji-web's name for its token) against the session's token.
pub fn check_csrf(visitor: &Visitor, given: Option<&str>) -> WebResult<()> {
    let Some(expected) = visitor.csrf.as_deref() else {
        return Err(WebError::Forbidden("you must log in first".into()));
    };
    let given = given.unwrap_or_default();
    let same = given.len() == expected.len()
        && given
            .bytes()
            .zip(expected.bytes())
            .fold(0_u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if same {
        Ok(())
    } else {
        Err(WebError::Forbidden(
            "the form's security token is missing or stale: reload the page and try again".into(),
        ))
    }
}

/// True when cookies must be marked `Secure`: the page came over TLS or the configured `weburl`
/// is https (a proxy in front terminates TLS).
pub fn secure_cookies(ctx: &Ctx, peer: &Peer) -> bool {
    peer.tls
        || ctx
            .config
            .weburl
            .as_deref()
            .is_some_and(|url| url.starts_with("https://"))
}

/// The `Set-Cookie` value that stores a session.
pub fn session_cookie(session_id: i64, key: &str, secure: bool) -> Option<HeaderValue> {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{COOKIE}={session_id}:{key}; Path=/koji/; HttpOnly; SameSite=Strict{secure}"
    ))
    .ok()
}

/// The `Set-Cookie` value that forgets the session.
pub fn clear_cookie(secure: bool) -> HeaderValue {
    if secure {
        HeaderValue::from_static("kiln_session=; Path=/koji/; HttpOnly; SameSite=Strict; Max-Age=0; Secure")
    } else {
        HeaderValue::from_static("kiln_session=; Path=/koji/; HttpOnly; SameSite=Strict; Max-Age=0")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_cookie_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, "a=b; kiln_session=12:3-abc; c=d".parse().unwrap());
        assert_eq!(cookie_credentials(&headers), Some((12, "3-abc".into())));
        headers.insert(header::COOKIE, "kiln_session=x:3-abc".parse().unwrap());
        assert_eq!(cookie_credentials(&headers), None);
    }

    #[test]
    fn tokens_depend_on_the_key() {
        let visitor = Visitor {
            session: None,
            csrf: Some(csrf_token("1-key")),
        };
        assert!(check_csrf(&visitor, Some(&csrf_token("1-key"))).is_ok());
        assert!(check_csrf(&visitor, Some(&csrf_token("1-other"))).is_err());
        assert!(check_csrf(&visitor, None).is_err());
        assert!(check_csrf(&Visitor::default(), Some("x")).is_err());
    }
}
