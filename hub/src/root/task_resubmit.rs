//! `resubmitTask(taskID)`: a new task with the request of a failed or canceled top-level task,
//! for its owner or an admin.

use common::signature;
use common::states::TaskState;
use common::xmlrpc::{Params, Signature, Value};
use tracing::info;

use crate::db;
use crate::error::{Error, Result};
use crate::rpc::call::Call;
use crate::tasks::codec;
use crate::tasks::create::{self, TaskSpec};

/// `resubmitTask(taskID)`: the new task's id.
pub async fn resubmit_task(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("resubmitTask", ["taskID"], []);
    let mut bound = params.bind(&SIG)?;
    let task_id: i64 = bound.arg()?;
    let caller = cx.assert_login()?;
    let task = db::tasks::get(cx.db(), task_id)
        .await?
        .ok_or(Error::TaskNotFound { task_id })?;
    if !matches!(task.state, TaskState::Canceled | TaskState::Failed) {
        return Err(Error::Generic(
            "only canceled or failed tasks may be resubmitted".into(),
        ));
    }
    if task.parent.is_some() {
        return Err(Error::Generic("only top-level tasks may be resubmitted".into()));
    }
    if task.owner != caller.user_id && !cx.is_admin().await? {
        return Err(Error::NotAllowed(
            "only the task owner or an admin may resubmit a task".into(),
        ));
    }
    let text = db::tasks::request_text(cx.db(), task_id)
        .await?
        .ok_or(Error::TaskNotFound { task_id })?;
    let args = match codec::decode_request(task_id, &text)? {
        Value::Array(args) => args,
        other => vec![other],
    };
    let spec = TaskSpec {
        method: task.method.clone(),
        args,
        channel: Some(Value::Int(task.channel_id)),
        arch: Some(task.arch.clone()),
        priority: Some(task.priority),
        ..TaskSpec::default()
    };
    let new_id = create::create(&cx.tx()?, Some(caller.user_id), spec).await?;
    info!(task.id = new_id, task.method = %task.method, "resubmitted task {task_id} as {new_id}");
    Ok(Value::Int(new_id))
}
