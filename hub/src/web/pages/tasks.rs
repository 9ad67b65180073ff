//! `tasks`: the task listing with koji-web's filters (`owner`, `state`, `view`, `method`,
//! `hostID`, `channelID`) and paging (`start`, `order`).

use std::collections::BTreeMap;

use common::states::TaskState;
use common::xmlrpc::{Struct, Value};
use serde::Serialize;

use super::{PER_PAGE, Pager, int_of, order_links, page_url};
use crate::web::api::Api;
use crate::web::error::{WebError, WebResult};
use crate::web::render;
use crate::web::router::PageRequest;

/// The `state` filter values koji-web offers.
pub const STATES: &[&str] = &[
    "active", "all", "free", "open", "closed", "failed", "canceled", "assigned",
];

const VIEWS: &[&str] = &["tree", "toplevel", "flat"];

const ORDERS: &[&str] = &[
    "id",
    "method",
    "state",
    "owner_name",
    "arch",
    "priority",
    "create_time",
    "start_time",
    "completion_time",
];

/// How deep the tree view follows children.
const MAX_TREE_DEPTH: usize = 12;

/// One task of a listing or tree.
#[derive(Debug, Clone, Serialize)]
pub struct TaskNode {
    /// The id.
    pub id: i64,
    /// The state's lower-case name.
    pub state: String,
    /// The method.
    pub method: String,
    /// The arch.
    pub arch: String,
    /// The label under its parent.
    pub label: Option<String>,
    /// The owner's name.
    pub owner_name: Option<String>,
    /// The host's name.
    pub host_name: Option<String>,
    /// The host's id.
    pub host_id: Option<i64>,
    /// Priority.
    pub priority: i64,
    /// Koji time strings.
    pub create_time: Option<String>,
    /// When it finished.
    pub completion_time: Option<String>,
    /// Child tasks (tree views only).
    pub children: Vec<TaskNode>,
}

fn string_of(value: &Value, key: &str) -> Option<String> {
    value.get(key).and_then(Value::as_str).map(str::to_owned)
}

impl TaskNode {
    /// A node from a `listTasks` or `getTaskInfo` entry.
    pub fn of(entry: &Value, hosts: &BTreeMap<i64, String>) -> TaskNode {
        let host_id = int_of(entry, "host_id");
        TaskNode {
            id: int_of(entry, "id").unwrap_or_default(),
            state: render::task_state_name(int_of(entry, "state").unwrap_or(-1)),
            method: string_of(entry, "method").unwrap_or_default(),
            arch: string_of(entry, "arch").unwrap_or_default(),
            label: string_of(entry, "label"),
            owner_name: string_of(entry, "owner_name"),
            host_name: host_id.and_then(|id| hosts.get(&id).cloned()),
            host_id,
            priority: int_of(entry, "priority").unwrap_or_default(),
            create_time: string_of(entry, "create_time"),
            completion_time: string_of(entry, "completion_time"),
            children: Vec::new(),
        }
    }
}

/// Host names by id (hosts are few).
pub async fn host_names(api: &Api<'_>) -> WebResult<BTreeMap<i64, String>> {
    let hosts = api.read("listHosts", vec![]).await?;
    Ok(hosts
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|h| Some((int_of(h, "id")?, string_of(h, "name")?)))
                .collect()
        })
        .unwrap_or_default())
}

/// Attaches every descendant of `roots` (listed level by level, one query per level).
pub async fn attach_children(
    api: &Api<'_>,
    roots: &mut [TaskNode],
    hosts: &BTreeMap<i64, String>,
) -> WebResult<()> {
    let mut level: Vec<i64> = roots.iter().map(|t| t.id).collect();
    let mut by_parent: BTreeMap<i64, Vec<TaskNode>> = BTreeMap::new();
    for _ in 0..MAX_TREE_DEPTH {
        if level.is_empty() {
            break;
        }
        let ids = Value::Array(level.iter().map(|id| Value::Int(*id)).collect());
        let opts = Value::Struct(Struct::from([("parent".to_owned(), ids)]));
        let order = Value::Struct(Struct::from([("order".to_owned(), Value::from("id"))]));
        let children = api.read("listTasks", vec![opts, order]).await?;
        level.clear();
        for child in children.as_array().unwrap_or_default() {
            let node = TaskNode::of(child, hosts);
            level.push(node.id);
            if let Some(parent) = int_of(child, "parent") {
                by_parent.entry(parent).or_default().push(node);
            }
        }
    }
    fn graft(node: &mut TaskNode, by_parent: &mut BTreeMap<i64, Vec<TaskNode>>) {
        if let Some(mut kids) = by_parent.remove(&node.id) {
            for kid in &mut kids {
                graft(kid, by_parent);
            }
            node.children = kids;
        }
    }
    for root in roots {
        graft(root, &mut by_parent);
    }
    Ok(())
}

/// The state codes a `state` filter value means.
fn state_codes(state: &str) -> Option<Vec<Value>> {
    let states: Vec<TaskState> = match state {
        "active" => vec![TaskState::Free, TaskState::Open, TaskState::Assigned],
        "all" => return None,
        other => vec![TaskState::from_name(other)?],
    };
    Some(
        states
            .into_iter()
            .map(|s| Value::Int(i64::from(s.code())))
            .collect(),
    )
}

/// The `tasks` page.
pub async fn tasks(page: &mut PageRequest<'_>) -> WebResult<String> {
    let query = &page.query;
    let state = query.choice("state", STATES, "active")?;
    let view = query.choice("view", VIEWS, "tree")?;
    let method = query.text("method").unwrap_or("all");
    let owner = query.text("owner");
    let host_id = query.int("hostID")?;
    let channel_id = query.int("channelID")?;
    let start = query.start()?;
    let order = query.order(ORDERS, "-id")?;
    let api = &page.api;

    let mut opts = Struct::new();
    if let Some(codes) = state_codes(state) {
        opts.insert("state".into(), Value::Array(codes));
    }
    if view != "flat" {
        opts.insert("parent".into(), Value::Nil);
    }
    if method != "all" {
        opts.insert("method".into(), Value::from(method));
    }
    let owner_row = match owner {
        Some(name) => {
            let user = api.read("getUser", vec![Value::from(name)]).await?;
            let id =
                int_of(&user, "id").ok_or_else(|| WebError::NotFound(format!("no user named {name:?}")))?;
            opts.insert("owner".into(), Value::Int(id));
            Some(user)
        }
        None => None,
    };
    if let Some(id) = host_id {
        let host = api.read("getHost", vec![Value::Int(id)]).await?;
        if host.is_nil() {
            return Err(WebError::NotFound(format!("no host with id {id}")));
        }
        opts.insert("host_id".into(), Value::Int(id));
    }
    if let Some(id) = channel_id {
        opts.insert("channel_id".into(), Value::Int(id));
    }
    let opts = Value::Struct(opts);
    let page_opts = Value::Struct(Struct::from([
        ("order".to_owned(), Value::from(order)),
        ("offset".to_owned(), Value::Int(start)),
        ("limit".to_owned(), Value::Int(PER_PAGE)),
    ]));
    let count_opts = Value::Struct(Struct::from([("countOnly".to_owned(), Value::Bool(true))]));
    let (listed, total, hosts) = tokio::join!(
        api.read("listTasks", vec![opts.clone(), page_opts]),
        api.read("listTasks", vec![opts, count_opts]),
        host_names(api),
    );
    let (listed, total, hosts) = (listed?, total?.as_i64().unwrap_or_default(), hosts?);
    let mut nodes: Vec<TaskNode> = listed
        .as_array()
        .map(|l| l.iter().map(|t| TaskNode::of(t, &hosts)).collect())
        .unwrap_or_default();
    if view == "tree" {
        attach_children(api, &mut nodes, &hosts).await?;
    }
    let params = vec![
        ("owner", owner.unwrap_or_default().to_owned()),
        ("state", state.to_owned()),
        ("view", view.to_owned()),
        (
            "method",
            if method == "all" {
                String::new()
            } else {
                method.to_owned()
            },
        ),
        ("hostID", host_id.map(|h| h.to_string()).unwrap_or_default()),
        ("channelID", channel_id.map(|c| c.to_string()).unwrap_or_default()),
    ];
    let pager = Pager::new("tasks", &params, order, start, nodes.len(), total);
    let sort = order_links("tasks", &params, order, ORDERS);
    let with = |key: &str, value: &str| {
        let mut all: Vec<(&str, String)> = params.iter().filter(|(k, _)| *k != key).cloned().collect();
        all.push((key, value.to_owned()));
        all.push(("order", order.to_owned()));
        (value.to_owned(), page_url("tasks", &all))
    };
    let state_links: Vec<(String, String)> = STATES.iter().map(|s| with("state", s)).collect();
    let view_links: Vec<(String, String)> = VIEWS.iter().map(|v| with("view", v)).collect();
    let active = nodes
        .iter()
        .any(|t| matches!(t.state.as_str(), "free" | "open" | "assigned"));
    render::page(
        "tasks.html",
        &page.visitor,
        minijinja::context! {
            tasks => nodes,
            pager => pager,
            sort => sort,
            state => state,
            view => view,
            method => method,
            owner => owner_row.as_ref().map(super::jinja),
            host_id => host_id,
            channel_id => channel_id,
            state_links => state_links,
            view_links => view_links,
            refresh => active,
        },
    )
}
