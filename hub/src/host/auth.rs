//! Who may call `host.*`: a HOST user whose session is exclusive, or a subsession of such a
//! session (a task process). [`verify`] is the only way to get a [`Host`].

use common::states::UserType;
use tracing::Span;

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
    // The session's lookup found the user's host.
    let (id, name) = session.host.ok_or_else(|| Error::NotAHost {
        method,
        user: session.user_name.clone(),
    })?;
    Span::current().record("host.id", id);
    Ok(Host {
        id,
        user_id: session.user_id,
        name,
        _verified: (),
    })
}
