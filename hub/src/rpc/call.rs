//! The context one XML-RPC call runs in: its database handle (and transaction, for writing
//! methods), the validated session, the caller's address and certificate, and its event.

use std::net::IpAddr;

use common::states::{AuthType, UserType};

use crate::ctx::Ctx;
use crate::db::{self, Client, Tx};
use crate::error::{Error, Result};

/// Who is on the other end of the connection.
#[derive(Debug, Clone)]
pub struct Peer {
    /// The client's IP address.
    pub ip: IpAddr,
    /// The verified TLS client certificate, if one was presented.
    pub certificate: Option<ClientCertificate>,
    /// The request came to `…/ssllogin`.
    pub via_ssllogin: bool,
    /// The connection is TLS.
    pub tls: bool,
}

/// A TLS client certificate that verified against the configured CA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCertificate {
    /// The subject DN, as text.
    pub subject: String,
    /// The subject's attributes in order, e.g. `[("CN", "admin")]`.
    pub components: Vec<(String, String)>,
}

impl ClientCertificate {
    /// The value of a subject component (`CN`), if present.
    pub fn component(&self, name: &str) -> Option<&str> {
        self.components
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A validated session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The session id.
    pub id: i64,
    /// The top session, for a subsession.
    pub master: Option<i64>,
    /// The logged-in user.
    pub user_id: i64,
    /// The user's name.
    pub user_name: String,
    /// The user's type (HOST for builders).
    pub usertype: UserType,
    /// How the session logged in.
    pub authtype: AuthType,
    /// The session (or its master) is exclusive.
    pub exclusive: bool,
    /// The session is expired (only a login may use it, to renew it).
    pub expired: bool,
    /// The call number this request carried.
    pub callnum: Option<i64>,
    /// The fingerprint of the session key this request carried (see `auth::callnums`).
    pub key_fingerprint: u64,
    /// The build host the user logs in as (id and name), if any.
    pub host: Option<(i64, String)>,
}

/// One call's context.
pub struct Call<'a> {
    /// The hub.
    pub ctx: &'a Ctx,
    /// The method name as sent (for messages).
    pub method: &'a str,
    /// The caller's connection.
    pub peer: &'a Peer,
    client: &'a Client,
    in_transaction: bool,
    session: Option<Session>,
    event_id: Option<i64>,
    permissions: Option<Vec<String>>,
    /// The call changed tags (names, config or extra): cached tag answers die when it commits.
    changed_tags: bool,
}

impl<'a> Call<'a> {
    /// A call context; `in_transaction` says the dispatcher issued `BEGIN`.
    pub fn new(
        ctx: &'a Ctx,
        method: &'a str,
        peer: &'a Peer,
        client: &'a Client,
        in_transaction: bool,
        session: Option<Session>,
    ) -> Call<'a> {
        Call {
            ctx,
            method,
            peer,
            client,
            in_transaction,
            session,
            event_id: None,
            permissions: None,
            changed_tags: false,
        }
    }

    /// The database, for reading.
    pub fn db(&self) -> &'a Client {
        self.client
    }

    /// The transaction, for writing. Read-only methods have none: asking is a bug.
    pub fn tx(&self) -> Result<Tx<'a>> {
        if self.in_transaction {
            Ok(Tx::assume_begun(self.client))
        } else {
            Err(Error::Internal(format!(
                "{} is registered read-only but tried to write",
                self.method
            )))
        }
    }

    /// The event this call's writes belong to, created on first use. Each multicall sub-call
    /// gets its own.
    pub async fn event(&mut self) -> Result<i64> {
        if let Some(id) = self.event_id {
            return Ok(id);
        }
        let id = db::events::create(&self.tx()?).await?;
        self.event_id = Some(id);
        Ok(id)
    }

    /// Forgets the event (between multicall sub-calls).
    /// Records that this call changes tags: other hubs are told when it commits (a
    /// `kiln_tags` notification), and the dispatcher invalidates this hub's cache.
    pub async fn note_tag_change(&mut self) -> Result<()> {
        if !self.changed_tags {
            db::tags::notify_changed(&self.tx()?).await?;
            self.changed_tags = true;
        }
        Ok(())
    }

    /// True if the call changed tags.
    pub(crate) fn changed_tags(&self) -> bool {
        self.changed_tags
    }

    /// Marks that an earlier sub-call of the same multicall changed tags: its notification is
    /// already queued in this transaction, and cached answers are older than what it sees.
    pub(crate) fn carry_tag_changes(&mut self, changed: bool) {
        self.changed_tags |= changed;
    }

    /// The tag cache's generation, or `None` when cached answers must not be used: the cache
    /// is off, or this transaction changed tags that the cache does not know of yet.
    pub fn tag_cache_generation(&self) -> Option<u64> {
        if self.changed_tags {
            return None;
        }
        self.ctx.tag_cache.generation(&self.ctx.wakeups)
    }

    /// Hands the permissions an earlier sub-call of the same multicall read (same session) to
    /// this one: Koji reads them once per request.
    pub(crate) fn carry_permissions(&mut self, permissions: Option<Vec<String>>) {
        self.permissions = permissions;
    }

    /// The permissions this call read, for the next sub-call of the multicall.
    pub(crate) fn take_permissions(&mut self) -> Option<Vec<String>> {
        self.permissions.take()
    }

    pub(crate) fn reset_event(&mut self) {
        self.event_id = None;
    }

    /// The session, if the caller is logged in (expired sessions count as not logged in).
    pub fn session(&self) -> Option<&Session> {
        self.session.as_ref().filter(|s| !s.expired)
    }

    /// The session even if expired (for login renewal and logout).
    pub fn raw_session(&self) -> Option<&Session> {
        self.session.as_ref()
    }

    /// The session, or `NotLoggedIn`.
    pub fn user(&self) -> Result<&Session> {
        self.session().ok_or(Error::NotLoggedIn)
    }

    /// Replaces the session (after `logout`).
    pub(crate) fn set_session(&mut self, session: Option<Session>) {
        self.session = session;
        self.permissions = None;
    }

    /// The caller's permission names, with group permissions (empty when anonymous).
    pub async fn permissions(&mut self) -> Result<&[String]> {
        if self.permissions.is_none() {
            let perms = match self.session() {
                Some(s) => db::users::user_permissions(self.client, s.user_id, true).await?,
                None => Vec::new(),
            };
            self.permissions = Some(perms);
        }
        Ok(self.permissions.as_deref().unwrap_or_default())
    }

    /// Exact permission check, no admin implication (Koji's `hasPerm`).
    pub async fn has_perm(&mut self, perm: &str) -> Result<bool> {
        Ok(self.permissions().await?.iter().any(|p| p == perm))
    }

    /// True if the caller is an admin.
    pub async fn is_admin(&mut self) -> Result<bool> {
        self.has_perm("admin").await
    }

    /// Requires `perm` or admin (Koji's `assertPerm`). The returned value names who was
    /// authorized, so handlers that need it take it as proof.
    pub async fn assert_perm(&mut self, perm: &str) -> Result<Authorized> {
        let session = self.user()?.clone();
        let perms = self.permissions().await?;
        if perms.iter().any(|p| p == perm || p == "admin") {
            return Ok(Authorized {
                user_id: session.user_id,
                user_name: session.user_name,
            });
        }
        Err(Error::PermissionRequired {
            perm: perm.to_owned(),
            user: session.user_name,
        })
    }

    /// Requires a login (Koji's `assertLogin`).
    pub fn assert_login(&self) -> Result<Authorized> {
        let session = self.user()?;
        Ok(Authorized {
            user_id: session.user_id,
            user_name: session.user_name.clone(),
        })
    }
}

/// Proof that a permission (or login) check passed, naming the user it passed for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorized {
    /// The user.
    pub user_id: i64,
    /// The user's name.
    pub user_name: String,
}
