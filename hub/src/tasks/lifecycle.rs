//! Moving tasks between states as Koji does: open, close, fail, free, assign, cancel (with its
//! subtree), and the parent/child wait protocol. Every change locks the task row first.

use common::states::TaskState;
use common::xmlrpc::Value;
use tracing::info;

use crate::db::tasks::TaskRow;
use crate::db::{self, Client, Tx};
use crate::error::{Error, Result};
use crate::tasks::codec;

/// Locks a task, or fails with `TaskNotFound`.
pub async fn lock(tx: &Tx<'_>, task_id: i64) -> Result<TaskRow> {
    db::tasks::get_for_update(tx, task_id)
        .await?
        .ok_or(Error::TaskNotFound { task_id })
}

/// Locks a task that `host_id` must hold OPEN (Koji's `assertHost`).
pub async fn assert_host(tx: &Tx<'_>, task_id: i64, host_id: i64) -> Result<TaskRow> {
    let task = lock(tx, task_id).await?;
    if task.state == TaskState::Open && task.host_id == Some(host_id) {
        Ok(task)
    } else {
        Err(Error::NotTaskHost { task_id, host_id })
    }
}

/// True if `host_id` holds the task OPEN (Koji's `verifyHost`), without failing.
pub async fn host_holds(client: &Client, task_id: i64, host_id: i64) -> Result<bool> {
    Ok(db::tasks::get(client, task_id)
        .await?
        .is_some_and(|t| t.state == TaskState::Open && t.host_id == Some(host_id)))
}

/// Opens a task for a host: it must be ASSIGNED to that host, or FREE (Koji's legacy path).
/// Returns the task and its request text, or `None` if the host may not open it (someone else
/// has it, it was canceled, or it is already open).
pub async fn open(tx: &Tx<'_>, task_id: i64, host_id: i64) -> Result<Option<(TaskRow, String)>> {
    // The usual case in one statement; the UPDATE locks the row as it changes it.
    let opened = match db::tasks::open_assigned(tx, task_id, host_id).await? {
        Some(opened) => opened,
        None => {
            let task = lock(tx, task_id).await?;
            match (task.state, task.host_id) {
                (TaskState::Free, None) => db::scheduler::add_run(tx, task_id, host_id).await?,
                (TaskState::Assigned, Some(h)) if h == host_id => {}
                _ => return Ok(None),
            }
            db::tasks::set_open(tx, task_id, host_id).await?;
            let task = lock(tx, task_id).await?;
            let request = db::tasks::request_text(tx, task_id)
                .await?
                .ok_or(Error::TaskNotFound { task_id })?;
            (task, request)
        }
    };
    let task = &opened.0;
    info!(task.id = task_id, task.method = %task.method, host.id = host_id, "opened task {task_id} ({})", task.method);
    Ok(Some(opened))
}

/// Closes (CLOSED) or fails (FAILED) a task the host holds, storing the builder's response.
pub async fn finish(tx: &Tx<'_>, task_id: i64, host_id: i64, state: TaskState, response: &str) -> Result<()> {
    if let Err(error) = codec::check_response(response, state == TaskState::Failed) {
        // Koji checks the host first.
        assert_host(tx, task_id, host_id).await?;
        return Err(error);
    }
    // The check that the host holds the task OPEN is part of the statement, which locks the row.
    let Some(method) = db::tasks::finish_held(tx, task_id, host_id, state, response).await? else {
        // Nothing changed: say why, as Koji's `assertHost` would.
        assert_host(tx, task_id, host_id).await?;
        return Err(Error::NotTaskHost { task_id, host_id });
    };
    info!(task.id = task_id, task.method = %method, task.state = %state, "task {task_id} ({method}) is {state}");
    Ok(())
}

/// Makes a task FREE again; finished tasks cannot be freed.
pub async fn free(tx: &Tx<'_>, task_id: i64) -> Result<()> {
    let task = lock(tx, task_id).await?;
    if task.state.is_finished() {
        return Err(Error::TaskFinished {
            task_id,
            state: task.state,
        });
    }
    db::tasks::set_free(tx, task_id).await?;
    db::scheduler::end_runs(tx, task_id).await?;
    Ok(())
}

/// Assigns a task to a host. Without `force` the task must be FREE (or already assigned to
/// that host); returns false if it is not.
pub async fn assign(tx: &Tx<'_>, task_id: i64, host_id: i64, force: bool) -> Result<bool> {
    let task = lock(tx, task_id).await?;
    if task.state.is_finished() {
        return Err(Error::TaskFinished {
            task_id,
            state: task.state,
        });
    }
    let allowed = match (task.state, task.host_id) {
        (TaskState::Free, _) => true,
        (TaskState::Assigned, Some(h)) if h == host_id => return Ok(true),
        _ => force,
    };
    if !allowed {
        return Ok(false);
    }
    db::tasks::set_assigned(tx, task_id, host_id).await?;
    db::scheduler::add_run(tx, task_id, host_id).await?;
    Ok(true)
}

/// What canceling one task did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Canceled {
    /// It was unfinished and is CANCELED now.
    Now,
    /// It was CANCELED already.
    Already,
    /// It had CLOSED or FAILED; nothing changed.
    Finished,
}

async fn cancel_one(tx: &Tx<'_>, task_id: i64) -> Result<Canceled> {
    let task = lock(tx, task_id).await?;
    match task.state {
        TaskState::Canceled => Ok(Canceled::Already),
        TaskState::Closed | TaskState::Failed => Ok(Canceled::Finished),
        _ => {
            db::tasks::set_finished(tx, task_id, TaskState::Canceled, None).await?;
            db::scheduler::end_runs(tx, task_id).await?;
            info!(task.id = task_id, task.method = %task.method, "canceled task {task_id} ({})", task.method);
            Ok(Canceled::Now)
        }
    }
}

/// Cancels a task and, with `recurse`, its unfinished descendants (Koji's `Task.cancel`: a
/// child that already finished keeps its own children as they are).
pub async fn cancel(tx: &Tx<'_>, task_id: i64, recurse: bool) -> Result<Canceled> {
    let outcome = cancel_one(tx, task_id).await?;
    if recurse && outcome == Canceled::Now {
        cancel_children(tx, task_id).await?;
    }
    Ok(outcome)
}

/// Cancels the children of a task, each with its subtree.
pub async fn cancel_children(tx: &Tx<'_>, task_id: i64) -> Result<()> {
    let mut pending = db::tasks::child_ids(tx, task_id).await?;
    pending.reverse();
    while let Some(id) = pending.pop() {
        if cancel_one(tx, id).await? == Canceled::Now {
            let mut children = db::tasks::child_ids(tx, id).await?;
            children.reverse();
            pending.extend(children);
        }
    }
    Ok(())
}

/// Cancels a whole task tree (Koji's `cancelTaskFull`): from the top-level task (which the task
/// must be when `strict`) down through every descendant.
pub async fn cancel_full(tx: &Tx<'_>, task_id: i64, strict: bool) -> Result<()> {
    let mut top = lock(tx, task_id).await?;
    if let Some(parent) = top.parent {
        if strict {
            return Err(Error::Generic(format!(
                "Task {task_id} is not top-level (parent={parent})"
            )));
        }
        let mut seen = vec![task_id];
        while let Some(parent) = top.parent {
            if seen.contains(&parent) {
                return Err(Error::Generic(format!("Task LOOP at task {task_id}")));
            }
            seen.push(parent);
            top = lock(tx, parent).await?;
        }
    }
    let mut queue = std::collections::VecDeque::from([top.id]);
    let mut seen = std::collections::HashSet::new();
    while let Some(id) = queue.pop_front() {
        if !seen.insert(id) {
            return Err(Error::Generic(format!("Task LOOP at task {id}")));
        }
        cancel_one(tx, id).await?;
        queue.extend(db::tasks::child_ids(tx, id).await?);
    }
    Ok(())
}

/// A finished task's result (Koji's `getResult`): the value; a stored fault is raised again
/// with its code, or returned as a fault struct when `raise_fault` is false.
pub async fn result(client: &Client, task_id: i64, raise_fault: bool) -> Result<Value> {
    let (state, text) = db::tasks::result_text(client, task_id)
        .await?
        .ok_or(Error::TaskNotFound { task_id })?;
    match state {
        TaskState::Canceled => return Err(Error::TaskCanceled { task_id }),
        TaskState::Closed | TaskState::Failed => {}
        _ => return Err(Error::TaskNotFinished { task_id }),
    }
    let text = text.unwrap_or_default();
    match codec::decode_result(task_id, &text)? {
        Ok(value) => Ok(value),
        Err(fault) if raise_fault => Err(Error::StoredFault {
            code: fault.code,
            message: fault.message,
        }),
        Err(fault) => Ok(codec::fault_struct(&fault)),
    }
}

/// Marks a parent waiting and its children (all, or those listed) awaited.
pub async fn set_wait(tx: &Tx<'_>, parent: i64, tasks: Option<&[i64]>) -> Result<()> {
    db::tasks::set_waiting(tx, parent, true).await?;
    match tasks {
        Some([]) => Ok(()),
        other => db::tasks::set_awaited(tx, parent, other).await,
    }
}

/// The awaited children of a parent, split into finished and unfinished ids.
pub async fn wait_check(client: &Client, parent: i64) -> Result<(Vec<i64>, Vec<i64>)> {
    let children = db::tasks::awaited_children(client, parent, false).await?;
    Ok(split_finished(&children))
}

fn split_finished(children: &[(i64, TaskState)]) -> (Vec<i64>, Vec<i64>) {
    let (finished, unfinished): (Vec<_>, Vec<_>) = children.iter().partition(|(_, s)| s.is_finished());
    (
        finished.into_iter().map(|(id, _)| id).collect(),
        unfinished.into_iter().map(|(id, _)| id).collect(),
    )
}

/// Koji's `taskWait`: the awaited children split into finished and unfinished; the finished
/// ones are no longer awaited afterwards.
pub async fn wait(tx: &Tx<'_>, parent: i64) -> Result<(Vec<i64>, Vec<i64>)> {
    let children = db::tasks::awaited_children(tx, parent, true).await?;
    let (finished, unfinished) = split_finished(&children);
    if !finished.is_empty() {
        db::tasks::unawait(tx, &finished).await?;
    }
    Ok((finished, unfinished))
}

/// Koji's `taskWaitResults`: ends the wait and returns `[[task_id, result], …]` for the listed
/// tasks (or every finished child). A failed task not in `canfail` raises its fault; a
/// canceled one in `canfail` gives a fault struct.
pub async fn wait_results(
    tx: &Tx<'_>,
    parent: i64,
    tasks: Option<Vec<i64>>,
    canfail: &[i64],
) -> Result<Value> {
    db::tasks::unwait(tx, parent).await?;
    let tasks = match tasks {
        Some(tasks) => tasks,
        None => db::tasks::finished_child_ids(tx, parent).await?,
    };
    let mut results = Vec::with_capacity(tasks.len());
    for task_id in tasks {
        let raise = !canfail.contains(&task_id);
        let value = match result(tx, task_id, raise).await {
            Ok(value) => value,
            Err(error @ Error::TaskCanceled { .. }) if !raise => {
                let fault = common::Fault::from(&error);
                codec::fault_struct(&fault)
            }
            Err(error) => return Err(error),
        };
        results.push(Value::Array(vec![Value::Int(task_id), value]));
    }
    Ok(Value::Array(results))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finished_means_closed_canceled_or_failed() {
        let children = [
            (1, TaskState::Closed),
            (2, TaskState::Open),
            (3, TaskState::Failed),
            (4, TaskState::Free),
            (5, TaskState::Canceled),
            (6, TaskState::Assigned),
        ];
        assert_eq!(split_finished(&children), (vec![1, 3, 5], vec![2, 4, 6]));
    }
}
