//! Kiln's long-polling host calls, so builders learn of work and of finished children as soon
//! as the database commits them instead of on a polling interval:
//!
//! - `host.waitTasks(timeout=None)`: like `host.getTasks`, but when the host gets nothing it
//!   waits (up to `timeout` seconds) for a task to become FREE or for one of its own tasks to
//!   change; it answers with the host's ASSIGNED tasks (possibly none).
//! - `host.waitSubtasks(parent, timeout=None)`: like `host.taskWait`, but waits until an awaited
//!   child has finished (or none is left unfinished).
//!
//! Both run without a pinned connection (see `rpc::dispatch::HostPollHandler`); each look at
//! the database is its own short transaction.

use std::time::Duration;

use common::signature;
use common::states::TaskState;
use common::wire::AssignedTask;
use common::xmlrpc::{Params, Signature, Value, to_value};
use tokio::sync::broadcast::error::RecvError;
use tokio::time::Instant;

use crate::ctx::Ctx;
use crate::db::Tx;
use crate::db::tasks::TaskRow;
use crate::error::Result;
use crate::host::Host;
use crate::host::hosts::assigned_task;
use crate::host::subtasks::id_lists;
use crate::rpc::run::Conn;
use crate::scheduler::claim;
use crate::tasks::lifecycle;

/// How long a call waits when the caller gives no timeout.
const DEFAULT_WAIT_SECONDS: f64 = 30.0;

fn deadline(ctx: &Ctx, timeout: Option<f64>) -> Instant {
    let max = ctx.config.scheduler.max_wait_seconds;
    let seconds = timeout.unwrap_or(DEFAULT_WAIT_SECONDS).clamp(0.0, max.max(0.0));
    let seconds = if seconds.is_finite() { seconds } else { 0.0 };
    Instant::now() + Duration::from_secs_f64(seconds)
}

async fn claim_once(ctx: &Ctx, host: &Host) -> Result<Vec<TaskRow>> {
    let mut conn = Conn::get(ctx).await?;
    conn.begin().await?;
    let outcome = {
        let tx = Tx::assume_begun(conn.client()?);
        claim::claim_for_host(&tx, &ctx.config.scheduler, host.id).await
    };
    match outcome {
        Ok(tasks) => {
            conn.commit().await?;
            Ok(tasks)
        }
        Err(e) => {
            conn.rollback().await;
            Err(e)
        }
    }
}

fn tasks_value(tasks: &[TaskRow]) -> Result<Value> {
    let tasks: Vec<AssignedTask> = tasks.iter().map(assigned_task).collect();
    Ok(to_value(&tasks)?)
}

/// Why a wait ended.
enum Woken {
    /// New work may be there.
    Work,
    /// One of the host's own tasks changed: it must look.
    Host,
    /// The time is up.
    Deadline,
}

/// `host.waitTasks(timeout=None)`.
pub async fn wait_tasks(ctx: &Ctx, host: Host, params: Params) -> Result<Value> {
    let mut bound = params.bind(&signature!("waitTasks", [], ["timeout"]))?;
    let timeout: Option<f64> = bound.arg()?;
    let deadline = deadline(ctx, timeout);
    let mut work = ctx.wakeups.work();
    let mut events = ctx.wakeups.host_events();
    loop {
        work.mark_unchanged();
        let tasks = claim_once(ctx, &host).await?;
        if !tasks.is_empty() || Instant::now() >= deadline {
            return tasks_value(&tasks);
        }
        let woken = loop {
            tokio::select! {
                changed = work.changed() => {
                    if changed.is_err() {
                        tokio::time::sleep(ctx.wakeups.fallback_poll()).await;
                    }
                    break Woken::Work;
                }
                event = events.recv() => match event {
                    Ok(e) if e.host_id == host.id && e.state != TaskState::Open.code() => break Woken::Host,
                    Ok(_) => {}
                    Err(RecvError::Lagged(_)) => break Woken::Host,
                    Err(RecvError::Closed) => {
                        tokio::time::sleep(ctx.wakeups.fallback_poll()).await;
                        break Woken::Work;
                    }
                },
                () = tokio::time::sleep_until(deadline) => break Woken::Deadline,
                () = tokio::time::sleep(ctx.wakeups.fallback_poll()) => break Woken::Work,
            }
        };
        match woken {
            Woken::Work => {}
            Woken::Host | Woken::Deadline => {
                let tasks = claim_once(ctx, &host).await?;
                return tasks_value(&tasks);
            }
        }
    }
}

async fn wait_once(ctx: &Ctx, host: &Host, parent: i64) -> Result<(Vec<i64>, Vec<i64>)> {
    let mut conn = Conn::get(ctx).await?;
    conn.begin().await?;
    let outcome = {
        let tx = Tx::assume_begun(conn.client()?);
        match lifecycle::assert_host(&tx, parent, host.id).await {
            Ok(_) => lifecycle::wait(&tx, parent).await,
            Err(e) => Err(e),
        }
    };
    match outcome {
        Ok(lists) => {
            conn.commit().await?;
            Ok(lists)
        }
        Err(e) => {
            conn.rollback().await;
            Err(e)
        }
    }
}

/// `host.waitSubtasks(parent, timeout=None)`.
pub async fn wait_subtasks(ctx: &Ctx, host: Host, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("waitSubtasks", ["parent"], ["timeout"]);
    let mut bound = params.bind(&SIG)?;
    let parent: i64 = bound.arg()?;
    let timeout: Option<f64> = bound.arg()?;
    let deadline = deadline(ctx, timeout);
    let mut done = ctx.wakeups.done_events();
    loop {
        let (finished, unfinished) = wait_once(ctx, &host, parent).await?;
        if !finished.is_empty() || unfinished.is_empty() || Instant::now() >= deadline {
            return Ok(id_lists(finished, unfinished));
        }
        loop {
            tokio::select! {
                event = done.recv() => match event {
                    Ok(p) if p == parent => break,
                    Ok(_) => {}
                    Err(RecvError::Lagged(_)) => break,
                    Err(RecvError::Closed) => {
                        tokio::time::sleep(ctx.wakeups.fallback_poll()).await;
                        break;
                    }
                },
                () = tokio::time::sleep_until(deadline) => break,
                () = tokio::time::sleep(ctx.wakeups.fallback_poll()) => break,
            }
        }
    }
}
