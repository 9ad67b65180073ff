//! Build hosts: `addHost`, `editHost`, `enableHost`, `disableHost`, `getHost`, `listHosts`,
//! `getLastHostUpdate`, `getAllArches`.
//!
//! A host logs in as its user (named like the host, usertype HOST): with a client certificate
//! whose CN is the host name, or with a password set by `addHost(…, password=…)` (a Kiln
//! keyword) or `editUser(host, password=…)`.

use common::signature;
use common::states::{UserStatus, UserType};
use common::wire::HostInfo;
use common::xmlrpc::{Params, Signature, Value, to_value};
use tracing::info;

use crate::auth::password;
use crate::db::hosts::{HostConfig, HostFilter, HostKey, HostRow};
use crate::db::query::QueryOpts;
use crate::db::{self, Client};
use crate::error::{Error, Result};
use crate::rpc::call::Call;
use crate::tasks::create::check_arch;

/// The wire record of a host.
pub fn host_info(row: &HostRow) -> HostInfo {
    HostInfo {
        id: row.id,
        user_id: row.user_id,
        name: row.name.clone(),
        update_ts: row.update_time.map(|t| t.koji_ts()),
        ready: row.ready,
        task_load: row.task_load,
        arches: row.arches.clone(),
        capacity: row.capacity,
        description: row.description.clone(),
        comment: row.comment.clone(),
        enabled: row.enabled,
    }
}

/// Finds a host named by id or name (current, or as of `event`).
pub async fn resolve_host(client: &Client, info: &Value, event: Option<i64>) -> Result<Option<HostRow>> {
    match info {
        Value::Int(id) => db::hosts::get(client, HostKey::Id(*id), event).await,
        Value::String(name) => db::hosts::get(client, HostKey::Name(name), event).await,
        Value::Struct(members) => match (members.get("id").and_then(Value::as_i64), members.get("name")) {
            (Some(id), _) => db::hosts::get(client, HostKey::Id(id), event).await,
            (None, Some(Value::String(name))) => db::hosts::get(client, HostKey::Name(name), event).await,
            _ => Err(Error::InvalidValue("a host struct needs id or name".into())),
        },
        other => Err(Error::InvalidValue(format!(
            "Invalid type for hostInfo: {}",
            other.type_name()
        ))),
    }
}

/// Like [`resolve_host`], but a missing host is Koji's `Invalid hostInfo` error.
pub async fn require_host(client: &Client, info: &Value) -> Result<HostRow> {
    resolve_host(client, info, None)
        .await?
        .ok_or_else(|| Error::Generic(format!("Invalid hostInfo: {info}")))
}

/// Checks a host or channel name: letters, digits, `.`, `_`, `-`.
pub fn check_name(what: &str, name: &str) -> Result<()> {
    let valid = !name.is_empty()
        && name.len() <= 128
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '+'));
    if valid {
        Ok(())
    } else {
        Err(Error::InvalidValue(format!("Invalid {what} name: {name:?}")))
    }
}

/// Reads arches given as a list or a space/comma separated string into Koji's stored form.
pub fn parse_arches(value: &Value) -> Result<Option<String>> {
    let names: Vec<String> = match value {
        Value::Nil => return Ok(None),
        Value::String(text) => text
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|a| !a.is_empty())
            .map(str::to_owned)
            .collect(),
        Value::Array(items) => {
            let mut names = Vec::new();
            for item in items {
                match item {
                    Value::String(text) => names.extend(
                        text.split(|c: char| c == ',' || c.is_whitespace())
                            .filter(|a| !a.is_empty())
                            .map(str::to_owned),
                    ),
                    other => return Err(Error::InvalidValue(format!("Invalid arch: {other}"))),
                }
            }
            names
        }
        other => {
            return Err(Error::InvalidValue(format!(
                "arches must be a list or a string, not {}",
                other.type_name()
            )));
        }
    };
    for arch in &names {
        check_arch(arch)?;
    }
    Ok(Some(names.join(" ")))
}

/// `addHost(hostname, arches, krb_principal=None, force=False)`, plus Kiln's `password`
/// keyword for builders that log in with a password.
pub async fn add_host(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!(
        "addHost",
        ["hostname", "arches"],
        ["krb_principal", "force", "password"]
    );
    let mut bound = params.bind(&SIG)?;
    let hostname: String = bound.arg()?;
    let arches = parse_arches(&bound.next_raw())?;
    let krb_principal: Option<String> = bound.arg()?;
    let force: bool = bound.arg()?;
    let host_password: Option<String> = bound.arg()?;
    let admin = cx.assert_perm("host").await?;
    check_name("host", &hostname)?;
    if db::hosts::get(cx.db(), HostKey::Name(&hostname), None)
        .await?
        .is_some()
    {
        return Err(Error::Generic(format!("host already exists: {hostname}")));
    }
    let hash = match host_password.filter(|p| !p.is_empty()) {
        Some(p) => Some(password::hash_blocking(p).await?),
        None => None,
    };
    let event = cx.event().await?;
    let tx = cx.tx()?;
    let user_id = match db::users::get_by_name(cx.db(), &hostname).await? {
        Some(user) if user.usertype == UserType::Host => user.id,
        Some(user) if force && user.usertype == UserType::Normal => {
            db::users::set_usertype(&tx, user.id, UserType::Host).await?;
            user.id
        }
        Some(_) => {
            return Err(Error::Generic(format!(
                "user {hostname} already exists and it is not a host"
            )));
        }
        None => {
            let id = db::users::create(&tx, &hostname, UserType::Host, UserStatus::Normal, None).await?;
            if let Some(principal) = &krb_principal {
                db::users::add_principal(&tx, id, principal).await?;
            }
            id
        }
    };
    if let Some(hash) = &hash {
        db::users::set_password_hash(&tx, user_id, Some(hash)).await?;
    }
    let host_id = db::hosts::create(&tx, user_id, &hostname).await?;
    let config = HostConfig {
        arches,
        capacity: 2.0,
        description: None,
        comment: None,
        enabled: true,
    };
    db::hosts::set_config(&tx, host_id, &config, admin.user_id, event).await?;
    let default = db::hosts::channel(cx.db(), db::hosts::ChannelKey::Name("default"))
        .await?
        .ok_or_else(|| Error::Internal("the default channel is missing".into()))?;
    db::hosts::add_host_channel(&tx, host_id, default.id, admin.user_id, event).await?;
    info!(host.id = host_id, host.name = %hostname, "added host {hostname}");
    Ok(Value::Int(host_id))
}

/// `editHost(hostInfo, **kw)` with `arches`, `capacity`, `description`, `comment`: true if
/// anything changed.
pub async fn edit_host(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!(
        "editHost",
        ["hostInfo"],
        ["arches", "capacity", "description", "comment"]
    );
    let mut bound = params.bind(&SIG)?;
    let info = bound.next_raw();
    let arches_given = bound.next_given();
    let arches = bound.next_raw();
    let capacity_given = bound.next_given();
    let capacity: Option<f64> = bound.arg()?;
    let description_given = bound.next_given();
    let description: Option<String> = bound.arg()?;
    let comment_given = bound.next_given();
    let comment: Option<String> = bound.arg()?;
    let admin = cx.assert_perm("host").await?;
    let host = require_host(cx.db(), &info).await?;
    let mut config = HostConfig::of(&host);
    if arches_given {
        config.arches = parse_arches(&arches)?;
    }
    if capacity_given {
        match capacity {
            Some(c) if c.is_finite() && c > 1.0 => config.capacity = c,
            Some(c) => {
                return Err(Error::InvalidValue(format!(
                    "capacity must be more than 1, not {c}"
                )));
            }
            None => return Err(Error::InvalidValue("capacity cannot be None".into())),
        }
    }
    if description_given {
        config.description = description;
    }
    if comment_given {
        config.comment = comment;
    }
    if config == HostConfig::of(&host) {
        return Ok(Value::Bool(false));
    }
    let event = cx.event().await?;
    db::hosts::set_config(&cx.tx()?, host.id, &config, admin.user_id, event).await?;
    info!(host.id = host.id, host.name = %host.name, "edited host {}", host.name);
    Ok(Value::Bool(true))
}

async fn set_enabled(cx: &mut Call<'_>, params: Params, name: &'static str, enabled: bool) -> Result<Value> {
    let sig = Signature {
        name,
        ..signature!("setHostEnabled", ["hostname"], [])
    };
    let mut bound = params.bind(&sig)?;
    let info = bound.next_raw();
    let admin = cx.assert_perm("host").await?;
    let host = require_host(cx.db(), &info).await?;
    if host.enabled == enabled {
        return Ok(Value::Nil);
    }
    let config = HostConfig {
        enabled,
        ..HostConfig::of(&host)
    };
    let event = cx.event().await?;
    db::hosts::set_config(&cx.tx()?, host.id, &config, admin.user_id, event).await?;
    info!(host.id = host.id, host.name = %host.name, enabled, "set host {} enabled={enabled}", host.name);
    Ok(Value::Nil)
}

/// `enableHost(hostname)`.
pub async fn enable_host(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    set_enabled(cx, params, "enableHost", true).await
}

/// `disableHost(hostname)`.
pub async fn disable_host(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    set_enabled(cx, params, "disableHost", false).await
}

/// `getHost(hostInfo, strict=False, event=None)`.
pub async fn get_host(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("getHost", ["hostInfo"], ["strict", "event"]);
    let mut bound = params.bind(&SIG)?;
    let info = bound.next_raw();
    let strict: bool = bound.arg()?;
    let event: Option<i64> = bound.arg()?;
    match resolve_host(cx.db(), &info, event).await? {
        Some(host) => Ok(to_value(&host_info(&host))?),
        None if strict => Err(Error::Generic(format!("Invalid hostInfo: {info}"))),
        None => Ok(Value::Nil),
    }
}

/// `listHosts(arches=None, channelID=None, ready=None, enabled=None, userID=None,
/// queryOpts=None)`.
pub async fn list_hosts(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!(
        "listHosts",
        [],
        ["arches", "channelID", "ready", "enabled", "userID", "queryOpts"]
    );
    let mut bound = params.bind(&SIG)?;
    let arches = parse_arches(&bound.next_raw())?;
    let channel = bound.next_raw();
    let ready: Option<bool> = bound.arg()?;
    let enabled: Option<bool> = bound.arg()?;
    let user = bound.next_raw();
    let opts = QueryOpts::from_value(&bound.next_raw())?;
    let channel_id = match &channel {
        Value::Nil => None,
        other => Some(
            crate::tasks::create::resolve_channel(cx.db(), other)
                .await?
                .ok_or_else(|| Error::NotFound {
                    what: "channel",
                    key: other.to_string(),
                })?
                .id,
        ),
    };
    let user_id = match &user {
        Value::Nil => None,
        other => Some(crate::root::users::require_user(cx.db(), other).await?.id),
    };
    let filter = HostFilter {
        arches: arches
            .map(|a| a.split(' ').map(str::to_owned).collect())
            .unwrap_or_default(),
        channel_id,
        ready,
        enabled,
        user_id,
    };
    let rows = db::hosts::list(cx.db(), &filter, &opts).await?;
    if opts.count_only {
        return Ok(Value::Int(i64::try_from(rows.len()).unwrap_or(i64::MAX)));
    }
    let hosts: Vec<HostInfo> = rows.iter().map(host_info).collect();
    Ok(to_value(&hosts)?)
}

/// `getLastHostUpdate(hostID, ts=False)`: the last check-in as Koji's time string, or epoch
/// seconds with `ts`; nil if the host never checked in.
pub async fn get_last_host_update(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("getLastHostUpdate", ["hostID"], ["ts"]);
    let mut bound = params.bind(&SIG)?;
    let info = bound.next_raw();
    let ts: bool = bound.arg()?;
    let host = resolve_host(cx.db(), &info, None).await?;
    Ok(match host.and_then(|h| h.update_time) {
        None => Value::Nil,
        Some(time) if ts => Value::Double(time.koji_ts()),
        Some(time) => Value::String(time.koji_time()),
    })
}

/// `getAllArches()`: every arch a host has.
pub async fn get_all_arches(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    params.bind(&signature!("getAllArches", [], []))?;
    let arches = db::hosts::all_arches(cx.db()).await?;
    Ok(Value::Array(arches.into_iter().map(Value::String).collect()))
}
