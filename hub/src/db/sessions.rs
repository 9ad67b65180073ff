//! Login sessions: creation, validation lookups, call numbers, exclusivity, expiry, logout.

use common::states::{AuthType, UserStatus, UserType};
use rand::Rng;
use rand::distr::Alphanumeric;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use super::Client;
use super::types::{Micros, Tx};
use crate::error::{Error, Result};

/// What session validation needs to know, read in one query.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionLookup {
    /// The session id.
    pub id: i64,
    /// The top session, for a subsession.
    pub master: Option<i64>,
    /// The owner.
    pub user_id: i64,
    /// The owner's name.
    pub user_name: String,
    /// The owner's status.
    pub user_status: UserStatus,
    /// The owner's type.
    pub usertype: UserType,
    /// How the session logged in.
    pub authtype: AuthType,
    /// The recorded client address.
    pub hostip: String,
    /// The last accepted call number.
    pub callnum: Option<i64>,
    /// Marked expired (only a login may renew it).
    pub expired: bool,
    /// Past the renewal timeout, but not yet marked expired.
    pub due_to_expire: bool,
    /// This session, or its master for a subsession, is exclusive.
    pub exclusive: bool,
    /// Another session of the same user (not this one's master) is exclusive.
    pub locked_by_other: bool,
    /// The build host the owner logs in as (id and name), if the owner is a host.
    pub host: Option<(i64, String)>,
}

impl SessionLookup {
    fn from_row(row: &Row) -> Result<SessionLookup> {
        let status: i32 = row.try_get("status")?;
        let usertype: i32 = row.try_get("usertype")?;
        let authtype: i32 = row.try_get("authtype")?;
        let corrupt = |detail: String| Error::CorruptRow {
            table: "sessions",
            detail,
        };
        Ok(SessionLookup {
            id: row.try_get("id")?,
            master: row.try_get("master")?,
            user_id: row.try_get("user_id")?,
            user_name: row.try_get("name")?,
            user_status: UserStatus::from_code(status)
                .ok_or_else(|| corrupt(format!("user status {status}")))?,
            usertype: UserType::from_code(usertype).ok_or_else(|| corrupt(format!("usertype {usertype}")))?,
            authtype: AuthType::from_code(authtype).ok_or_else(|| corrupt(format!("authtype {authtype}")))?,
            hostip: row.try_get("hostip")?,
            callnum: row.try_get("callnum")?,
            expired: row.try_get("expired")?,
            due_to_expire: row.try_get("due_to_expire")?,
            exclusive: row.try_get("effective_exclusive")?,
            locked_by_other: row.try_get("locked_by_other")?,
            host: match row.try_get::<_, Option<i64>>("host_id")? {
                Some(id) => Some((id, row.try_get("host_name")?)),
                None => None,
            },
        })
    }
}

/// The session, its owner and the owner's host, by id and key.
const LOOKUP: &str = "SELECT s.id, s.master, s.user_id, s.authtype, s.hostip, s.callnum, s.expired, \
            ($3::bigint > 0 AND coalesce(s.renew_time, s.start_time) < now() - make_interval(mins => $3::int)) \
                AS due_to_expire, \
            (coalesce(m.exclusive, s.exclusive) IS TRUE) AS effective_exclusive, \
            EXISTS (SELECT 1 FROM sessions o WHERE o.user_id = s.user_id AND o.exclusive \
                    AND o.id <> coalesce(s.master, s.id)) AS locked_by_other, \
            u.name, u.status, u.usertype, h.id AS host_id, h.name AS host_name \
     FROM sessions s JOIN users u ON u.id = s.user_id LEFT JOIN sessions m ON m.id = s.master \
          LEFT JOIN host h ON h.user_id = s.user_id \
     WHERE s.id = $1 AND s.key = $2 AND NOT s.closed";

/// Finds an open session by id and key. `renewal_minutes` = 0 means sessions never expire.
/// With `begin`, a `BEGIN` follows the lookup in the same round trip.
pub async fn lookup(
    client: &Client,
    session_id: i64,
    key: &str,
    renewal_minutes: i64,
    begin: bool,
) -> Result<Option<SessionLookup>> {
    let params: [&(dyn ToSql + Sync); 3] = [&session_id, &key, &renewal_minutes];
    let row = if begin {
        client.query_opt_then(LOOKUP, &params, "BEGIN").await?
    } else {
        client.query_opt(LOOKUP, &params).await?
    };
    row.as_ref().map(SessionLookup::from_row).transpose()
}

/// Records the call number of a call that changed the database, in its transaction, and
/// commits it in the same round trip: nothing is written when the transaction has written
/// nothing so far (PostgreSQL assigned it no transaction id), so a call that changed nothing
/// commits nothing. If the update fails the commit rolls back.
pub async fn set_callnum_if_changed_and_commit(tx: &Tx<'_>, session_id: i64, callnum: i64) -> Result<()> {
    tx.execute_then(
        "UPDATE sessions SET callnum = $2, update_time = now() \
         WHERE id = $1 AND pg_current_xact_id_if_assigned() IS NOT NULL",
        &[&session_id, &callnum],
        "COMMIT",
    )
    .await?;
    Ok(())
}

/// Marks a session and its subsessions expired.
pub async fn expire(client: &Client, session_id: i64) -> Result<()> {
    client
        .execute(
            "UPDATE sessions SET expired = TRUE WHERE id = $1 OR master = $1",
            &[&session_id],
        )
        .await?;
    Ok(())
}

/// A new random session key: `<user_id>-<19 alphanumerics>`, Koji's format.
fn new_key(user_id: i64) -> String {
    let random: String = rand::rng()
        .sample_iter(&Alphanumeric)
        .take(19)
        .map(char::from)
        .collect();
    format!("{user_id}-{random}")
}

/// Creates a session and returns `(session_id, key)`.
pub async fn create(
    tx: &Tx<'_>,
    user_id: i64,
    authtype: AuthType,
    hostip: &str,
    master: Option<i64>,
) -> Result<(i64, String)> {
    let key = new_key(user_id);
    let row = tx
        .query_one(
            "INSERT INTO sessions (user_id, key, authtype, hostip, master) VALUES ($1, $2, $3, $4, $5) RETURNING id",
            &[&user_id, &key, &authtype.code(), &hostip, &master],
        )
        .await?;
    Ok((row.try_get(0)?, key))
}

/// Renews an expired session: a new key, the expiry cleared (for its subsessions too), the call
/// sequence restarted. Returns the new key.
pub async fn renew(tx: &Tx<'_>, session_id: i64, user_id: i64) -> Result<String> {
    let key = new_key(user_id);
    tx.execute(
        "UPDATE sessions SET key = $2, expired = FALSE, renew_time = now(), update_time = now(), callnum = NULL \
         WHERE id = $1",
        &[&session_id, &key],
    )
    .await?;
    tx.execute(
        "UPDATE sessions SET expired = FALSE, renew_time = now() WHERE master = $1 AND NOT closed",
        &[&session_id],
    )
    .await?;
    Ok(key)
}

/// Closes a session and its subsessions.
pub async fn close(tx: &Tx<'_>, session_id: i64) -> Result<()> {
    tx.execute(
        "UPDATE sessions SET closed = TRUE, expired = TRUE, exclusive = NULL WHERE id = $1 OR master = $1",
        &[&session_id],
    )
    .await?;
    Ok(())
}

/// The open exclusive session of a user, if any.
pub async fn exclusive_of_user(client: &Client, user_id: i64) -> Result<Option<i64>> {
    let row = client
        .query_opt(
            "SELECT id FROM sessions WHERE user_id = $1 AND exclusive AND NOT closed",
            &[&user_id],
        )
        .await?;
    row.map(|r| Ok(r.try_get(0)?)).transpose()
}

/// Sets or clears a session's exclusivity.
pub async fn set_exclusive(tx: &Tx<'_>, session_id: i64, exclusive: bool) -> Result<()> {
    let value: Option<bool> = exclusive.then_some(true);
    tx.execute(
        "UPDATE sessions SET exclusive = $2 WHERE id = $1",
        &[&session_id, &value],
    )
    .await?;
    Ok(())
}

/// True if `child` is an open subsession of `master`.
pub async fn is_subsession_of(client: &Client, child: i64, master: i64) -> Result<bool> {
    let row = client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM sessions WHERE id = $1 AND master = $2 AND NOT closed)",
            &[&child, &master],
        )
        .await?;
    Ok(row.try_get(0)?)
}

/// The owner of an open session.
pub async fn owner(client: &Client, session_id: i64) -> Result<Option<i64>> {
    let row = client
        .query_opt(
            "SELECT user_id FROM sessions WHERE id = $1 AND NOT closed",
            &[&session_id],
        )
        .await?;
    row.map(|r| Ok(r.try_get(0)?)).transpose()
}

/// A sessions row as `getSessionInfo` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionRow {
    /// The session id.
    pub id: i64,
    /// The owner.
    pub user_id: i64,
    /// How it logged in.
    pub authtype: i32,
    /// Last accepted call number.
    pub callnum: Option<i64>,
    /// Exclusive (TRUE or NULL).
    pub exclusive: Option<bool>,
    /// Expired.
    pub expired: bool,
    /// Top session of a subsession.
    pub master: Option<i64>,
    /// Client address.
    pub hostip: String,
    /// Login time.
    pub start_time: Micros,
    /// Last call.
    pub update_time: Micros,
    /// Last renewal.
    pub renew_time: Option<Micros>,
}

/// Open sessions of a user, or one session by id.
pub async fn list(client: &Client, user_id: Option<i64>, session_id: Option<i64>) -> Result<Vec<SessionRow>> {
    let rows = client
        .query(
            "SELECT id, user_id, authtype, callnum, exclusive, expired, master, hostip, start_time, update_time, \
                    renew_time \
             FROM sessions WHERE NOT closed AND ($1::bigint IS NULL OR user_id = $1) \
                   AND ($2::bigint IS NULL OR id = $2) ORDER BY id",
            &[&user_id, &session_id],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(SessionRow {
                id: r.try_get("id")?,
                user_id: r.try_get("user_id")?,
                authtype: r.try_get("authtype")?,
                callnum: r.try_get("callnum")?,
                exclusive: r.try_get("exclusive")?,
                expired: r.try_get("expired")?,
                master: r.try_get("master")?,
                hostip: r.try_get("hostip")?,
                start_time: r.try_get("start_time")?,
                update_time: r.try_get("update_time")?,
                renew_time: r.try_get("renew_time")?,
            })
        })
        .collect()
}
