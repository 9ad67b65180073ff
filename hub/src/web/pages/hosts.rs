//! `hosts` (filters `state`, `ready`, `channel`, `arch`), `hostinfo?hostID=` (channels, load,
//! current tasks) and `channelinfo?channelID=`.

use common::states::TaskState;
use common::xmlrpc::{Struct, Value};

use super::packages::not_nil;
use super::tasks::{TaskNode, host_names};
use super::{int_of, jinja};
use crate::web::api::kwargs;
use crate::web::error::WebResult;
use crate::web::render;
use crate::web::router::PageRequest;

fn active_states() -> Value {
    Value::Array(
        [TaskState::Free, TaskState::Open, TaskState::Assigned]
            .iter()
            .map(|s| Value::Int(i64::from(s.code())))
            .collect(),
    )
}

/// The `hosts` page.
pub async fn hosts(page: &mut PageRequest<'_>) -> WebResult<String> {
    let state = page
        .query
        .choice("state", &["enabled", "disabled", "all"], "enabled")?;
    let ready = page.query.choice("ready", &["yes", "no", "all"], "all")?;
    let channel = page.query.int("channelID")?;
    let arch = page.query.text("arch");
    let order = page
        .query
        .order(&["name", "id", "task_load", "capacity"], "name")?;
    let mut args: Vec<(&str, Value)> = vec![(
        "queryOpts",
        Value::Struct(Struct::from([("order".to_owned(), Value::from(order))])),
    )];
    match state {
        "enabled" => args.push(("enabled", Value::Bool(true))),
        "disabled" => args.push(("enabled", Value::Bool(false))),
        _ => {}
    }
    match ready {
        "yes" => args.push(("ready", Value::Bool(true))),
        "no" => args.push(("ready", Value::Bool(false))),
        _ => {}
    }
    if let Some(id) = channel {
        args.push(("channelID", Value::Int(id)));
    }
    if let Some(arch) = arch {
        args.push(("arches", Value::Array(vec![Value::from(arch)])));
    }
    let api = &page.api;
    let listed = api.read("listHosts", vec![kwargs(args)]).await?;
    let channels = api.read("listChannels", vec![]).await?;
    render::page(
        "hosts.html",
        &page.visitor,
        minijinja::context! {
            hosts => jinja(&listed),
            channels => jinja(&channels),
            state => state,
            ready => ready,
            channel_id => channel,
            arch => arch,
            order => order,
            refresh => true,
        },
    )
}

/// The `hostinfo?hostID=` page.
pub async fn hostinfo(page: &mut PageRequest<'_>) -> WebResult<String> {
    let host_id = page.query.required_int("hostID")?;
    let api = &page.api;
    let host = not_nil(
        api.read("getHost", vec![Value::Int(host_id)]).await?,
        "host",
        host_id,
    )?;
    let channels = api
        .read("listChannels", vec![kwargs([("hostID", Value::Int(host_id))])])
        .await?;
    let opts = Value::Struct(Struct::from([
        ("host_id".to_owned(), Value::Int(host_id)),
        ("state".to_owned(), active_states()),
    ]));
    let order = Value::Struct(Struct::from([("order".to_owned(), Value::from("id"))]));
    let current = api.read("listTasks", vec![opts, order]).await?;
    let hosts = host_names(api).await?;
    let tasks: Vec<TaskNode> = current
        .as_array()
        .map(|l| l.iter().map(|t| TaskNode::of(t, &hosts)).collect())
        .unwrap_or_default();
    let last_update = api.read("getLastHostUpdate", vec![Value::Int(host_id)]).await?;
    render::page(
        "hostinfo.html",
        &page.visitor,
        minijinja::context! {
            host => jinja(&host),
            channels => jinja(&channels),
            tasks => tasks,
            last_update => jinja(&last_update),
            refresh => true,
        },
    )
}

/// The `channelinfo?channelID=` page.
pub async fn channelinfo(page: &mut PageRequest<'_>) -> WebResult<String> {
    let channel_id = page.query.required_int("channelID")?;
    let api = &page.api;
    let channel = not_nil(
        api.read("getChannel", vec![Value::Int(channel_id)]).await?,
        "channel",
        channel_id,
    )?;
    let hosts = api
        .read("listHosts", vec![kwargs([("channelID", Value::Int(channel_id))])])
        .await?;
    let opts = Value::Struct(Struct::from([
        ("channel_id".to_owned(), Value::Int(channel_id)),
        ("state".to_owned(), active_states()),
    ]));
    let count = Value::Struct(Struct::from([("countOnly".to_owned(), Value::Bool(true))]));
    let active_tasks = api.read("listTasks", vec![opts, count]).await?;
    let enabled_hosts = hosts.as_array().map_or(0, |h| {
        h.iter()
            .filter(|h| h.get("enabled").is_some_and(Value::truthy))
            .count()
    });
    render::page(
        "channelinfo.html",
        &page.visitor,
        minijinja::context! {
            channel => jinja(&channel),
            channel_id => int_of(&channel, "id"),
            hosts => jinja(&hosts),
            enabled_hosts => enabled_hosts,
            active_tasks => jinja(&active_tasks),
        },
    )
}
