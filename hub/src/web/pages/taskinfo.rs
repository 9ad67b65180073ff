//! `taskinfo?taskID=`: one task with its request, result, parent, children as a tree, output
//! files and buildroots; `tasklog` follows a log while the task runs; `getfile` serves the
//! bytes of an output file from an offset.

use base64::Engine as _;
use common::xmlrpc::Value;
use serde::Serialize;

use super::tasks::{TaskNode, attach_children, host_names};
use super::{int_of, jinja};
use crate::web::api::kwargs;
use crate::web::error::{WebError, WebResult};
use crate::web::render;
use crate::web::router::{PageRequest, Reply};

/// The most `getfile` returns at once.
const MAX_CHUNK: i64 = 1024 * 1024;

/// One output file.
#[derive(Debug, Clone, Serialize)]
struct OutputFile {
    name: String,
    size: String,
    is_log: bool,
}

/// Reads a task or answers 404.
async fn task_or_404(page: &PageRequest<'_>, task_id: i64, request: bool) -> WebResult<Value> {
    let info = page
        .api
        .read("getTaskInfo", vec![Value::Int(task_id), Value::Bool(request)])
        .await?;
    if info.is_nil() {
        return Err(WebError::NotFound(format!("no task with id {task_id}")));
    }
    Ok(info)
}

fn is_active(state: i64) -> bool {
    matches!(
        render::task_state_name(state).as_str(),
        "free" | "open" | "assigned"
    )
}

/// The `taskinfo` page.
pub async fn taskinfo(page: &mut PageRequest<'_>) -> WebResult<String> {
    let task_id = page.query.required_int("taskID")?;
    let info = task_or_404(page, task_id, true).await?;
    let api = &page.api;
    let state = int_of(&info, "state").unwrap_or(-1);
    let hosts = host_names(api).await?;
    let owner = match int_of(&info, "owner") {
        Some(id) => api.read("getUser", vec![Value::Int(id)]).await?,
        None => Value::Nil,
    };
    let channel = match int_of(&info, "channel_id") {
        Some(id) => api.read("getChannel", vec![Value::Int(id)]).await?,
        None => Value::Nil,
    };
    let parent = match int_of(&info, "parent") {
        Some(id) => Some(TaskNode::of(
            &api.read("getTaskInfo", vec![Value::Int(id)]).await?,
            &hosts,
        )),
        None => None,
    };
    let mut root = vec![TaskNode::of(&info, &hosts)];
    attach_children(api, &mut root, &hosts).await?;
    let children = root.pop().map(|r| r.children).unwrap_or_default();
    let params: Vec<String> = info
        .get("request")
        .and_then(Value::as_array)
        .map(|args| args.iter().map(ToString::to_string).collect())
        .unwrap_or_default();
    let (result, fault) = match render::task_state_name(state).as_str() {
        "closed" | "failed" | "canceled" => {
            let result = api
                .read(
                    "getTaskResult",
                    vec![Value::Int(task_id), kwargs([("raise_fault", Value::Bool(false))])],
                )
                .await;
            match result {
                Ok(value) if value.get("faultCode").is_some() => (
                    None,
                    Some(
                        value
                            .get("faultString")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_owned(),
                    ),
                ),
                Ok(value) => (Some(value.to_string()), None),
                Err(e) => (None, Some(common::Fault::from(&e).message)),
            }
        }
        _ => (None, None),
    };
    let output = api
        .read("listTaskOutput", vec![Value::Int(task_id), Value::Bool(true)])
        .await?;
    let files: Vec<OutputFile> = output
        .as_struct()
        .map(|files| {
            files
                .iter()
                .map(|(name, stat)| OutputFile {
                    name: name.clone(),
                    size: stat
                        .get("st_size")
                        .and_then(Value::as_str)
                        .unwrap_or("?")
                        .to_owned(),
                    is_log: name.ends_with(".log"),
                })
                .collect()
        })
        .unwrap_or_default();
    let buildroots = api
        .read("listBuildroots", vec![kwargs([("taskID", Value::Int(task_id))])])
        .await?;
    // The builds the task made (koji-web's `taskBuilds`).
    let builds = api
        .read("listBuilds", vec![kwargs([("taskID", Value::Int(task_id))])])
        .await?;
    let may_act = match page.visitor.session.as_ref() {
        Some(session) => {
            int_of(&info, "owner") == Some(session.user_id)
                || api.read("hasPerm", vec![Value::from("admin")]).await?.truthy()
        }
        None => false,
    };
    let active = is_active(state) || children_active(&children);
    render::page(
        "taskinfo.html",
        &page.visitor,
        minijinja::context! {
            task => jinja(&info),
            state => render::task_state_name(state),
            owner => jinja(&owner),
            channel => jinja(&channel),
            host_name => int_of(&info, "host_id").and_then(|id| hosts.get(&id).cloned()),
            parent => parent,
            children => children,
            params => params,
            result => result,
            fault => fault,
            files => files,
            buildroots => jinja(&buildroots),
            builds => jinja(&builds),
            may_act => may_act,
            can_cancel => is_active(state),
            can_resubmit => matches!(render::task_state_name(state).as_str(), "failed" | "canceled") && int_of(&info, "parent").is_none(),
            refresh => active,
        },
    )
}

fn children_active(children: &[TaskNode]) -> bool {
    children
        .iter()
        .any(|c| matches!(c.state.as_str(), "free" | "open" | "assigned") || children_active(&c.children))
}

/// The `tasklog?taskID=&name=` viewer: the file so far, then followed while the task runs.
pub async fn tasklog(page: &mut PageRequest<'_>) -> WebResult<String> {
    let task_id = page.query.required_int("taskID")?;
    let name = page
        .query
        .text("name")
        .ok_or_else(|| WebError::BadRequest("name is required".into()))?
        .to_owned();
    crate::files::paths::check_output_name(&name)?;
    let info = task_or_404(page, task_id, false).await?;
    let state = int_of(&info, "state").unwrap_or(-1);
    let (text, next_offset) = read_chunk(page, task_id, &name, 0).await?;
    render::page(
        "tasklog.html",
        &page.visitor,
        minijinja::context! {
            task => jinja(&info),
            state => render::task_state_name(state),
            name => name,
            text => String::from_utf8_lossy(&text).into_owned(),
            next_offset => next_offset,
            follow => is_active(state),
        },
    )
}

/// Reads up to [`MAX_CHUNK`] bytes of an output file from `offset`.
async fn read_chunk(
    page: &PageRequest<'_>,
    task_id: i64,
    name: &str,
    offset: i64,
) -> WebResult<(Vec<u8>, i64)> {
    let encoded = page
        .api
        .read(
            "downloadTaskOutput",
            vec![
                Value::Int(task_id),
                Value::from(name),
                Value::Int(offset),
                Value::Int(MAX_CHUNK),
            ],
        )
        .await?;
    let bytes = match &encoded {
        Value::String(text) => base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(|e| WebError::Hub(crate::error::Error::Internal(format!("downloadTaskOutput: {e}"))))?,
        Value::Base64(bytes) => bytes.clone(),
        _ => Vec::new(),
    };
    let next = offset + i64::try_from(bytes.len()).unwrap_or_default();
    Ok((bytes, next))
}

/// `getfile?taskID=&name=&offset=`: raw bytes, with the task's state and the next offset in
/// headers so the log viewer knows when to stop.
pub async fn getfile(page: &mut PageRequest<'_>) -> WebResult<Reply> {
    let task_id = page.query.required_int("taskID")?;
    let name = page
        .query
        .text("name")
        .ok_or_else(|| WebError::BadRequest("name is required".into()))?
        .to_owned();
    crate::files::paths::check_output_name(&name)?;
    let offset = page.query.int("offset")?.unwrap_or(0);
    if offset < 0 {
        return Err(WebError::BadRequest(format!(
            "offset must not be negative, not {offset}"
        )));
    }
    let info = task_or_404(page, task_id, false).await?;
    let (body, next) = read_chunk(page, task_id, &name, offset).await?;
    let state = render::task_state_name(int_of(&info, "state").unwrap_or(-1));
    Ok(Reply::Text {
        body,
        headers: vec![
            ("X-Kiln-Task-State", state),
            ("X-Kiln-Next-Offset", next.to_string()),
        ],
    })
}
