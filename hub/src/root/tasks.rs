//! Reading tasks: `getTaskInfo`, `listTasks`, `getTaskChildren`, `getTaskDescendents`,
//! `getTaskRequest`, `getTaskResult`, `taskFinished`.

use common::signature;
use common::time::parse_client_time;
use common::wire::{TaskInfo, TaskListEntry};
use common::xmlrpc::{Params, Signature, Struct, Value, to_value};

use crate::db;
use crate::db::query::QueryOpts;
use crate::db::tasks::{IdColumn, IdFilter, TaskFilter, TimeColumn};
use crate::db::types::Micros;
use crate::error::{Error, Result};
use crate::rpc::call::Call;
use crate::tasks::{codec, lifecycle};

fn task_id_of(value: &Value) -> Result<i64> {
    value
        .as_i64()
        .ok_or_else(|| Error::InvalidValue(format!("Invalid task id: {value}")))
}

/// A task's wire record, with its request when asked.
pub async fn info(cx: &Call<'_>, task_id: i64, request: bool) -> Result<Option<TaskInfo>> {
    let Some(row) = db::tasks::get(cx.db(), task_id).await? else {
        return Ok(None);
    };
    let request = if request {
        let text = db::tasks::request_text(cx.db(), task_id)
            .await?
            .ok_or(Error::TaskNotFound { task_id })?;
        Some(codec::decode_request(task_id, &text)?)
    } else {
        None
    };
    Ok(Some(codec::task_info(&row, request)))
}

/// `getTaskInfo(task_id, request=False, strict=False)`; a list of ids gives a list (nil for
/// missing tasks).
pub async fn get_task_info(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("getTaskInfo", ["task_id"], ["request", "strict"]);
    let mut bound = params.bind(&SIG)?;
    let ids = bound.next_raw();
    let request: bool = bound.arg()?;
    let strict: bool = bound.arg()?;
    if let Value::Array(ids) = &ids {
        let mut infos = Vec::with_capacity(ids.len());
        for id in ids {
            infos.push(to_value(&info(cx, task_id_of(id)?, request).await?)?);
        }
        return Ok(Value::Array(infos));
    }
    let task_id = task_id_of(&ids)?;
    match info(cx, task_id, request).await? {
        Some(task) => Ok(to_value(&task)?),
        None if strict => Err(Error::TaskNotFound { task_id }),
        None => Ok(Value::Nil),
    }
}

fn id_filter(value: &Value, key: &str) -> Result<IdFilter> {
    match value {
        Value::Nil => Ok(IdFilter::Null),
        Value::Array(items) => items
            .iter()
            .map(|v| {
                v.as_i64()
                    .ok_or_else(|| Error::InvalidValue(format!("Invalid {key} value: {v}")))
            })
            .collect::<Result<Vec<_>>>()
            .map(IdFilter::Many),
        other => other
            .as_i64()
            .map(IdFilter::One)
            .ok_or_else(|| Error::InvalidValue(format!("Invalid {key} value: {other}"))),
    }
}

fn int_list(value: &Value, key: &str) -> Result<Vec<i32>> {
    let one = |v: &Value| -> Result<i32> {
        v.as_i64()
            .and_then(|n| i32::try_from(n).ok())
            .ok_or_else(|| Error::InvalidValue(format!("Invalid {key} value: {v}")))
    };
    match value {
        Value::Array(items) => items.iter().map(one).collect(),
        other => Ok(vec![one(other)?]),
    }
}

fn string_list(value: &Value, key: &str) -> Result<Vec<String>> {
    match value {
        Value::Array(items) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| Error::InvalidValue(format!("Invalid {key} value: {v}")))
            })
            .collect(),
        Value::String(s) => Ok(vec![s.clone()]),
        other => Err(Error::InvalidValue(format!("Invalid {key} value: {other}"))),
    }
}

fn time_of(opts: &Struct, keys: &[&str]) -> Result<Option<Micros>> {
    for key in keys {
        match opts.get(*key) {
            None | Some(Value::Nil) => {}
            Some(value) => {
                return parse_client_time(value)
                    .map(|m| Some(Micros(m)))
                    .ok_or_else(|| Error::InvalidValue(format!("Invalid time for {key}: {value}")));
            }
        }
    }
    Ok(None)
}

/// Reads `listTasks` opts into a filter; unknown keys are ignored, as Koji does.
pub fn task_filter(opts: &Struct) -> Result<TaskFilter> {
    let mut filter = TaskFilter::default();
    if let Some(v) = opts.get("state") {
        filter.state = Some(int_list(v, "state")?);
    }
    if let Some(v) = opts.get("not_state") {
        filter.not_state = Some(int_list(v, "not_state")?);
    }
    if let Some(v) = opts.get("arch") {
        filter.arch = Some(string_list(v, "arch")?);
    }
    if let Some(v) = opts.get("not_arch") {
        filter.not_arch = Some(string_list(v, "not_arch")?);
    }
    let columns = [
        ("owner", IdColumn::Owner),
        ("host_id", IdColumn::HostId),
        ("channel_id", IdColumn::ChannelId),
        ("parent", IdColumn::Parent),
    ];
    for (key, column) in columns {
        let include = opts.get(key).map(|v| id_filter(v, key)).transpose()?;
        let not_key = format!("not_{key}");
        let exclude = opts.get(&not_key).map(|v| id_filter(v, &not_key)).transpose()?;
        if include.is_some() || exclude.is_some() {
            filter.ids.push((column, include, exclude));
        }
    }
    if let Some(method) = opts.get("method").filter(|v| !v.is_nil()) {
        filter.method = Some(
            method
                .as_str()
                .ok_or_else(|| Error::InvalidValue(format!("Invalid method: {method}")))?
                .to_owned(),
        );
    }
    let times = [
        (TimeColumn::Create, ["createdBefore"], ["createdAfter"]),
        (TimeColumn::Start, ["startedBefore"], ["startedAfter"]),
    ];
    for (column, before, after) in times {
        filter
            .times
            .push((column, time_of(opts, &before)?, time_of(opts, &after)?));
    }
    filter.times.push((
        TimeColumn::Completion,
        time_of(opts, &["completeBefore", "completedBefore"])?,
        time_of(opts, &["completeAfter", "completedAfter"])?,
    ));
    Ok(filter)
}

/// Koji's field order, for `queryOpts={'asList': True}`.
const LIST_FIELDS: &[&str] = &[
    "id",
    "state",
    "create_time",
    "create_ts",
    "start_time",
    "start_ts",
    "completion_time",
    "completion_ts",
    "channel_id",
    "host_id",
    "parent",
    "label",
    "waiting",
    "awaited",
    "owner",
    "method",
    "arch",
    "priority",
    "weight",
    "request",
    "result",
    "owner_name",
    "owner_type",
];

/// `listTasks(opts=None, queryOpts=None)`.
pub async fn list_tasks(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("listTasks", [], ["opts", "queryOpts"]);
    let mut bound = params.bind(&SIG)?;
    let opts: Option<Struct> = bound.arg()?;
    let query_opts = QueryOpts::from_value(&bound.next_raw())?;
    let opts = opts.unwrap_or_default();
    let filter = task_filter(&opts)?;
    if query_opts.count_only {
        return Ok(Value::Int(db::tasks::count(cx.db(), &filter).await?));
    }
    let decode = opts.get("decode").is_some_and(Value::truthy) && !query_opts.as_list;
    let rows = db::tasks::list(cx.db(), &filter, &query_opts).await?;
    let mut entries = Vec::with_capacity(rows.len());
    for row in rows {
        let entry: TaskListEntry = codec::list_entry(row, decode)?;
        let value = to_value(&entry)?;
        if query_opts.as_list {
            let Value::Struct(mut members) = value else {
                return Err(Error::Internal("a task entry is not a struct".into()));
            };
            entries.push(Value::Array(
                LIST_FIELDS
                    .iter()
                    .map(|f| members.remove(*f).unwrap_or(Value::Nil))
                    .collect(),
            ));
        } else {
            entries.push(value);
        }
    }
    Ok(Value::Array(entries))
}

/// `getTaskChildren(task_id, request=False, strict=False)`.
pub async fn get_task_children(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("getTaskChildren", ["task_id"], ["request", "strict"]);
    let mut bound = params.bind(&SIG)?;
    let task_id: i64 = bound.arg()?;
    let request: bool = bound.arg()?;
    let strict: bool = bound.arg()?;
    if strict && db::tasks::get(cx.db(), task_id).await?.is_none() {
        return Err(Error::TaskNotFound { task_id });
    }
    Ok(to_value(&children(cx, task_id, request).await?)?)
}

async fn children(cx: &Call<'_>, task_id: i64, request: bool) -> Result<Vec<TaskInfo>> {
    let rows = db::tasks::children(cx.db(), task_id).await?;
    rows.into_iter()
        .map(|(row, text)| {
            let request = if request {
                Some(codec::decode_request(row.id, &text)?)
            } else {
                None
            };
            Ok(codec::task_info(&row, request))
        })
        .collect()
}

/// `getTaskDescendents(task_id, request=False)`: `{"<id>": [children…]}` for the task and
/// every descendant.
pub async fn get_task_descendents(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("getTaskDescendents", ["task_id"], ["request"]);
    let mut bound = params.bind(&SIG)?;
    let task_id: i64 = bound.arg()?;
    let request: bool = bound.arg()?;
    let mut map = Struct::new();
    let mut pending = vec![task_id];
    while let Some(id) = pending.pop() {
        if map.contains_key(&id.to_string()) {
            return Err(Error::Generic(format!("Task LOOP at task {id}")));
        }
        let kids = children(cx, id, request).await?;
        pending.extend(kids.iter().map(|k| k.id));
        map.insert(id.to_string(), to_value(&kids)?);
    }
    Ok(Value::Struct(map))
}

/// `getTaskRequest(taskId)`: the decoded params.
pub async fn get_task_request(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    let mut bound = params.bind(&signature!("getTaskRequest", ["taskId"], []))?;
    let task_id: i64 = bound.arg()?;
    let text = db::tasks::request_text(cx.db(), task_id)
        .await?
        .ok_or(Error::TaskNotFound { task_id })?;
    codec::decode_request(task_id, &text)
}

/// `getTaskResult(taskId, raise_fault=True)`.
pub async fn get_task_result(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("getTaskResult", ["taskId"], ["raise_fault"]);
    let mut bound = params.bind(&SIG)?;
    let task_id: i64 = bound.arg()?;
    let raise_fault: Option<bool> = bound.arg()?;
    lifecycle::result(cx.db(), task_id, raise_fault.unwrap_or(true)).await
}

/// `taskFinished(taskId)`.
pub async fn task_finished(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    let mut bound = params.bind(&signature!("taskFinished", ["taskId"], []))?;
    let task_id: i64 = bound.arg()?;
    let task = db::tasks::get(cx.db(), task_id)
        .await?
        .ok_or(Error::TaskNotFound { task_id })?;
    Ok(Value::Bool(task.state.is_finished()))
}
