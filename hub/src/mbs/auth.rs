//! Who is calling the REST API: a Koji session (`Koji-Session-Id`/`Key` headers), HTTP Basic with
//! a hub password (over TLS or from the loopback address), or a TLS client certificate; nobody
//! (anonymous reads) otherwise. MBS's admin groups are a hub permission.

use base64::Engine;
use common::states::UserStatus;
use http::HeaderMap;

use super::error::ApiError;
use crate::auth::password;
use crate::auth::session::{self, SessionHeaders};
use crate::ctx::Ctx;
use crate::db::{self, Client};
use crate::rpc::call::Peer;

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The hub user id.
    pub user_id: i64,
    /// The user name (MBS's owner).
    pub name: String,
    /// The user's permissions, groups included.
    pub permissions: Vec<String>,
}

impl Caller {
    /// Holds `permission` (or the hub's `admin`).
    pub fn has(&self, permission: &str) -> bool {
        self.permissions.iter().any(|p| p == permission || p == "admin")
    }

    /// An MBS admin: may cancel anyone's build and import modules.
    pub fn is_admin(&self, ctx: &Ctx) -> bool {
        self.has(&ctx.config.mbs.admin_permission)
    }

    /// MBS's refusal for a caller outside a group, with Python's set notation.
    pub fn not_in(&self, permission: &str) -> ApiError {
        let mine = if self.permissions.is_empty() {
            "set()".to_owned()
        } else {
            let quoted: Vec<String> = self.permissions.iter().map(|p| format!("'{p}'")).collect();
            format!("{{{}}}", quoted.join(", "))
        };
        ApiError::forbidden(format!(
            "{} is not in any of {{'{permission}'}}, only {mine}",
            self.name
        ))
    }
}

/// Finds the caller; `Ok(None)` for an anonymous request, 401 for credentials that do not hold.
pub async fn authenticate(
    ctx: &Ctx,
    client: &Client,
    headers: &HeaderMap,
    peer: &Peer,
) -> Result<Option<Caller>, ApiError> {
    let session_headers =
        SessionHeaders::from_request(headers, None).map_err(|e| ApiError::unauthorized(e.to_string()))?;
    if session_headers.id.is_some() {
        let found = session::validate(ctx, client, &session_headers, "mbs", peer, true)
            .await
            .map_err(|e| ApiError::unauthorized(e.to_string()))?;
        if let Some(found) = found {
            return caller(client, found.user_id, found.user_name).await.map(Some);
        }
    }
    if let Some(authorization) = headers.get(http::header::AUTHORIZATION) {
        let text = authorization
            .to_str()
            .map_err(|_| ApiError::unauthorized("Invalid 'authorization' header"))?;
        let Some(encoded) = text.strip_prefix("Basic ") else {
            return Err(ApiError::unauthorized(
                "Authorization headers must start with 'Basic ' (or use a Koji session or a client certificate)",
            ));
        };
        if !(peer.tls || peer.ip.is_loopback()) {
            return Err(ApiError::unauthorized(
                "HTTP Basic authentication is only accepted over TLS",
            ));
        }
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .ok_or_else(|| ApiError::unauthorized("Invalid 'authorization' header"))?;
        let (name, secret) = decoded
            .split_once(':')
            .ok_or_else(|| ApiError::unauthorized("Invalid 'authorization' header"))?;
        let bad = || ApiError::unauthorized("Invalid username or password");
        let user = db::users::get_by_name(client, name).await?.ok_or_else(bad)?;
        let stored = user.password_hash.clone().ok_or_else(bad)?;
        if !password::verify_blocking(secret.to_owned(), stored).await? {
            return Err(bad());
        }
        if user.status != UserStatus::Normal {
            return Err(ApiError::unauthorized(format!(
                "logins by {} are not allowed",
                user.name
            )));
        }
        return caller(client, user.id, user.name).await.map(Some);
    }
    if let Some(certificate) = &peer.certificate
        && let Some(name) = certificate.component(&ctx.config.auth.dn_username_component)
        && let Some(user) = db::users::get_by_name(client, name).await?
        && user.status == UserStatus::Normal
    {
        return caller(client, user.id, user.name).await.map(Some);
    }
    Ok(None)
}

async fn caller(client: &Client, user_id: i64, name: String) -> Result<Caller, ApiError> {
    let permissions = db::users::user_permissions(client, user_id, true).await?;
    Ok(Caller {
        user_id,
        name,
        permissions,
    })
}

/// The caller, or MBS's 401 for an anonymous request.
pub fn required(caller: Option<Caller>) -> Result<Caller, ApiError> {
    caller.ok_or_else(|| ApiError::unauthorized("No 'authorization' header found."))
}
