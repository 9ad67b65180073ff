//! `builds` (filters `userID`, `packageID`, `state`, `prefix`; paging) and
//! `buildinfo?buildID=` (RPMs, logs, tags, buildroots, the task).

use std::collections::BTreeSet;

use common::states::BuildState;
use common::xmlrpc::{Struct, Value};

use super::packages::not_nil;
use super::{PER_PAGE, Pager, int_of, jinja, order_links};
use crate::web::api::kwargs;
use crate::web::error::WebResult;
use crate::web::render;
use crate::web::router::PageRequest;

const ORDERS: &[&str] = &[
    "build_id",
    "nvr",
    "owner_name",
    "creation_time",
    "completion_time",
    "state",
];

const STATES: &[&str] = &["all", "building", "complete", "deleted", "failed", "canceled"];

/// The lower-case name of a build state code.
pub fn build_state_name(code: i64) -> String {
    i32::try_from(code)
        .ok()
        .and_then(BuildState::from_code)
        .map_or_else(|| "unknown".to_owned(), |s| s.name().to_lowercase())
}

/// The `builds` page.
pub async fn builds(page: &mut PageRequest<'_>) -> WebResult<String> {
    let query = &page.query;
    let user_id = query.int("userID")?;
    let package_id = query.int("packageID")?;
    let state = query.choice("state", STATES, "all")?;
    let prefix = query.text("prefix");
    let start = query.start()?;
    let order = query.order(ORDERS, "-build_id")?;
    let api = &page.api;
    let user = match user_id {
        Some(id) => Some(not_nil(
            api.read("getUser", vec![Value::Int(id)]).await?,
            "user",
            id,
        )?),
        None => None,
    };
    let package = match package_id {
        Some(id) => Some(not_nil(
            api.read("getPackage", vec![Value::Int(id)]).await?,
            "package",
            id,
        )?),
        None => None,
    };
    let mut args: Vec<(&str, Value)> = Vec::new();
    if let Some(id) = user_id {
        args.push(("userID", Value::Int(id)));
    }
    if let Some(id) = package_id {
        args.push(("packageID", Value::Int(id)));
    }
    if let Some(code) = BuildState::from_name(state) {
        args.push(("state", Value::Int(i64::from(code.code()))));
    }
    if let Some(prefix) = prefix {
        args.push(("prefix", Value::from(prefix)));
    }
    let (listed, total) = api.page_of("listBuilds", args, order, start, PER_PAGE).await?;
    let shown = listed.as_array().map_or(0, <[Value]>::len);
    let params = vec![
        ("userID", user_id.map(|u| u.to_string()).unwrap_or_default()),
        ("packageID", package_id.map(|p| p.to_string()).unwrap_or_default()),
        (
            "state",
            if state == "all" {
                String::new()
            } else {
                state.to_owned()
            },
        ),
        ("prefix", prefix.unwrap_or_default().to_owned()),
    ];
    let rows: Vec<(Value, String)> = listed
        .as_array()
        .unwrap_or_default()
        .iter()
        .map(|b| (b.clone(), build_state_name(int_of(b, "state").unwrap_or(-1))))
        .collect();
    let builds: Vec<minijinja::Value> = rows
        .iter()
        .map(|(b, s)| minijinja::context! { build => jinja(b), state => s })
        .collect();
    render::page(
        "builds.html",
        &page.visitor,
        minijinja::context! {
            builds => builds,
            pager => Pager::new("builds", &params, order, start, shown, total),
            sort => order_links("builds", &params, order, ORDERS),
            user => user.as_ref().map(jinja),
            package => package.as_ref().map(jinja),
            state => state,
            states => STATES,
            prefix => prefix,
        },
    )
}

/// The `buildinfo?buildID=` page.
pub async fn buildinfo(page: &mut PageRequest<'_>) -> WebResult<String> {
    let build_id = page.query.required_int("buildID")?;
    let api = &page.api;
    let build = not_nil(
        api.read("getBuild", vec![Value::Int(build_id)]).await?,
        "build",
        build_id,
    )?;
    let state = build_state_name(int_of(&build, "state").unwrap_or(-1));
    let rpms = api
        .read(
            "listRPMs",
            vec![kwargs([
                ("buildID", Value::Int(build_id)),
                (
                    "queryOpts",
                    Value::Struct(Struct::from([("order".to_owned(), Value::from("name"))])),
                ),
            ])],
        )
        .await?;
    let tags = api
        .read("listTags", vec![kwargs([("build", Value::Int(build_id))])])
        .await?;
    let logs = api.read("getBuildLogs", vec![Value::Int(build_id)]).await?;
    let buildroot_ids: BTreeSet<i64> = rpms
        .as_array()
        .unwrap_or_default()
        .iter()
        .filter_map(|r| int_of(r, "buildroot_id"))
        .collect();
    let mut buildroots = Vec::new();
    for id in buildroot_ids {
        let buildroot = api.read("getBuildroot", vec![Value::Int(id)]).await?;
        if !buildroot.is_nil() {
            buildroots.push(jinja(&buildroot));
        }
    }
    let task = match int_of(&build, "task_id") {
        Some(id) => api.read("getTaskInfo", vec![Value::Int(id)]).await?,
        None => Value::Nil,
    };
    let may_cancel = state == "building"
        && match page.visitor.session.as_ref() {
            Some(session) => {
                int_of(&build, "owner_id") == Some(session.user_id)
                    || api.read("hasPerm", vec![Value::from("admin")]).await?.truthy()
            }
            None => false,
        };
    let topurl = api
        .ctx()
        .config
        .topurl
        .clone()
        .unwrap_or_else(|| "/kojifiles".to_owned());
    render::page(
        "buildinfo.html",
        &page.visitor,
        minijinja::context! {
            build => jinja(&build),
            state => state,
            rpms => jinja(&rpms),
            tags => jinja(&tags),
            logs => jinja(&logs),
            buildroots => buildroots,
            task => jinja(&task),
            task_state => int_of(&task, "state").map(render::task_state_name),
            may_cancel => may_cancel,
            topurl => topurl,
            refresh => state == "building",
        },
    )
}
