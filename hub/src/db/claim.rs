//! What the scheduler reads and writes to hand FREE tasks to a host: everything it needs to
//! know about the host in one read, and the hand-out of several tasks in one statement.

use tokio_postgres::Row;

use super::Client;
use super::types::Tx;
use crate::error::Result;

/// A host as the scheduler sees it when the host asks for work, read without locks.
#[derive(Debug, Clone, PartialEq)]
pub struct HostView {
    /// Enabled by an admin.
    pub enabled: bool,
    /// Reported ready.
    pub ready: bool,
    /// Capacity.
    pub capacity: f64,
    /// Space-separated arches.
    pub arches: Option<String>,
    /// What it reported with `host.updateHost(data=…)`, if anything.
    pub data: Option<serde_json::Value>,
    /// The weight of its ASSIGNED and OPEN tasks that do not wait.
    pub load: f64,
    /// How many of those it has.
    pub ntasks: i64,
    /// How many tasks are ASSIGNED to it.
    pub assigned: i64,
    /// The channels it listens to.
    pub channel_ids: Vec<i64>,
}

impl HostView {
    fn from_row(row: &Row) -> Result<HostView> {
        Ok(HostView {
            enabled: row.try_get("enabled")?,
            ready: row.try_get("ready")?,
            capacity: row.try_get("capacity")?,
            arches: row.try_get("arches")?,
            data: row.try_get("data")?,
            load: row.try_get("load")?,
            ntasks: row.try_get("ntasks")?,
            assigned: row.try_get("assigned")?,
            channel_ids: row.try_get("channel_ids")?,
        })
    }
}

/// The host's configuration, reported data, load and channels, in one query; `None` when it
/// has no current configuration.
pub async fn host_view(client: &Client, host_id: i64) -> Result<Option<HostView>> {
    let row = client
        .query_opt(include_str!("claim_view.sql"), &[&host_id])
        .await?;
    row.as_ref().map(HostView::from_row).transpose()
}

/// Assigns the tasks to the host, ending their earlier runs and starting one each, in one
/// statement. The tasks must be locked by the caller.
pub async fn assign(tx: &Tx<'_>, task_ids: &[i64], host_id: i64) -> Result<()> {
    tx.execute(
        "WITH assigned AS (UPDATE task SET state = 4, host_id = $2 WHERE id = ANY($1) RETURNING id), \
              ended AS (UPDATE scheduler_task_runs SET active = FALSE WHERE task_id = ANY($1) AND active) \
         INSERT INTO scheduler_task_runs (task_id, host_id) SELECT id, $2 FROM assigned",
        &[&task_ids, &host_id],
    )
    .await?;
    Ok(())
}
