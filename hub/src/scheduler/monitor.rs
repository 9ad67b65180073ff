//! The periodic check (any hub may run it; an advisory lock lets one at a time): hosts that
//! stopped checking in are marked not ready and their tasks are freed for other hosts, or
//! failed once a task has lost its host too often; tasks a host was given but never opened are
//! freed after the assign timeout.

use std::sync::Arc;
use std::time::Duration;

use common::FaultCode;
use common::states::TaskState;
use common::xmlrpc::encode_fault;
use tracing::{info, warn};

use crate::ctx::Ctx;
use crate::db::{self, Tx};
use crate::error::Result;
use crate::rpc::run::Conn;

/// The advisory lock key of the periodic check.
const MONITOR_LOCK_KEY: i64 = 0x6b69_6c6e_5343_4801;

/// What one check did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Another hub was checking; nothing was done.
    pub skipped: bool,
    /// Hosts marked not ready.
    pub hosts_marked: usize,
    /// Tasks freed for other hosts.
    pub tasks_freed: usize,
    /// Tasks failed because they lost their host too often.
    pub tasks_failed: usize,
}

/// Runs the check every `check_interval_seconds` until the task is aborted.
pub async fn run(ctx: Arc<Ctx>) {
    let interval = Duration::from_secs_f64(ctx.config.scheduler.check_interval_seconds);
    loop {
        tokio::time::sleep(interval).await;
        if let Err(e) = check_once(&ctx).await {
            warn!(error = %e, "the scheduler check failed: {e}");
        }
    }
}

/// Runs the check once.
pub async fn check_once(ctx: &Ctx) -> Result<Report> {
    let mut conn = Conn::get(ctx).await?;
    conn.begin().await?;
    let tx = Tx::assume_begun(conn.client()?);
    match check_in(ctx, &tx).await {
        Ok(report) => {
            conn.commit().await?;
            Ok(report)
        }
        Err(e) => {
            conn.rollback().await;
            Err(e)
        }
    }
}

async fn check_in(ctx: &Ctx, tx: &Tx<'_>) -> Result<Report> {
    let config = &ctx.config.scheduler;
    if !db::scheduler::try_lock(tx, MONITOR_LOCK_KEY).await? {
        return Ok(Report {
            skipped: true,
            ..Report::default()
        });
    }
    let mut report = Report::default();
    for host in db::hosts::mark_stale_not_ready(tx, config.host_timeout_seconds).await? {
        info!(host.id = host.id, host.name = %host.name, "host {} stopped checking in; marked not ready", host.name);
        db::scheduler::log_message(tx, None, Some(host.id), "Marking host not ready").await?;
        report.hosts_marked += 1;
    }
    for task in db::tasks::of_silent_hosts(tx, config.host_timeout_seconds).await? {
        let runs = db::scheduler::run_count(tx, task.id).await?;
        if task.state == TaskState::Open && runs >= config.max_task_runs {
            let message = format!(
                "task {} ({}) lost its host {} times (host {} stopped checking in); giving up",
                task.id, task.method, runs, task.host_id
            );
            let response = encode_fault(FaultCode::Generic.code(), &message);
            db::tasks::set_finished(tx, task.id, TaskState::Failed, Some(&response)).await?;
            db::scheduler::end_runs(tx, task.id).await?;
            db::scheduler::log_message(tx, Some(task.id), Some(task.host_id), &message).await?;
            warn!(task.id = task.id, host.id = task.host_id, "{message}");
            report.tasks_failed += 1;
        } else {
            db::tasks::set_free(tx, task.id).await?;
            db::scheduler::end_runs(tx, task.id).await?;
            db::scheduler::log_message(
                tx,
                Some(task.id),
                Some(task.host_id),
                "Freeing task from unresponsive host",
            )
            .await?;
            info!(
                task.id = task.id,
                host.id = task.host_id,
                "freed task {} ({}) from unresponsive host {}",
                task.id,
                task.method,
                task.host_id
            );
            report.tasks_freed += 1;
        }
    }
    for task in db::tasks::assigned_too_long(tx, config.assign_timeout_seconds).await? {
        db::tasks::set_free(tx, task.id).await?;
        db::scheduler::end_runs(tx, task.id).await?;
        db::scheduler::set_refusal(tx, task.id, task.host_id, false, true, "assignment timed out").await?;
        db::scheduler::log_message(tx, Some(task.id), Some(task.host_id), "Task assignment timeout").await?;
        info!(
            task.id = task.id,
            host.id = task.host_id,
            "freed task {} ({}): host {} did not open it in time",
            task.id,
            task.method,
            task.host_id
        );
        report.tasks_freed += 1;
    }
    Ok(report)
}
