//! Users, sessions and permissions.

use serde::{Deserialize, Serialize};

/// A user (`getUser`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserInfo {
    /// The user id.
    pub id: i64,
    /// The login name.
    pub name: String,
    /// `USER_STATUS`: 0 normal, 1 blocked.
    pub status: i32,
    /// `USERTYPES`: 0 normal, 1 host, 2 group.
    pub usertype: i32,
    /// Kerberos principals.
    #[serde(default)]
    pub krb_principals: Vec<String>,
    /// Group names, when asked for with `groups=True`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<String>>,
}

/// The caller (`getLoggedInUser`): a user plus how the session logged in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoggedInUser {
    /// The user id.
    pub id: i64,
    /// The login name.
    pub name: String,
    /// `USER_STATUS`.
    pub status: i32,
    /// `USERTYPES`.
    pub usertype: i32,
    /// Kerberos principals.
    #[serde(default)]
    pub krb_principals: Vec<String>,
    /// The first principal, or nil.
    #[serde(default)]
    pub krb_principal: Option<String>,
    /// `AUTHTYPES`: 0 password, 2 certificate, 3 GSSAPI.
    pub authtype: i32,
}

/// What a login returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionCredentials {
    /// The session id.
    #[serde(rename = "session-id")]
    pub session_id: i64,
    /// The session key.
    #[serde(rename = "session-key")]
    pub session_key: String,
    /// Always true: send the credentials as headers.
    #[serde(rename = "header-auth", default)]
    pub header_auth: bool,
}

/// A session (`getSessionInfo`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// `AUTHTYPES`.
    pub authtype: i32,
    /// The last accepted call number.
    pub callnum: Option<i64>,
    /// True or nil.
    pub exclusive: Option<bool>,
    /// Expired.
    pub expired: bool,
    /// The top session of a subsession.
    pub master: Option<i64>,
    /// Login time.
    pub start_time: String,
    /// Login time, epoch seconds.
    pub start_ts: f64,
    /// Last call.
    pub update_time: String,
    /// Last call, epoch seconds.
    pub update_ts: f64,
    /// Last renewal.
    pub renew_time: Option<String>,
    /// Last renewal, epoch seconds.
    pub renew_ts: Option<f64>,
    /// The owner.
    pub user_id: i64,
    /// The client address (with `details=True`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostip: Option<String>,
    /// The session id (with `details=True`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
}

/// A permission (`getAllPerms`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Permission {
    /// The permission id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// What it allows.
    pub description: Option<String>,
}
