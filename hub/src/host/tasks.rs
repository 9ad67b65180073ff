//! Running a task on a host: `host.openTask`, `host.closeTask`, `host.failTask`,
//! `host.freeTasks`, `host.refuseTask`, `host.setTaskWeight`.

use common::signature;
use common::states::TaskState;
use common::xmlrpc::{Params, Signature, Value, to_value};
use tracing::{info, warn};

use crate::db;
use crate::error::{Error, Result};
use crate::host::Host;
use crate::rpc::call::Call;
use crate::tasks::{codec, lifecycle};

/// `host.openTask(task_id)`: the task with its raw request text, or nil if this host may not
/// open it.
pub async fn open_task(cx: &mut Call<'_>, host: Host, params: Params) -> Result<Value> {
    let mut bound = params.bind(&signature!("openTask", ["task_id"], []))?;
    let task_id: i64 = bound.arg()?;
    match lifecycle::open(&cx.tx()?, task_id, host.id).await? {
        Some((task, request)) => Ok(to_value(&codec::task_info(&task, Some(Value::String(request))))?),
        None => Ok(Value::Nil),
    }
}

async fn finish(
    cx: &mut Call<'_>,
    host: Host,
    params: Params,
    name: &'static str,
    state: TaskState,
) -> Result<Value> {
    let sig = Signature {
        name,
        ..signature!("finish", ["task_id", "response"], [])
    };
    let mut bound = params.bind(&sig)?;
    let task_id: i64 = bound.arg()?;
    let response: String = bound.arg()?;
    lifecycle::finish(&cx.tx()?, task_id, host.id, state, &response).await?;
    Ok(Value::Nil)
}

/// `host.closeTask(task_id, response)`: `response` is the `methodResponse` text of the result.
pub async fn close_task(cx: &mut Call<'_>, host: Host, params: Params) -> Result<Value> {
    finish(cx, host, params, "closeTask", TaskState::Closed).await
}

/// `host.failTask(task_id, response)`: `response` is a fault `methodResponse` text.
pub async fn fail_task(cx: &mut Call<'_>, host: Host, params: Params) -> Result<Value> {
    finish(cx, host, params, "failTask", TaskState::Failed).await
}

/// `host.freeTasks(tasks)`: gives back ASSIGNED or OPEN tasks; tasks the host does not hold
/// are skipped silently (they may have been reassigned meanwhile).
pub async fn free_tasks(cx: &mut Call<'_>, host: Host, params: Params) -> Result<Value> {
    let mut bound = params.bind(&signature!("freeTasks", ["tasks"], []))?;
    let tasks: Vec<i64> = bound.arg()?;
    let tx = cx.tx()?;
    for task_id in tasks {
        let Some(task) = db::tasks::get_for_update(&tx, task_id).await? else {
            continue;
        };
        let held =
            matches!(task.state, TaskState::Open | TaskState::Assigned) && task.host_id == Some(host.id);
        if !held {
            continue;
        }
        lifecycle::free(&tx, task_id).await?;
        info!(
            task.id = task_id,
            host.id = host.id,
            "host {} freed task {task_id}",
            host.name
        );
    }
    Ok(Value::Nil)
}

/// `host.refuseTask(task_id, soft=True, msg='')`: records the refusal and frees the task.
pub async fn refuse_task(cx: &mut Call<'_>, host: Host, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("refuseTask", ["task_id"], ["soft", "msg"]);
    let mut bound = params.bind(&SIG)?;
    let task_id: i64 = bound.arg()?;
    let soft: Option<bool> = bound.arg()?;
    let msg: Option<String> = bound.arg()?;
    let soft = soft.unwrap_or(true);
    let msg = msg.unwrap_or_default();
    let tx = cx.tx()?;
    let task = lifecycle::lock(&tx, task_id).await?;
    if task.host_id != Some(host.id) || task.state.is_finished() {
        warn!(
            task.id = task_id,
            host.id = host.id,
            "host {} refused task {task_id} it does not hold",
            host.name
        );
        return Ok(Value::Nil);
    }
    db::scheduler::set_refusal(&tx, task_id, host.id, true, soft, &msg).await?;
    lifecycle::free(&tx, task_id).await?;
    info!(
        task.id = task_id,
        host.id = host.id,
        soft,
        "host {} refused task {task_id}: {msg}",
        host.name
    );
    Ok(Value::Nil)
}

/// `host.setTaskWeight(task_id, weight)`.
pub async fn set_task_weight(cx: &mut Call<'_>, host: Host, params: Params) -> Result<Value> {
    let mut bound = params.bind(&signature!("setTaskWeight", ["task_id", "weight"], []))?;
    let task_id: i64 = bound.arg()?;
    let weight: f64 = bound.arg()?;
    if !(weight.is_finite() && weight >= 0.0) {
        return Err(Error::InvalidValue(format!("Invalid task weight: {weight}")));
    }
    let tx = cx.tx()?;
    lifecycle::assert_host(&tx, task_id, host.id).await?;
    db::tasks::set_weight(&tx, task_id, weight).await?;
    Ok(Value::Nil)
}
