//! Logins and sessions: `login`, `sslLogin`, `logout`, `subsession`, `logoutChild`,
//! `exclusiveSession`, `sharedSession`, `getSessionInfo`, `getLoggedInUser`.

use common::signature;
use common::states::{AuthType, UserStatus, UserType};
use common::wire::{LoggedInUser, SessionCredentials, SessionInfo};
use common::xmlrpc::{Params, Signature, Value, to_value};
use tracing::info;

use crate::auth::password;
use crate::db;
use crate::error::{Error, Result};
use crate::rpc::call::{Call, Session};

fn credentials(session_id: i64, session_key: String) -> Result<Value> {
    Ok(to_value(&SessionCredentials {
        session_id,
        session_key,
        header_auth: true,
    })?)
}

/// The address a session is bound to ("-" when addresses are not checked, as Koji stores).
fn session_hostip(cx: &Call<'_>) -> String {
    if cx.ctx.config.auth.check_client_ip {
        cx.peer.ip.to_string()
    } else {
        "-".to_owned()
    }
}

/// Creates (or renews) the session for a user who just proved who they are.
async fn open_session(
    cx: &mut Call<'_>,
    user: &db::users::UserRow,
    authtype: AuthType,
    exclusive: bool,
) -> Result<Value> {
    let tx = cx.tx()?;
    if let Some(expired) = cx
        .raw_session()
        .filter(|s| s.expired && s.user_id == user.id)
        .cloned()
    {
        let key = db::sessions::renew(&tx, expired.id, user.id).await?;
        info!(session.id = expired.id, user.name = %user.name, "renewed session {} of {}", expired.id, user.name);
        return credentials(expired.id, key);
    }
    let (session_id, key) = db::sessions::create(&tx, user.id, authtype, &session_hostip(cx), None).await?;
    if exclusive {
        make_exclusive(cx, user.id, session_id, None, false).await?;
    }
    info!(session.id = session_id, user.name = %user.name, authtype = %authtype, "{} logged in ({authtype})", user.name);
    credentials(session_id, key)
}

/// `login(user, password, opts=None, renew=False, exclusive=False)`: password login.
pub async fn login(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("login", ["user", "password"], ["opts", "renew", "exclusive"]);
    let mut bound = params.bind(&SIG)?;
    let user_name = bound.next_raw();
    let password = bound.next_raw();
    let _opts = bound.next_raw();
    let _renew: bool = bound.arg()?;
    let exclusive: bool = bound.arg()?;
    if cx.session().is_some() {
        return Err(Error::AlreadyLoggedIn);
    }
    let (Some(user_name), Some(password)) = (user_name.as_str(), password.as_str()) else {
        return Err(Error::BadCredentials);
    };
    if password.is_empty() {
        return Err(Error::BadCredentials);
    }
    let user = db::users::get_by_name(cx.db(), user_name)
        .await?
        .ok_or(Error::BadCredentials)?;
    let stored = user.password_hash.clone().ok_or(Error::BadCredentials)?;
    if !password::verify_blocking(password.to_owned(), stored).await? {
        info!(user.name = %user_name, "password login refused for {user_name}");
        return Err(Error::BadCredentials);
    }
    if user.status != UserStatus::Normal {
        return Err(Error::LoginDisabled { user: user.name });
    }
    open_session(cx, &user, AuthType::Normal, exclusive).await
}

/// `sslLogin(proxyuser=None, proxyauthtype=None, renew=False, exclusive=None)`: login with the
/// verified TLS client certificate; the user is named by the configured subject component.
pub async fn ssl_login(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!(
        "sslLogin",
        [],
        ["proxyuser", "proxyauthtype", "renew", "exclusive"]
    );
    let mut bound = params.bind(&SIG)?;
    let proxyuser = bound.next_raw();
    let _proxyauthtype = bound.next_raw();
    let _renew: bool = bound.arg()?;
    let exclusive: bool = bound.arg()?;
    if cx.session().is_some() {
        return Err(Error::AlreadyLoggedIn);
    }
    if !proxyuser.is_nil() {
        return Err(Error::NotAllowed(
            "proxy logins are not allowed on this hub".into(),
        ));
    }
    let certificate = cx.peer.certificate.as_ref().ok_or_else(|| Error::NoClientCertificate {
        reason: "no verified client certificate was presented (log in over https with a certificate the hub's CA signed)".into(),
    })?;
    let component = &cx.ctx.config.auth.dn_username_component;
    let user_name = certificate
        .component(component)
        .ok_or_else(|| Error::NoClientCertificate {
            reason: format!(
                "the certificate subject {} has no {component} component",
                certificate.subject
            ),
        })?
        .to_owned();
    let user = match db::users::get_by_name(cx.db(), &user_name).await? {
        Some(user) => user,
        None if cx.ctx.config.auth.login_creates_user => {
            let tx = cx.tx()?;
            let id = db::users::create(&tx, &user_name, UserType::Normal, UserStatus::Normal, None).await?;
            info!(user.name = %user_name, user.id = id, "created user {user_name} on first certificate login");
            db::users::get_by_id(cx.db(), id)
                .await?
                .ok_or_else(|| Error::Internal("new user vanished".into()))?
        }
        None => return Err(Error::UnknownLoginUser { user: user_name }),
    };
    if user.status != UserStatus::Normal {
        return Err(Error::LoginDisabled { user: user.name });
    }
    open_session(cx, &user, AuthType::Ssl, exclusive).await
}

/// `logout(session_id=None)`: closes the caller's session (and its subsessions), or, for its
/// owner or an admin, another session.
pub async fn logout(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("logout", [], ["session_id"]);
    let mut bound = params.bind(&SIG)?;
    let session_id: Option<i64> = bound.arg()?;
    let own = cx.raw_session().cloned().ok_or(Error::NotLoggedIn)?;
    let tx = cx.tx()?;
    match session_id {
        None => {
            db::sessions::close(&tx, own.id).await?;
            cx.set_session(None);
        }
        Some(id) if id == own.id => {
            db::sessions::close(&tx, own.id).await?;
            cx.set_session(None);
        }
        Some(id) => {
            let owner = db::sessions::owner(cx.db(), id)
                .await?
                .ok_or_else(|| Error::NotFound {
                    what: "session",
                    key: id.to_string(),
                })?;
            if owner != own.user_id && !cx.is_admin().await? {
                return Err(Error::NotAllowed(format!("you may not log out session {id}")));
            }
            db::sessions::close(&tx, id).await?;
        }
    }
    Ok(Value::Nil)
}

/// `subsession()`: a new session under the caller's top session (kojid uses one per task).
pub async fn subsession(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("subsession", [], []);
    params.bind(&SIG)?;
    let session = cx.user()?.clone();
    let master = session.master.unwrap_or(session.id);
    let hostip = session_hostip(cx);
    let (session_id, key) = db::sessions::create(
        &cx.tx()?,
        session.user_id,
        session.authtype,
        &hostip,
        Some(master),
    )
    .await?;
    credentials(session_id, key)
}

/// `logoutChild(session_id)`: closes one of the caller's subsessions.
pub async fn logout_child(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("logoutChild", ["session_id"], []);
    let mut bound = params.bind(&SIG)?;
    let child: i64 = bound.arg()?;
    let session = cx.user()?.clone();
    let master = session.master.unwrap_or(session.id);
    if !db::sessions::is_subsession_of(cx.db(), child, master).await? {
        return Err(Error::NotFound {
            what: "subsession",
            key: child.to_string(),
        });
    }
    db::sessions::close(&cx.tx()?, child).await?;
    Ok(Value::Nil)
}

/// Makes `session_id` the user's exclusive session, closing another exclusive one if `force`.
async fn make_exclusive(
    cx: &mut Call<'_>,
    user_id: i64,
    session_id: i64,
    master: Option<i64>,
    force: bool,
) -> Result<()> {
    if master.is_some() {
        return Err(Error::SubsessionExclusive);
    }
    let tx = cx.tx()?;
    match db::sessions::exclusive_of_user(cx.db(), user_id).await? {
        Some(existing) if existing == session_id => return Ok(()),
        Some(existing) if force => {
            db::sessions::close(&tx, existing).await?;
            info!(
                session.id = existing,
                "closed exclusive session {existing} (forced)"
            );
        }
        Some(_) => return Err(Error::ExclusiveTaken),
        None => {}
    }
    db::sessions::set_exclusive(&tx, session_id, true).await
}

/// `exclusiveSession(force=False)`.
pub async fn exclusive_session(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("exclusiveSession", [], ["force"]);
    let mut bound = params.bind(&SIG)?;
    let force: bool = bound.arg()?;
    let session = cx.user()?.clone();
    make_exclusive(cx, session.user_id, session.id, session.master, force).await?;
    Ok(Value::Nil)
}

/// `sharedSession()`: drops exclusivity.
pub async fn shared_session(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("sharedSession", [], []);
    params.bind(&SIG)?;
    let session = cx.user()?.clone();
    if session.master.is_some() {
        return Err(Error::SubsessionExclusive);
    }
    db::sessions::set_exclusive(&cx.tx()?, session.id, false).await?;
    Ok(Value::Nil)
}

fn session_info(row: &db::sessions::SessionRow, details: bool) -> SessionInfo {
    SessionInfo {
        authtype: row.authtype,
        callnum: row.callnum,
        exclusive: row.exclusive,
        expired: row.expired,
        master: row.master,
        start_time: row.start_time.koji_time(),
        start_ts: row.start_time.koji_ts(),
        update_time: row.update_time.koji_time(),
        update_ts: row.update_time.koji_ts(),
        renew_time: row.renew_time.map(|t| t.koji_time()),
        renew_ts: row.renew_time.map(|t| t.koji_ts()),
        user_id: row.user_id,
        hostip: details.then(|| row.hostip.clone()),
        id: details.then_some(row.id),
    }
}

/// `getSessionInfo(details=False, user_id=None)`: the caller's session, or (admin) the open
/// sessions of a user.
pub async fn get_session_info(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("getSessionInfo", [], ["details", "user_id"]);
    let mut bound = params.bind(&SIG)?;
    let details: bool = bound.arg()?;
    let user_id: Option<i64> = bound.arg()?;
    if let Some(user_id) = user_id {
        cx.assert_perm("admin").await?;
        let rows = db::sessions::list(cx.db(), Some(user_id), None).await?;
        let infos: Vec<SessionInfo> = rows.iter().map(|r| session_info(r, details)).collect();
        return Ok(to_value(&infos)?);
    }
    let Some(Session { id, .. }) = cx.session().cloned() else {
        return Ok(Value::Nil);
    };
    let rows = db::sessions::list(cx.db(), None, Some(id)).await?;
    match rows.first() {
        Some(row) => Ok(to_value(&session_info(row, details))?),
        None => Ok(Value::Nil),
    }
}

/// `getLoggedInUser()`: the caller with `authtype`, or nil when anonymous.
pub async fn get_logged_in_user(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("getLoggedInUser", [], []);
    params.bind(&SIG)?;
    let Some(session) = cx.session().cloned() else {
        return Ok(Value::Nil);
    };
    let user = db::users::get_by_id(cx.db(), session.user_id)
        .await?
        .ok_or_else(|| Error::NotFound {
            what: "user",
            key: session.user_id.to_string(),
        })?;
    let principals = db::users::principals(cx.db(), user.id).await?;
    Ok(to_value(&LoggedInUser {
        id: user.id,
        name: user.name,
        status: user.status.code(),
        usertype: user.usertype.code(),
        krb_principal: principals.first().cloned(),
        krb_principals: principals,
        authtype: session.authtype.code(),
    })?)
}
