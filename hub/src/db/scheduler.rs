//! The scheduler's bookkeeping: task runs (one per hand-out of a task to a host), refusals, log
//! messages, and the advisory lock that lets one hub at a time do the periodic checks.

use tokio_postgres::Row;

use super::Client;
use super::types::{Micros, Tx};
use crate::error::Result;

/// Records that a task was handed to a host.
pub async fn add_run(tx: &Tx<'_>, task_id: i64, host_id: i64) -> Result<()> {
    tx.execute(
        "UPDATE scheduler_task_runs SET active = FALSE WHERE task_id = $1 AND active",
        &[&task_id],
    )
    .await?;
    tx.execute(
        "INSERT INTO scheduler_task_runs (task_id, host_id) VALUES ($1, $2)",
        &[&task_id, &host_id],
    )
    .await?;
    Ok(())
}

/// Ends the active run of a task (it finished, or was freed).
pub async fn end_runs(tx: &Tx<'_>, task_id: i64) -> Result<()> {
    tx.execute(
        "UPDATE scheduler_task_runs SET active = FALSE WHERE task_id = $1 AND active",
        &[&task_id],
    )
    .await?;
    Ok(())
}

/// How many times a task was handed out.
pub async fn run_count(client: &Client, task_id: i64) -> Result<i64> {
    let row = client
        .query_one(
            "SELECT count(*) FROM scheduler_task_runs WHERE task_id = $1",
            &[&task_id],
        )
        .await?;
    Ok(row.try_get(0)?)
}

/// A `scheduler_task_runs` row.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRow {
    /// The run id.
    pub id: i64,
    /// The task.
    pub task_id: i64,
    /// The host.
    pub host_id: i64,
    /// Still running there.
    pub active: bool,
    /// When it was handed out.
    pub create_time: Micros,
}

impl RunRow {
    fn from_row(row: &Row) -> Result<RunRow> {
        Ok(RunRow {
            id: row.try_get("id")?,
            task_id: row.try_get("task_id")?,
            host_id: row.try_get("host_id")?,
            active: row.try_get("active")?,
            create_time: row.try_get("create_time")?,
        })
    }
}

/// Runs, filtered by task, host and activity.
pub async fn runs(
    client: &Client,
    task_id: Option<i64>,
    host_id: Option<i64>,
    active: Option<bool>,
) -> Result<Vec<RunRow>> {
    let rows = client
        .query(
            "SELECT id, task_id, host_id, active, create_time FROM scheduler_task_runs \
             WHERE ($1::bigint IS NULL OR task_id = $1) AND ($2::bigint IS NULL OR host_id = $2) \
               AND ($3::boolean IS NULL OR active = $3) ORDER BY id",
            &[&task_id, &host_id, &active],
        )
        .await?;
    rows.iter().map(RunRow::from_row).collect()
}

/// Records (or renews) a host's refusal of a task.
pub async fn set_refusal(
    tx: &Tx<'_>,
    task_id: i64,
    host_id: i64,
    by_host: bool,
    soft: bool,
    msg: &str,
) -> Result<()> {
    tx.execute(
        "INSERT INTO scheduler_task_refusals (task_id, host_id, by_host, soft, msg) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (task_id, host_id) DO UPDATE \
         SET by_host = EXCLUDED.by_host, soft = EXCLUDED.soft, msg = EXCLUDED.msg, time = now()",
        &[&task_id, &host_id, &by_host, &soft, &msg],
    )
    .await?;
    Ok(())
}

/// A `scheduler_task_refusals` row.
#[derive(Debug, Clone, PartialEq)]
pub struct RefusalRow {
    /// The refusal id.
    pub id: i64,
    /// The task.
    pub task_id: i64,
    /// The host.
    pub host_id: i64,
    /// The host refused (rather than the hub deciding for it).
    pub by_host: bool,
    /// Expires after a while.
    pub soft: bool,
    /// Why.
    pub msg: Option<String>,
    /// When.
    pub time: Micros,
}

/// Refusals, filtered by task and host, newest first.
pub async fn refusals(
    client: &Client,
    task_id: Option<i64>,
    host_id: Option<i64>,
) -> Result<Vec<RefusalRow>> {
    let rows = client
        .query(
            "SELECT id, task_id, host_id, by_host, soft, msg, time FROM scheduler_task_refusals \
             WHERE ($1::bigint IS NULL OR task_id = $1) AND ($2::bigint IS NULL OR host_id = $2) \
             ORDER BY id DESC",
            &[&task_id, &host_id],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(RefusalRow {
                id: r.try_get("id")?,
                task_id: r.try_get("task_id")?,
                host_id: r.try_get("host_id")?,
                by_host: r.try_get("by_host")?,
                soft: r.try_get("soft")?,
                msg: r.try_get("msg")?,
                time: r.try_get("time")?,
            })
        })
        .collect()
}

/// Records a scheduler message about a task or host.
pub async fn log_message(tx: &Tx<'_>, task_id: Option<i64>, host_id: Option<i64>, msg: &str) -> Result<()> {
    tx.execute(
        "INSERT INTO scheduler_log_messages (task_id, host_id, msg) VALUES ($1, $2, $3)",
        &[&task_id, &host_id, &msg],
    )
    .await?;
    Ok(())
}

/// A `scheduler_log_messages` row.
#[derive(Debug, Clone, PartialEq)]
pub struct LogMessageRow {
    /// The message id.
    pub id: i64,
    /// The task it is about.
    pub task_id: Option<i64>,
    /// The host it is about.
    pub host_id: Option<i64>,
    /// When.
    pub msg_time: Micros,
    /// What.
    pub msg: String,
}

/// Log messages, filtered by task and host, oldest first, at most `limit`.
pub async fn log_messages(
    client: &Client,
    task_id: Option<i64>,
    host_id: Option<i64>,
    limit: i64,
) -> Result<Vec<LogMessageRow>> {
    let rows = client
        .query(
            "SELECT id, task_id, host_id, msg_time, msg FROM scheduler_log_messages \
             WHERE ($1::bigint IS NULL OR task_id = $1) AND ($2::bigint IS NULL OR host_id = $2) \
             ORDER BY id LIMIT $3",
            &[&task_id, &host_id, &limit],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(LogMessageRow {
                id: r.try_get("id")?,
                task_id: r.try_get("task_id")?,
                host_id: r.try_get("host_id")?,
                msg_time: r.try_get("msg_time")?,
                msg: r.try_get("msg")?,
            })
        })
        .collect()
}

/// Takes a transaction-scoped advisory lock without waiting; false if another holds it.
pub async fn try_lock(tx: &Tx<'_>, key: i64) -> Result<bool> {
    let row = tx
        .query_one("SELECT pg_try_advisory_xact_lock($1)", &[&key])
        .await?;
    Ok(row.try_get(0)?)
}
