//! `modules` (filter `state`; paging) and `moduleinfo?moduleID=`: a module build's state, its
//! history with reasons, and its batches as a timeline with each component's task and state.

use std::collections::BTreeMap;

use common::states::{BuildState, ModuleBuildState};
use serde::Serialize;

use super::{PER_PAGE, Pager, order_links};
use crate::db;
use crate::db::modules::{ComponentBuildRow, ListQuery, ModuleBuildRow};
use crate::web::error::{WebError, WebResult};
use crate::web::render;
use crate::web::router::PageRequest;

const STATES: &[&str] = &[
    "all", "init", "wait", "build", "done", "failed", "ready", "garbage",
];

const ORDERS: &[&str] = &["id", "name", "time_submitted", "time_completed", "state"];

/// A module build as pages show it.
#[derive(Debug, Clone, Serialize)]
struct ModuleView {
    id: i64,
    nsvc: String,
    name: String,
    stream: String,
    version: String,
    context: String,
    state: String,
    state_reason: Option<String>,
    owner: String,
    owner_id: Option<i64>,
    scmurl: Option<String>,
    koji_tag: Option<String>,
    batch: i32,
    task_id: Option<i64>,
    scratch: bool,
    rebuild_strategy: String,
    submitted: String,
    modified: String,
    completed: Option<String>,
}

fn module_state_name(state: ModuleBuildState) -> String {
    state.name().to_owned()
}

impl ModuleView {
    fn of(row: &ModuleBuildRow) -> ModuleView {
        ModuleView {
            id: row.id,
            nsvc: row.nsvc(),
            name: row.name.clone(),
            stream: row.stream.clone(),
            version: row.version.clone(),
            context: row.context.clone(),
            state: module_state_name(row.state),
            state_reason: row.state_reason.clone(),
            owner: row.owner.clone(),
            owner_id: row.owner_id,
            scmurl: row.scmurl.clone(),
            koji_tag: row.koji_tag.clone(),
            batch: row.batch,
            task_id: row.task_id,
            scratch: row.scratch,
            rebuild_strategy: row.rebuild_strategy.clone(),
            submitted: row.time_submitted.koji_time(),
            modified: row.time_modified.koji_time(),
            completed: row.time_completed.map(|t| t.koji_time()),
        }
    }

    fn is_active(&self) -> bool {
        matches!(self.state.as_str(), "init" | "wait" | "build")
    }
}

/// A component in the timeline.
#[derive(Debug, Clone, Serialize)]
struct ComponentView {
    id: i64,
    package: String,
    state: String,
    state_reason: Option<String>,
    nvr: Option<String>,
    task_id: Option<i64>,
    reused: bool,
    tagged: bool,
    started: Option<String>,
    finished: Option<String>,
}

/// One batch of the timeline.
#[derive(Debug, Clone, Serialize)]
struct BatchView {
    number: i32,
    state: &'static str,
    components: Vec<ComponentView>,
}

/// The `modules` page.
pub async fn modules(page: &mut PageRequest<'_>) -> WebResult<String> {
    let state = page.query.choice("state", STATES, "all")?;
    let start = page.query.start()?;
    let order = page.query.order(ORDERS, "-id")?;
    let (column, descending) = match order.strip_prefix('-') {
        Some(column) => (column, true),
        None => (order, false),
    };
    let column = ORDERS.iter().find(|c| **c == column).copied().unwrap_or("id");
    let mut query = ListQuery {
        order: vec![(column, descending)],
        limit: PER_PAGE,
        offset: start,
        ..ListQuery::default()
    };
    if let Some(code) = ModuleBuildState::from_name(state) {
        query.states.push(Some(code.code()));
    }
    let (rows, total) = db::modules::list(page.api.db()?, &query).await?;
    let views: Vec<ModuleView> = rows.iter().map(ModuleView::of).collect();
    let params = vec![(
        "state",
        if state == "all" {
            String::new()
        } else {
            state.to_owned()
        },
    )];
    let refresh = views.iter().any(ModuleView::is_active);
    render::page(
        "modules.html",
        &page.visitor,
        minijinja::context! {
            modules => views,
            pager => Pager::new("modules", &params, order, start, rows.len(), total),
            sort => order_links("modules", &params, order, ORDERS),
            state => state,
            states => STATES,
            refresh => refresh,
        },
    )
}

fn component_state(row: &ComponentBuildRow) -> String {
    match row.state {
        None => "waiting".to_owned(),
        Some(state) => state.name().to_lowercase(),
    }
}

/// The `moduleinfo?moduleID=` page.
pub async fn moduleinfo(page: &mut PageRequest<'_>) -> WebResult<String> {
    let module_id = page.query.required_int("moduleID")?;
    let client = page.api.db()?;
    let row = db::modules::get(client, module_id)
        .await?
        .ok_or_else(|| WebError::NotFound(format!("no module build with id {module_id}")))?;
    let module = ModuleView::of(&row);
    let components = db::modules::components_of(client, &[module_id]).await?;
    let component_ids: Vec<i64> = components.iter().map(|c| c.id).collect();
    let traces = db::modules::component_traces(client, &component_ids).await?;
    let mut times: BTreeMap<i64, (String, String)> = BTreeMap::new();
    for trace in &traces {
        let time = trace.state_time.koji_time();
        times
            .entry(trace.owner_id)
            .and_modify(|(_, last)| last.clone_from(&time))
            .or_insert((time.clone(), time));
    }
    let mut batches: BTreeMap<i32, Vec<ComponentView>> = BTreeMap::new();
    let mut sorted = components;
    sorted.sort_by(|a, b| (a.batch, a.buildorder, &a.package).cmp(&(b.batch, b.buildorder, &b.package)));
    for component in &sorted {
        let finished = matches!(
            component.state,
            Some(BuildState::Complete | BuildState::Failed | BuildState::Canceled)
        );
        let (started, last) = times.get(&component.id).cloned().unzip();
        batches.entry(component.batch).or_default().push(ComponentView {
            id: component.id,
            package: component.package.clone(),
            state: component_state(component),
            state_reason: component.state_reason.clone(),
            nvr: component.nvr.clone(),
            task_id: component.task_id,
            reused: component.reused_component_id.is_some(),
            tagged: component.tagged,
            started,
            finished: if finished { last } else { None },
        });
    }
    let batches: Vec<BatchView> = batches
        .into_iter()
        .map(|(number, components)| {
            let state = if components
                .iter()
                .any(|c| c.state == "failed" || c.state == "canceled")
            {
                "failed"
            } else if components.iter().all(|c| c.state == "complete") {
                "complete"
            } else if number <= module.batch {
                "building"
            } else {
                "waiting"
            };
            BatchView {
                number,
                state,
                components,
            }
        })
        .collect();
    let history: Vec<(String, String, Option<String>)> = db::modules::module_traces(client, &[module_id])
        .await?
        .into_iter()
        .map(|t| {
            let state = t
                .state
                .and_then(ModuleBuildState::from_code)
                .map_or_else(|| "?".to_owned(), module_state_name);
            (t.state_time.koji_time(), state, t.state_reason)
        })
        .collect();
    let may_cancel = match page.visitor.session.as_ref() {
        Some(session) if module.is_active() => {
            let permissions = db::users::user_permissions(client, session.user_id, true).await?;
            let admin = &page.api.ctx().config.mbs.admin_permission;
            module.owner == session.user_name || permissions.iter().any(|p| p == admin || p == "admin")
        }
        _ => false,
    };
    let refresh = module.is_active();
    render::page(
        "moduleinfo.html",
        &page.visitor,
        minijinja::context! {
            module => module,
            batches => batches,
            history => history,
            may_cancel => may_cancel,
            refresh => refresh,
        },
    )
}
