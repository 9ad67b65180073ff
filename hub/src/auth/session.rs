//! Session validation on every call (Koji's `Session.validate`): id and key, client address,
//! expiry, call number, exclusive locks.
//!
//! Call numbers are stored as Koji stores them: only by a call that commits a change, in its
//! own transaction, so a retried write finds its number and is refused. Calls that change
//! nothing write nothing; their numbers are remembered in memory (`auth::callnums`), so this
//! hub still refuses numbers that go backwards.

use common::states::UserStatus;
use http::HeaderMap;
use tracing::debug;

use crate::auth::callnums::key_fingerprint;
use crate::ctx::Ctx;
use crate::db::{self, Tx};
use crate::error::{Error, Result};
use crate::rpc::call::{Peer, Session};

/// The session credentials a request carries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionHeaders {
    /// `Koji-Session-Id`.
    pub id: Option<i64>,
    /// `Koji-Session-Key`.
    pub key: Option<String>,
    /// `Koji-Session-Callnum` (or the older `Koji-Callnum`).
    pub callnum: Option<i64>,
}

impl SessionHeaders {
    /// Reads the headers, falling back to the legacy query-string form
    /// (`?session-id=…&session-key=…&callnum=…`).
    pub fn from_request(headers: &HeaderMap, query: Option<&str>) -> Result<SessionHeaders> {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
        let mut id = header("koji-session-id").map(str::to_owned);
        let mut key = header("koji-session-key").map(str::to_owned);
        let mut callnum = header("koji-session-callnum")
            .or_else(|| header("koji-callnum"))
            .map(str::to_owned);
        if id.is_none() {
            for (k, v) in query
                .unwrap_or_default()
                .split('&')
                .filter_map(|kv| kv.split_once('='))
            {
                match k {
                    "session-id" => id = Some(v.to_owned()),
                    "session-key" => key = Some(v.to_owned()),
                    "callnum" => callnum = Some(v.to_owned()),
                    _ => {}
                }
            }
        }
        let parse = |what: &str, v: Option<String>| -> Result<Option<i64>> {
            v.map(|v| {
                v.parse::<i64>().map_err(|_| Error::InvalidRequest {
                    reason: format!("invalid {what}: {v:?}"),
                })
            })
            .transpose()
        };
        Ok(SessionHeaders {
            id: parse("session id", id)?,
            key,
            callnum: parse("call number", callnum)?,
        })
    }
}

/// Methods that may repeat a call number (their effect is idempotent), as in Koji.
const REPEATABLE: &[&str] = &[
    "host.taskWait",
    "host.taskUnwait",
    "host.taskSetWait",
    "host.updateHost",
    "host.setBuildRootState",
    "repoExpire",
    "repoDelete",
    "repoProblem",
];

/// Methods an expired session may call (to renew or to leave).
const ALLOWED_WHEN_EXPIRED: &[&str] = &["login", "sslLogin", "logout"];

/// Methods allowed while another session holds the user exclusively.
const ALLOWED_WHEN_LOCKED: &[&str] = &["exclusiveSession", "login", "logout"];

/// Validates the session a request names. `read_only` methods may repeat a call number, and
/// their number is remembered here (they store nothing). Returns `None` for anonymous requests.
pub async fn validate(
    ctx: &Ctx,
    client: &db::Client,
    headers: &SessionHeaders,
    method: &str,
    peer: &Peer,
    read_only: bool,
) -> Result<Option<Session>> {
    check(ctx, client, headers, method, peer, read_only, false).await
}

/// Validates the session of a writing call and begins the call's transaction, in the same
/// round trip as the session's lookup. The transaction is open whatever the outcome: the caller
/// rolls it back when this fails.
pub async fn validate_and_begin(
    ctx: &Ctx,
    client: &db::Client,
    headers: &SessionHeaders,
    method: &str,
    peer: &Peer,
) -> Result<Option<Session>> {
    check(ctx, client, headers, method, peer, false, true).await
}

async fn check(
    ctx: &Ctx,
    client: &db::Client,
    headers: &SessionHeaders,
    method: &str,
    peer: &Peer,
    read_only: bool,
    begin: bool,
) -> Result<Option<Session>> {
    let (Some(session_id), Some(key)) = (headers.id, headers.key.as_deref()) else {
        if begin {
            client.batch_execute("BEGIN").await?;
        }
        return Ok(None);
    };
    let renewal = i64::try_from(ctx.config.auth.session_renewal_minutes).unwrap_or(i64::MAX);
    let Some(found) = db::sessions::lookup(client, session_id, key, renewal, begin).await? else {
        debug!(session.id = session_id, "no open session with that id and key");
        return Err(Error::InvalidSession);
    };
    if ctx.config.auth.check_client_ip && found.hostip != peer.ip.to_string() {
        debug!(session.id = session_id, "session used from another address");
        return Err(Error::InvalidSession);
    }
    let mut expired = found.expired;
    if found.due_to_expire && !expired {
        db::sessions::expire(client, session_id).await?;
        if begin {
            // The expiry stands even if the call fails: it commits on its own.
            client.batch_execute("COMMIT; BEGIN").await?;
        }
        expired = true;
    }
    if expired && !ALLOWED_WHEN_EXPIRED.contains(&method) {
        return Err(Error::SessionExpired { session_id });
    }
    if found.user_status != UserStatus::Normal {
        return Err(Error::LoginDisabled {
            user: found.user_name,
        });
    }
    let key_fingerprint = key_fingerprint(key);
    let remembered = ctx.callnums.highest(session_id, key_fingerprint);
    let last = found.callnum.max(remembered);
    if let (Some(received), Some(last)) = (headers.callnum, last) {
        if last > received {
            return Err(Error::CallnumBackwards {
                received,
                last,
                session_id,
            });
        }
        if last == received && !read_only && !REPEATABLE.contains(&method) {
            return Err(Error::CallnumRepeated {
                callnum: received,
                method: method.to_owned(),
                session_id,
            });
        }
    }
    if found.locked_by_other && !ALLOWED_WHEN_LOCKED.contains(&method) {
        return Err(Error::UserLocked);
    }
    if let (Some(callnum), true) = (headers.callnum, read_only) {
        ctx.callnums.note(session_id, key_fingerprint, callnum);
    }
    Ok(Some(Session {
        id: found.id,
        master: found.master,
        user_id: found.user_id,
        user_name: found.user_name,
        usertype: found.usertype,
        authtype: found.authtype,
        exclusive: found.exclusive,
        expired,
        callnum: headers.callnum,
        key_fingerprint,
        host: found.host,
    }))
}

/// Commits a writing call that succeeded, storing its call number in the same round trip if
/// the call changed anything: a call that changed nothing may safely run again, and storing its
/// number would make its commit a write of its own. An expired session's call (a renewing
/// login, which restarts the sequence) stores nothing, as in Koji.
pub async fn record_callnum_and_commit(tx: &Tx<'_>, session: Option<&Session>) -> Result<()> {
    match session
        .filter(|s| !s.expired)
        .and_then(|s| Some((s.id, s.callnum?)))
    {
        Some((session_id, callnum)) => {
            db::sessions::set_callnum_if_changed_and_commit(tx, session_id, callnum).await
        }
        None => Ok(tx.batch_execute("COMMIT").await?),
    }
}

/// Remembers the call number of a writing call that committed.
pub fn note_committed(ctx: &Ctx, session: &Session) {
    if session.expired {
        return;
    }
    if let Some(callnum) = session.callnum {
        ctx.callnums.note(session.id, session.key_fingerprint, callnum);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_headers_and_legacy_query() {
        let mut headers = HeaderMap::new();
        headers.insert("Koji-Session-Id", "65".parse().unwrap());
        headers.insert("Koji-Session-Key", "1-abc".parse().unwrap());
        headers.insert("Koji-Callnum", "3".parse().unwrap());
        let parsed = SessionHeaders::from_request(&headers, None).unwrap();
        assert_eq!(
            parsed,
            SessionHeaders {
                id: Some(65),
                key: Some("1-abc".into()),
                callnum: Some(3)
            }
        );
        let parsed =
            SessionHeaders::from_request(&HeaderMap::new(), Some("session-id=7&session-key=k&callnum=0"))
                .unwrap();
        assert_eq!(
            parsed,
            SessionHeaders {
                id: Some(7),
                key: Some("k".into()),
                callnum: Some(0)
            }
        );
        assert_eq!(
            SessionHeaders::from_request(&HeaderMap::new(), None).unwrap(),
            SessionHeaders::default()
        );
        let mut bad = HeaderMap::new();
        bad.insert("Koji-Session-Id", "x".parse().unwrap());
        assert!(SessionHeaders::from_request(&bad, None).is_err());
    }
}
