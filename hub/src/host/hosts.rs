//! The host's own record and check-ins: `host.getID`, `host.getHost`, `host.isEnabled`,
//! `host.updateHost`, `host.setHostData`, `host.getLoadData`, `host.getTasks`,
//! `host.getHostTasks`.

use common::signature;
use common::states::TaskState;
use common::wire::{AssignedTask, HostTask};
use common::xmlrpc::{Params, Signature, Value, to_value};

use crate::db::hosts::HostKey;
use crate::db::tasks::TaskRow;
use crate::error::{Error, Result};
use crate::host::Host;
use crate::root::hosts::host_info;
use crate::rpc::call::Call;
use crate::scheduler::claim;
use crate::tasks::lifecycle;
use crate::{db, db::Client};

/// `host.getID()`.
pub async fn get_id(_cx: &mut Call<'_>, host: Host, params: Params) -> Result<Value> {
    params.bind(&signature!("getID", [], []))?;
    Ok(Value::Int(host.id))
}

async fn own_row(client: &Client, host: &Host) -> Result<db::hosts::HostRow> {
    db::hosts::get(client, HostKey::Id(host.id), None)
        .await?
        .ok_or_else(|| Error::Internal(format!("host {} has no configuration", host.name)))
}

/// `host.getHost()`: the caller's host record.
pub async fn get_host(cx: &mut Call<'_>, host: Host, params: Params) -> Result<Value> {
    params.bind(&signature!("getHost", [], []))?;
    Ok(to_value(&host_info(&own_row(cx.db(), &host).await?))?)
}

/// `host.isEnabled()`.
pub async fn is_enabled(cx: &mut Call<'_>, host: Host, params: Params) -> Result<Value> {
    params.bind(&signature!("isEnabled", [], []))?;
    Ok(Value::Bool(own_row(cx.db(), &host).await?.enabled))
}

/// Turns a data struct (or, for old builders, its JSON text) into JSON.
fn host_data_json(data: Value) -> Result<serde_json::Value> {
    match data {
        Value::String(text) => serde_json::from_str(&text)
            .map_err(|e| Error::InvalidValue(format!("host data is not valid JSON: {e}"))),
        Value::Struct(_) => serde_json::to_value(&data)
            .map_err(|e| Error::InvalidValue(format!("host data cannot be stored: {e}"))),
        other => Err(Error::InvalidValue(format!(
            "host data must be a struct, not {}",
            other.type_name()
        ))),
    }
}

/// `host.updateHost(task_load, ready, data=None)`: the check-in.
pub async fn update_host(cx: &mut Call<'_>, host: Host, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("updateHost", ["task_load", "ready"], ["data"]);
    let mut bound = params.bind(&SIG)?;
    let task_load: f64 = bound.arg()?;
    let ready: bool = bound.arg()?;
    let data = bound.next_raw();
    let tx = cx.tx()?;
    db::hosts::check_in(&tx, host.id, task_load, ready).await?;
    if !data.is_nil() {
        db::hosts::set_host_data(&tx, host.id, &host_data_json(data)?).await?;
    }
    Ok(Value::Nil)
}

/// `host.setHostData(hostdata)`.
pub async fn set_host_data(cx: &mut Call<'_>, host: Host, params: Params) -> Result<Value> {
    let mut bound = params.bind(&signature!("setHostData", ["hostdata"], []))?;
    let data = host_data_json(bound.next_raw())?;
    db::hosts::set_host_data(&cx.tx()?, host.id, &data).await?;
    Ok(Value::Nil)
}

/// The `host.getTasks` shape of an ASSIGNED task.
pub fn assigned_task(row: &TaskRow) -> AssignedTask {
    AssignedTask {
        id: row.id,
        state: row.state.code(),
        channel_id: row.channel_id,
        host_id: row.host_id,
        arch: row.arch.clone(),
        method: row.method.clone(),
        priority: i64::from(row.priority),
        create_ts: row.create_time.koji_ts(),
    }
}

/// `host.getTasks()`: the caller's ASSIGNED tasks, after the scheduler gave it what it can take.
pub async fn get_tasks(cx: &mut Call<'_>, host: Host, params: Params) -> Result<Value> {
    params.bind(&signature!("getTasks", [], []))?;
    let tasks = claim::claim_for_host(&cx.tx()?, &cx.ctx.config.scheduler, host.id).await?;
    let tasks: Vec<AssignedTask> = tasks.iter().map(assigned_task).collect();
    Ok(to_value(&tasks)?)
}

/// `host.getLoadData()` (legacy): `[[the host with its channel ids], its assigned tasks]`, or
/// `[[], []]` when the host is not ready.
pub async fn get_load_data(cx: &mut Call<'_>, host: Host, params: Params) -> Result<Value> {
    params.bind(&signature!("getLoadData", [], []))?;
    let row = own_row(cx.db(), &host).await?;
    if !row.ready || !row.enabled {
        return Ok(Value::Array(vec![Value::Array(vec![]), Value::Array(vec![])]));
    }
    let mut entry = to_value(&host_info(&row))?;
    let channels = db::hosts::host_channel_ids(cx.db(), host.id).await?;
    if let Value::Struct(members) = &mut entry {
        members.insert(
            "channels".into(),
            Value::Array(channels.into_iter().map(Value::Int).collect()),
        );
    }
    let tasks = claim::claim_for_host(&cx.tx()?, &cx.ctx.config.scheduler, host.id).await?;
    let tasks: Vec<AssignedTask> = tasks.iter().map(assigned_task).collect();
    Ok(Value::Array(vec![Value::Array(vec![entry]), to_value(&tasks)?]))
}

/// `host.getHostTasks()`: the caller's OPEN tasks, with `alert` on waiting ones whose awaited
/// children have finished.
pub async fn get_host_tasks(cx: &mut Call<'_>, host: Host, params: Params) -> Result<Value> {
    params.bind(&signature!("getHostTasks", [], []))?;
    let open = db::tasks::of_host(cx.db(), host.id, TaskState::Open).await?;
    let mut tasks = Vec::with_capacity(open.len());
    for task in open {
        let alert = if task.waiting == Some(true) {
            let (finished, _) = lifecycle::wait_check(cx.db(), task.id).await?;
            (!finished.is_empty()).then_some(true)
        } else {
            None
        };
        tasks.push(HostTask {
            id: task.id,
            waiting: task.waiting,
            weight: task.weight,
            alert,
        });
    }
    Ok(to_value(&tasks)?)
}
