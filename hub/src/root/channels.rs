//! Channels and host membership: `addHostToChannel`, `removeHostFromChannel`, `listChannels`,
//! `getChannel`, `addChannel` (also `createChannel`), `editChannel`, `renameChannel`,
//! `enableChannel`, `disableChannel`.

use common::signature;
use common::wire::ChannelInfo;
use common::xmlrpc::{Params, Signature, Value, to_value};
use tracing::info;

use crate::db;
use crate::db::hosts::ChannelRow;
use crate::error::{Error, Result};
use crate::root::hosts::{check_name, resolve_host};
use crate::rpc::call::Call;
use crate::tasks::create::resolve_channel;

fn channel_info(row: &ChannelRow) -> ChannelInfo {
    ChannelInfo {
        id: row.id,
        name: row.name.clone(),
        description: row.description.clone(),
        enabled: row.enabled,
        comment: row.comment.clone(),
    }
}

async fn require_channel(cx: &Call<'_>, info: &Value) -> Result<ChannelRow> {
    resolve_channel(cx.db(), info)
        .await?
        .ok_or_else(|| Error::NotFound {
            what: "channel",
            key: info.to_string(),
        })
}

/// `addHostToChannel(hostname, channel_name, create=False, force=False)`.
pub async fn add_host_to_channel(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!(
        "addHostToChannel",
        ["hostname", "channel_name"],
        ["create", "force"]
    );
    let mut bound = params.bind(&SIG)?;
    let host_info = bound.next_raw();
    let channel_name = bound.next_raw();
    let create: bool = bound.arg()?;
    let force: bool = bound.arg()?;
    let admin = cx.assert_perm("host").await?;
    let host = resolve_host(cx.db(), &host_info, None)
        .await?
        .ok_or_else(|| Error::Generic(format!("host does not exist: {host_info}")))?;
    if !force && !host.enabled {
        return Err(Error::Generic(format!("host {} is disabled", host.name)));
    }
    let tx = cx.tx()?;
    let channel = match resolve_channel(cx.db(), &channel_name).await? {
        Some(channel) => channel,
        None if create => {
            let Value::String(name) = &channel_name else {
                return Err(Error::InvalidValue(format!(
                    "Invalid channel name: {channel_name}"
                )));
            };
            check_name("channel", name)?;
            let id = db::hosts::create_channel(&tx, name, None).await?;
            info!(channel.id = id, channel.name = %name, "created channel {name}");
            db::hosts::channel(cx.db(), db::hosts::ChannelKey::Id(id))
                .await?
                .ok_or_else(|| Error::Internal("new channel vanished".into()))?
        }
        None => return Err(Error::Generic(format!("channel does not exist: {channel_name}"))),
    };
    if !force && !channel.enabled {
        return Err(Error::Generic(format!("channel {} is disabled", channel.name)));
    }
    if db::hosts::host_channel_ids(cx.db(), host.id)
        .await?
        .contains(&channel.id)
    {
        return Err(Error::Generic(format!(
            "host {} is already subscribed to the {} channel",
            host.name, channel.name
        )));
    }
    let event = cx.event().await?;
    db::hosts::add_host_channel(&cx.tx()?, host.id, channel.id, admin.user_id, event).await?;
    info!(host.name = %host.name, channel.name = %channel.name, "added host {} to channel {}", host.name, channel.name);
    Ok(Value::Nil)
}

/// `removeHostFromChannel(hostname, channel_name)`.
pub async fn remove_host_from_channel(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("removeHostFromChannel", ["hostname", "channel_name"], []);
    let mut bound = params.bind(&SIG)?;
    let host_info = bound.next_raw();
    let channel_name = bound.next_raw();
    let admin = cx.assert_perm("host").await?;
    let host = resolve_host(cx.db(), &host_info, None)
        .await?
        .ok_or_else(|| Error::Generic(format!("host does not exist: {host_info}")))?;
    let channel = resolve_channel(cx.db(), &channel_name)
        .await?
        .ok_or_else(|| Error::Generic(format!("channel does not exist: {channel_name}")))?;
    let event = cx.event().await?;
    if !db::hosts::remove_host_channel(&cx.tx()?, host.id, channel.id, admin.user_id, event).await? {
        return Err(Error::Generic(format!(
            "host {} is not subscribed to the {} channel",
            host.name, channel.name
        )));
    }
    Ok(Value::Nil)
}

/// `listChannels(hostID=None, event=None, enabled=None)`.
pub async fn list_channels(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("listChannels", [], ["hostID", "event", "enabled"]);
    let mut bound = params.bind(&SIG)?;
    let host_info = bound.next_raw();
    let event: Option<i64> = bound.arg()?;
    let enabled: Option<bool> = bound.arg()?;
    let host_id = match &host_info {
        Value::Nil => {
            if event.is_some() {
                return Err(Error::Generic(
                    "list_channels with event and not host is not allowed.".into(),
                ));
            }
            None
        }
        other => Some(
            resolve_host(cx.db(), other, None)
                .await?
                .ok_or_else(|| Error::Generic(format!("Invalid hostInfo: {other}")))?
                .id,
        ),
    };
    let rows = db::hosts::channels(cx.db(), host_id, event, enabled).await?;
    let channels: Vec<ChannelInfo> = rows.iter().map(channel_info).collect();
    Ok(to_value(&channels)?)
}

/// `getChannel(channelInfo, strict=False)`.
pub async fn get_channel(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("getChannel", ["channelInfo"], ["strict"]);
    let mut bound = params.bind(&SIG)?;
    let info = bound.next_raw();
    let strict: bool = bound.arg()?;
    match resolve_channel(cx.db(), &info).await? {
        Some(channel) => Ok(to_value(&channel_info(&channel))?),
        None if strict => Err(Error::NotFound {
            what: "channel",
            key: info.to_string(),
        }),
        None => Ok(Value::Nil),
    }
}

/// `addChannel(channel_name, description=None)` (admin): the new channel's id.
pub async fn add_channel(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("addChannel", ["channel_name"], ["description"]);
    let mut bound = params.bind(&SIG)?;
    let name: String = bound.arg()?;
    let description: Option<String> = bound.arg()?;
    cx.assert_perm("admin").await?;
    check_name("channel", &name)?;
    if let Some(existing) = db::hosts::channel(cx.db(), db::hosts::ChannelKey::Name(&name)).await? {
        return Err(Error::Generic(format!(
            "channel {name} already exists (id={})",
            existing.id
        )));
    }
    let id = db::hosts::create_channel(&cx.tx()?, &name, description.as_deref()).await?;
    info!(channel.id = id, channel.name = %name, "created channel {name}");
    Ok(Value::Int(id))
}

async fn update_channel(
    cx: &mut Call<'_>,
    mut channel: ChannelRow,
    new_name: Option<String>,
) -> Result<Value> {
    if let Some(name) = new_name.filter(|n| *n != channel.name) {
        check_name("channel", &name)?;
        if let Some(existing) = db::hosts::channel(cx.db(), db::hosts::ChannelKey::Name(&name)).await? {
            return Err(Error::Generic(format!(
                "channel {name} already exists (id={})",
                existing.id
            )));
        }
        channel.name = name;
    }
    db::hosts::update_channel(&cx.tx()?, &channel).await?;
    Ok(Value::Bool(true))
}

/// `editChannel(channelInfo, **kw)` (admin) with `name`, `description`, `comment`.
pub async fn edit_channel(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("editChannel", ["channelInfo"], ["name", "description", "comment"]);
    let mut bound = params.bind(&SIG)?;
    let info = bound.next_raw();
    let name: Option<String> = bound.arg()?;
    let description_given = bound.next_given();
    let description: Option<String> = bound.arg()?;
    let comment_given = bound.next_given();
    let comment: Option<String> = bound.arg()?;
    cx.assert_perm("admin").await?;
    let mut channel = require_channel(cx, &info).await?;
    if description_given {
        channel.description = description;
    }
    if comment_given {
        channel.comment = comment;
    }
    update_channel(cx, channel, name).await
}

/// `renameChannel(old, new)` (admin).
pub async fn rename_channel(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    let mut bound = params.bind(&signature!("renameChannel", ["old", "new"], []))?;
    let old = bound.next_raw();
    let new: String = bound.arg()?;
    cx.assert_perm("admin").await?;
    let channel = require_channel(cx, &old).await?;
    update_channel(cx, channel, Some(new)).await?;
    Ok(Value::Nil)
}

async fn set_channel_enabled(
    cx: &mut Call<'_>,
    params: Params,
    name: &'static str,
    enabled: bool,
) -> Result<Value> {
    let sig = Signature {
        name,
        ..signature!("setChannelEnabled", ["channelname"], ["comment"])
    };
    let mut bound = params.bind(&sig)?;
    let info = bound.next_raw();
    let comment_given = bound.next_given();
    let comment: Option<String> = bound.arg()?;
    cx.assert_perm("admin").await?;
    let mut channel = require_channel(cx, &info).await?;
    channel.enabled = enabled;
    if comment_given {
        channel.comment = comment;
    }
    db::hosts::update_channel(&cx.tx()?, &channel).await?;
    Ok(Value::Nil)
}

/// `enableChannel(channelname, comment=None)` (admin).
pub async fn enable_channel(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    set_channel_enabled(cx, params, "enableChannel", true).await
}

/// `disableChannel(channelname, comment=None)` (admin).
pub async fn disable_channel(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    set_channel_enabled(cx, params, "disableChannel", false).await
}
