//! Who may call `host.*`: a HOST user whose session is exclusive, or a subsession of such a
//! session (a task process). [`verify`] is the only way to get a [`Host`].

use common::states::UserType;
use tracing::Span;

use crate::db;
use crate::db::hosts::HostKey;
use crate::error::{Error, Result};
use crate::rpc::call::Call;

/// A verified build host: the caller of the current `host.*` call.
#[derive(Debug, Clone, PartialEq, Eq)]
#[expect(
    clippy::manual_non_exhaustive,
    reason = "the private field keeps other modules of this crate from building a Host"
)]
pub struct Host {
    /// The host id.
    pub id: i64,
    /// Its login user.
    pub user_id: i64,
    /// Its name.
    pub name: String,
    /// Only [`verify`] builds a `Host`.
    _verified: (),
}

/// Checks that the caller is a host with an exclusive session (Koji's `Host().verify()`).
pub async fn verify(call: &mut Call<'_>) -> Result<Host> {
    let method = call.method.to_owned();
    let session = call
        .session()
        .ok_or_else(|| Error::HostLoginRequired {
            method: method.clone(),
        })?
        .clone();
    if session.usertype != UserType::Host {
        return Err(Error::NotAHost {
            method,
            user: session.user_name,
        });
    }
    if !session.exclusive {
        return Err(Error::HostNotExclusive { method });
    }
    let row = db::hosts::get(call.db(), HostKey::User(session.user_id), None)
        .await?
        .ok_or_else(|| Error::NotAHost {
            method,
            user: session.user_name.clone(),
        })?;
    Span::current().record("host.id", row.id);
    Ok(Host {
        id: row.id,
        user_id: row.user_id,
        name: row.name,
        _verified: (),
    })
}
