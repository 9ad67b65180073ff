//! `index`: the summary page: recent builds and tasks (the visitor's own when logged in) and the
//! hosts.

use common::xmlrpc::{Struct, Value};

use super::builds::build_state_name;
use super::jinja;
use super::tasks::{TaskNode, host_names};
use crate::web::api::kwargs;
use crate::web::error::WebResult;
use crate::web::render;
use crate::web::router::PageRequest;

/// The `index` page.
pub async fn index(page: &mut PageRequest<'_>) -> WebResult<String> {
    let api = &page.api;
    let mut opts = Struct::from([("parent".to_owned(), Value::Nil)]);
    if let Some(session) = page.visitor.session.as_ref() {
        opts.insert("owner".into(), Value::Int(session.user_id));
    }
    let query_opts = Value::Struct(Struct::from([
        ("order".to_owned(), Value::from("-id")),
        ("limit".to_owned(), Value::Int(10)),
    ]));
    let hosts = host_names(api).await?;
    let recent = api
        .read("listTasks", vec![Value::Struct(opts), query_opts])
        .await?;
    let tasks: Vec<TaskNode> = recent
        .as_array()
        .map(|l| l.iter().map(|t| TaskNode::of(t, &hosts)).collect())
        .unwrap_or_default();
    let host_list = api.read("listHosts", vec![]).await?;
    let mut build_args = vec![(
        "queryOpts",
        Value::Struct(Struct::from([
            ("order".to_owned(), Value::from("-build_id")),
            ("limit".to_owned(), Value::Int(10)),
        ])),
    )];
    if let Some(session) = page.visitor.session.as_ref() {
        build_args.push(("userID", Value::Int(session.user_id)));
    }
    let builds = api.read("listBuilds", vec![kwargs(build_args)]).await?;
    let builds: Vec<minijinja::Value> = builds
        .as_array()
        .unwrap_or_default()
        .iter()
        .map(|b| {
            minijinja::context! {
                build => jinja(b),
                state => build_state_name(b.get("state").and_then(Value::as_i64).unwrap_or(-1)),
            }
        })
        .collect();
    let refresh = tasks
        .iter()
        .any(|t| matches!(t.state.as_str(), "free" | "open" | "assigned"));
    render::page(
        "index.html",
        &page.visitor,
        minijinja::context! { tasks => tasks, builds => builds, hosts => jinja(&host_list), refresh => refresh },
    )
}
