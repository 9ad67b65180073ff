//! Users, groups and permissions.

use common::signature;
use common::states::{UserStatus, UserType};
use common::wire::{Permission, UserInfo};
use common::xmlrpc::{Params, Signature, Value, to_value};
use tracing::info;

use crate::auth::password;
use crate::db::query::QueryOpts;
use crate::db::users::{UserFilter, UserRow};
use crate::db::{self, Client};
use crate::error::{Error, Result};
use crate::rpc::call::Call;

/// Finds a user named the ways Koji accepts: an id, a name or Kerberos principal, or a struct
/// with `id`, `name` or `krb_principal`.
pub async fn resolve_user(client: &Client, info: &Value) -> Result<Option<UserRow>> {
    match info {
        Value::Int(id) => db::users::get_by_id(client, *id).await,
        Value::String(name) => match db::users::get_by_name(client, name).await? {
            Some(user) => Ok(Some(user)),
            None if name.contains('@') => db::users::get_by_principal(client, name).await,
            None => Ok(None),
        },
        Value::Struct(members) => {
            if let Some(id) = members.get("id").and_then(Value::as_i64) {
                db::users::get_by_id(client, id).await
            } else if let Some(name) = members.get("name").and_then(Value::as_str) {
                db::users::get_by_name(client, name).await
            } else if let Some(principal) = members.get("krb_principal").and_then(Value::as_str) {
                db::users::get_by_principal(client, principal).await
            } else {
                Err(Error::InvalidValue(
                    "a user struct needs id, name or krb_principal".into(),
                ))
            }
        }
        other => Err(Error::InvalidValue(format!(
            "Invalid type for user: {}",
            other.type_name()
        ))),
    }
}

/// Like [`resolve_user`], but a missing user is an error.
pub async fn require_user(client: &Client, info: &Value) -> Result<UserRow> {
    resolve_user(client, info).await?.ok_or_else(|| Error::NotFound {
        what: "user",
        key: info.to_string(),
    })
}

async fn user_info(client: &Client, user: UserRow, krb_princs: bool, groups: bool) -> Result<UserInfo> {
    let krb_principals = if krb_princs {
        db::users::principals(client, user.id).await?
    } else {
        Vec::new()
    };
    let groups = if groups {
        Some(db::users::group_names(client, user.id).await?)
    } else {
        None
    };
    Ok(UserInfo {
        id: user.id,
        name: user.name,
        status: user.status.code(),
        usertype: user.usertype.code(),
        krb_principals,
        groups,
    })
}

/// `getUser(userInfo=None, strict=False, krb_princs=True, groups=False)`.
pub async fn get_user(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("getUser", [], ["userInfo", "strict", "krb_princs", "groups"]);
    let mut bound = params.bind(&SIG)?;
    let user_info_arg = bound.next_raw();
    let strict: bool = bound.arg()?;
    let krb_princs: Option<bool> = bound.arg()?;
    let groups: bool = bound.arg()?;
    let found = if user_info_arg.is_nil() {
        let session = cx
            .session()
            .ok_or_else(|| Error::Generic("No user provided".into()))?;
        db::users::get_by_id(cx.db(), session.user_id).await?
    } else {
        resolve_user(cx.db(), &user_info_arg).await?
    };
    match found {
        Some(user) => Ok(to_value(
            &user_info(cx.db(), user, krb_princs.unwrap_or(true), groups).await?,
        )?),
        None if strict => Err(Error::NotFound {
            what: "user",
            key: user_info_arg.to_string(),
        }),
        None => Ok(Value::Nil),
    }
}

/// `listUsers(userType=0, prefix=None, queryOpts=None, perm=None, inherited_perm=False)`.
pub async fn list_users(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!(
        "listUsers",
        [],
        ["userType", "prefix", "queryOpts", "perm", "inherited_perm"]
    );
    let mut bound = params.bind(&SIG)?;
    let usertype = bound.next_raw();
    let prefix: Option<String> = bound.arg()?;
    let opts = QueryOpts::from_value(&bound.next_raw())?;
    let perm: Option<String> = bound.arg()?;
    let inherited_perm: bool = bound.arg()?;
    let usertype = match usertype {
        Value::Nil => Some(UserType::Normal),
        other => Some(
            other
                .as_i64()
                .and_then(|n| i32::try_from(n).ok())
                .and_then(UserType::from_code)
                .ok_or_else(|| Error::InvalidValue(format!("No such user type: {other}")))?,
        ),
    };
    let filter = UserFilter {
        usertype,
        prefix,
        perm,
        inherited_perm,
    };
    let rows = db::users::list(cx.db(), &filter, &opts).await?;
    if opts.count_only {
        return Ok(Value::Int(i64::try_from(rows.len()).unwrap_or(i64::MAX)));
    }
    let mut infos = Vec::with_capacity(rows.len());
    for user in rows {
        infos.push(user_info(cx.db(), user, true, false).await?);
    }
    Ok(to_value(&infos)?)
}

/// `createUser(username, status=None, krb_principal=None)`, plus Kiln's `password` keyword.
pub async fn create_user(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!(
        "createUser",
        ["username"],
        ["status", "krb_principal", "password"]
    );
    let mut bound = params.bind(&SIG)?;
    let username: String = bound.arg()?;
    let status = bound.next_raw();
    let krb_principal: Option<String> = bound.arg()?;
    let password: Option<String> = bound.arg()?;
    cx.assert_perm("admin").await?;
    validate_name(&username)?;
    let status = match status {
        Value::Nil => UserStatus::Normal,
        other => other
            .as_i64()
            .and_then(|n| i32::try_from(n).ok())
            .and_then(UserStatus::from_code)
            .ok_or_else(|| Error::InvalidValue(format!("Invalid status: {other}")))?,
    };
    if db::users::get_by_name(cx.db(), &username).await?.is_some() {
        return Err(Error::AlreadyExists {
            what: "user",
            name: username,
        });
    }
    let hash = match password {
        Some(p) if !p.is_empty() => Some(password::hash_blocking(p).await?),
        _ => None,
    };
    let tx = cx.tx()?;
    let id = db::users::create(&tx, &username, UserType::Normal, status, hash.as_deref()).await?;
    if let Some(principal) = krb_principal {
        db::users::add_principal(&tx, id, &principal).await?;
    }
    info!(user.name = %username, user.id = id, "created user {username}");
    Ok(Value::Int(id))
}

/// Refuses names that cannot be users (empty, or with control characters or slashes).
fn validate_name(name: &str) -> Result<()> {
    if name.is_empty() || name.len() > 255 || name.chars().any(|c| c.is_control() || c == '/') {
        return Err(Error::InvalidValue(format!("invalid user name: {name:?}")));
    }
    Ok(())
}

/// `editUser(userInfo, name=None, krb_principal_mappings=None)`, plus Kiln's `password`
/// keyword (admins for anyone; a user for themselves).
pub async fn edit_user(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!(
        "editUser",
        ["userInfo"],
        ["name", "krb_principal_mappings", "password"]
    );
    let mut bound = params.bind(&SIG)?;
    let info = bound.next_raw();
    let new_name: Option<String> = bound.arg()?;
    let mappings = bound.next_raw();
    let new_password: Option<String> = bound.arg()?;
    let user = require_user(cx.db(), &info).await?;
    let caller = cx.assert_login()?;
    let only_own_password = new_name.is_none() && mappings.is_nil() && caller.user_id == user.id;
    if !only_own_password {
        cx.assert_perm("admin").await?;
    }
    let tx = cx.tx()?;
    if let Some(name) = new_name.filter(|n| *n != user.name) {
        validate_name(&name)?;
        if db::users::get_by_name(cx.db(), &name).await?.is_some() {
            return Err(Error::AlreadyExists { what: "user", name });
        }
        db::users::rename(&tx, user.id, &name).await?;
    }
    if let Value::Array(pairs) = &mappings {
        for pair in pairs {
            if let Some(new) = pair.get("new").and_then(Value::as_str) {
                db::users::add_principal(&tx, user.id, new).await?;
            }
        }
    }
    if let Some(p) = new_password {
        let hash = if p.is_empty() {
            None
        } else {
            Some(password::hash_blocking(p).await?)
        };
        db::users::set_password_hash(&tx, user.id, hash.as_deref()).await?;
    }
    Ok(Value::Nil)
}

async fn set_user_status(
    cx: &mut Call<'_>,
    params: Params,
    name: &'static str,
    status: UserStatus,
) -> Result<Value> {
    let sig = Signature {
        name,
        ..signature!("setUserStatus", ["username"], [])
    };
    let mut bound = params.bind(&sig)?;
    let info = bound.next_raw();
    cx.assert_perm("admin").await?;
    let user = require_user(cx.db(), &info).await?;
    db::users::set_status(&cx.tx()?, user.id, status).await?;
    info!(user.name = %user.name, "set user {} to {status}", user.name);
    Ok(Value::Nil)
}

/// `enableUser(username)`.
pub async fn enable_user(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    set_user_status(cx, params, "enableUser", UserStatus::Normal).await
}

/// `disableUser(username)`.
pub async fn disable_user(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    set_user_status(cx, params, "disableUser", UserStatus::Blocked).await
}

/// `grantPermission(userinfo, permission, create=False, description=None)`.
pub async fn grant_permission(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!(
        "grantPermission",
        ["userinfo", "permission"],
        ["create", "description"]
    );
    let mut bound = params.bind(&SIG)?;
    let info = bound.next_raw();
    let permission: String = bound.arg()?;
    let create: bool = bound.arg()?;
    let description: Option<String> = bound.arg()?;
    let admin = cx.assert_perm("admin").await?;
    let user = require_user(cx.db(), &info).await?;
    let tx = cx.tx()?;
    let perm_id = match db::users::permission_by_name(cx.db(), &permission).await? {
        Some(perm) => perm.id,
        None if create => {
            if permission.is_empty() || permission.len() > 50 || permission.chars().any(char::is_whitespace) {
                return Err(Error::InvalidValue(format!(
                    "invalid permission name: {permission:?}"
                )));
            }
            db::users::create_permission(&tx, &permission, description.as_deref()).await?
        }
        None => {
            return Err(Error::NotFound {
                what: "permission",
                key: permission,
            });
        }
    };
    if db::users::has_direct_permission(cx.db(), user.id, perm_id).await? {
        return Err(Error::Generic(format!(
            "user {} already has permission: {permission}",
            user.name
        )));
    }
    let event = cx.event().await?;
    db::users::grant_permission(&tx, user.id, perm_id, admin.user_id, event).await?;
    info!(user.name = %user.name, permission = %permission, "granted {permission} to {}", user.name);
    Ok(Value::Nil)
}

/// `revokePermission(userinfo, permission)`.
pub async fn revoke_permission(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("revokePermission", ["userinfo", "permission"], []);
    let mut bound = params.bind(&SIG)?;
    let info = bound.next_raw();
    let permission: String = bound.arg()?;
    let admin = cx.assert_perm("admin").await?;
    let user = require_user(cx.db(), &info).await?;
    let perm = db::users::permission_by_name(cx.db(), &permission)
        .await?
        .ok_or_else(|| Error::NotFound {
            what: "permission",
            key: permission.clone(),
        })?;
    let event = cx.event().await?;
    if !db::users::revoke_permission(&cx.tx()?, user.id, perm.id, admin.user_id, event).await? {
        return Err(Error::Generic(format!(
            "user {} does not have permission: {permission}",
            user.name
        )));
    }
    info!(user.name = %user.name, permission = %permission, "revoked {permission} from {}", user.name);
    Ok(Value::Nil)
}

/// `hasPerm(perm, strict=False)`: exact check, no admin implication; false when anonymous.
pub async fn has_perm(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("hasPerm", ["perm"], ["strict"]);
    let mut bound = params.bind(&SIG)?;
    let perm: String = bound.arg()?;
    let strict: bool = bound.arg()?;
    if strict && db::users::permission_by_name(cx.db(), &perm).await?.is_none() {
        return Err(Error::NotFound {
            what: "permission",
            key: perm,
        });
    }
    Ok(Value::Bool(cx.has_perm(&perm).await?))
}

/// `getPerms()`: the caller's permission names.
pub async fn get_perms(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("getPerms", [], []);
    params.bind(&SIG)?;
    let perms = cx.permissions().await?.to_vec();
    Ok(to_value(&perms)?)
}

/// `getUserPerms(userID=None, with_groups=True)`.
pub async fn get_user_perms(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("getUserPerms", [], ["userID", "with_groups"]);
    let mut bound = params.bind(&SIG)?;
    let info = bound.next_raw();
    let with_groups: Option<bool> = bound.arg()?;
    let user_id = if info.is_nil() {
        cx.user()?.user_id
    } else {
        require_user(cx.db(), &info).await?.id
    };
    let perms = db::users::user_permissions(cx.db(), user_id, with_groups.unwrap_or(true)).await?;
    Ok(to_value(&perms)?)
}

/// `getAllPerms()`.
pub async fn get_all_perms(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("getAllPerms", [], []);
    params.bind(&SIG)?;
    let perms: Vec<Permission> = db::users::all_permissions(cx.db())
        .await?
        .into_iter()
        .map(|p| Permission {
            id: p.id,
            name: p.name,
            description: p.description,
        })
        .collect();
    Ok(to_value(&perms)?)
}

/// `newGroup(name)`: groups are users of type GROUP.
pub async fn new_group(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("newGroup", ["name"], []);
    let mut bound = params.bind(&SIG)?;
    let name: String = bound.arg()?;
    cx.assert_perm("admin").await?;
    validate_name(&name)?;
    if db::users::get_by_name(cx.db(), &name).await?.is_some() {
        return Err(Error::AlreadyExists { what: "user", name });
    }
    let id = db::users::create(&cx.tx()?, &name, UserType::Group, UserStatus::Normal, None).await?;
    Ok(Value::Int(id))
}

async fn require_group(client: &Client, info: &Value) -> Result<UserRow> {
    let group = require_user(client, info).await?;
    if group.usertype != UserType::Group {
        return Err(Error::InvalidValue(format!("Not a group: {}", group.name)));
    }
    Ok(group)
}

/// `addGroupMember(group, user, strict=True)`.
pub async fn add_group_member(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("addGroupMember", ["group", "user"], ["strict"]);
    let mut bound = params.bind(&SIG)?;
    let group_arg = bound.next_raw();
    let user_arg = bound.next_raw();
    let strict: Option<bool> = bound.arg()?;
    let admin = cx.assert_perm("admin").await?;
    let group = require_group(cx.db(), &group_arg).await?;
    let user = require_user(cx.db(), &user_arg).await?;
    if user.usertype == UserType::Group {
        return Err(Error::InvalidValue(
            "Groups cannot be members of other groups".into(),
        ));
    }
    let members = db::users::group_members(cx.db(), group.id).await?;
    if members.iter().any(|m| m.id == user.id) {
        if strict.unwrap_or(true) {
            return Err(Error::Generic(format!("User already in group: {}", user.name)));
        }
        return Ok(Value::Nil);
    }
    let event = cx.event().await?;
    db::users::add_group_member(&cx.tx()?, group.id, user.id, admin.user_id, event).await?;
    Ok(Value::Nil)
}

/// `dropGroupMember(group, user)`.
pub async fn drop_group_member(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("dropGroupMember", ["group", "user"], []);
    let mut bound = params.bind(&SIG)?;
    let group_arg = bound.next_raw();
    let user_arg = bound.next_raw();
    let admin = cx.assert_perm("admin").await?;
    let group = require_group(cx.db(), &group_arg).await?;
    let user = require_user(cx.db(), &user_arg).await?;
    let event = cx.event().await?;
    if !db::users::drop_group_member(&cx.tx()?, group.id, user.id, admin.user_id, event).await? {
        return Err(Error::Generic(format!("No such user in group: {}", user.name)));
    }
    Ok(Value::Nil)
}

/// `getGroupMembers(group)`.
pub async fn get_group_members(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("getGroupMembers", ["group"], []);
    let mut bound = params.bind(&SIG)?;
    let group = require_group(cx.db(), &bound.next_raw()).await?;
    let mut infos = Vec::new();
    for member in db::users::group_members(cx.db(), group.id).await? {
        infos.push(user_info(cx.db(), member, true, false).await?);
    }
    Ok(to_value(&infos)?)
}

/// `getUserGroups(user)`: `[{id, name}]`.
pub async fn get_user_groups(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("getUserGroups", ["user"], []);
    let mut bound = params.bind(&SIG)?;
    let user = require_user(cx.db(), &bound.next_raw()).await?;
    let mut groups = Vec::new();
    for name in db::users::group_names(cx.db(), user.id).await? {
        if let Some(group) = db::users::get_by_name(cx.db(), &name).await? {
            groups.push(Value::structure([
                ("id", Value::Int(group.id)),
                ("name", Value::from(group.name)),
            ]));
        }
    }
    Ok(Value::Array(groups))
}
