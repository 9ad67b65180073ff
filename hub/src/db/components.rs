//! What the module build backend reads and writes about component builds while it drives a
//! module: locking a module's components, their state changes (each with its trace row), the
//! global count the concurrency throttle compares with `NUM_CONCURRENT_BUILDS`, and what a
//! component's Koji task and build came to.

use common::states::{BuildState, TaskState};

use super::Client;
use super::modules::{ComponentBuildRow, insert_component_trace};
use super::types::Tx;
use crate::error::{Error, Result};

/// The advisory lock that serialises throttle decisions across all module builds (and hubs).
const THROTTLE_LOCK_KEY: i64 = 0x6b69_6c6e_4d42_5354;

/// Takes the throttle lock until the transaction ends.
pub async fn lock_throttle(tx: &Tx<'_>) -> Result<()> {
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&THROTTLE_LOCK_KEY])
        .await?;
    Ok(())
}

/// The components of a module, locked, in batch order and heaviest first within a batch.
pub async fn lock_of_module(tx: &Tx<'_>, module_id: i64) -> Result<Vec<ComponentBuildRow>> {
    let sql = format!(
        "SELECT {} FROM component_builds m WHERE m.module_id = $1 \
         ORDER BY m.batch, m.weight DESC, m.id FOR UPDATE",
        super::modules::COMPONENT_COLUMNS
    );
    let rows = tx.query(&sql, &[&module_id]).await?;
    rows.iter().map(ComponentBuildRow::from_row).collect()
}

/// Components of any module that are BUILDING and not reused: what the throttle counts.
pub async fn building_count(client: &Client) -> Result<i64> {
    let row = client
        .query_one(
            "SELECT count(*) FROM component_builds WHERE state = $1 AND reused_component_id IS NULL",
            &[&BuildState::Building.code()],
        )
        .await?;
    Ok(row.try_get(0)?)
}

/// A component's new state and what goes with it.
#[derive(Debug, Clone, Default)]
pub struct ComponentUpdate<'a> {
    /// The Koji build state (`None`: not submitted).
    pub state: Option<BuildState>,
    /// Why.
    pub reason: Option<&'a str>,
    /// Its NVR, when known.
    pub nvr: Option<&'a str>,
    /// Its task.
    pub task_id: Option<i64>,
    /// The component it reuses.
    pub reused_component_id: Option<i64>,
}

/// Sets a component's state (keeping its NVR and task when the update has none) and traces it.
pub async fn set_state(tx: &Tx<'_>, component_id: i64, update: &ComponentUpdate<'_>) -> Result<()> {
    tx.execute(
        "UPDATE component_builds SET state = $2, state_reason = $3, nvr = COALESCE($4, nvr), \
         task_id = COALESCE($5, task_id), reused_component_id = COALESCE($6, reused_component_id) \
         WHERE id = $1",
        &[
            &component_id,
            &update.state.map(BuildState::code),
            &update.reason,
            &update.nvr,
            &update.task_id,
            &update.reused_component_id,
        ],
    )
    .await?;
    insert_component_trace(tx, component_id, update.state, update.reason, update.task_id).await
}

/// Records where a component is tagged.
pub async fn set_tagged(tx: &Tx<'_>, component_id: i64, tagged: bool, tagged_in_final: bool) -> Result<()> {
    tx.execute(
        "UPDATE component_builds SET tagged = $2, tagged_in_final = $3 WHERE id = $1",
        &[&component_id, &tagged, &tagged_in_final],
    )
    .await?;
    Ok(())
}

/// Sets a component's weight (the order within a batch).
pub async fn set_weight(tx: &Tx<'_>, component_id: i64, weight: f64) -> Result<()> {
    tx.execute(
        "UPDATE component_builds SET weight = $2 WHERE id = $1",
        &[&component_id, &weight],
    )
    .await?;
    Ok(())
}

/// Sets a module's current batch without a state change.
pub async fn set_batch(tx: &Tx<'_>, module_id: i64, batch: i32) -> Result<()> {
    tx.execute(
        "UPDATE module_builds SET batch = $2, time_modified = clock_timestamp() WHERE id = $1",
        &[&module_id, &batch],
    )
    .await?;
    Ok(())
}

/// Records the module's reuse source.
pub async fn set_reused_module(tx: &Tx<'_>, module_id: i64, reused: i64) -> Result<()> {
    tx.execute(
        "UPDATE module_builds SET reused_module_id = $2 WHERE id = $1",
        &[&module_id, &reused],
    )
    .await?;
    Ok(())
}

/// What a component's build task came to.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskOutcome {
    /// The task's state.
    pub task_state: TaskState,
    /// The build the task made (id, N-V-R, state), if it got that far.
    pub build: Option<(i64, String, i32)>,
}

/// The state of a task and of the build it made (the build whose `task_id` it is).
pub async fn task_outcome(client: &Client, task_id: i64) -> Result<Option<TaskOutcome>> {
    let row = client
        .query_opt(
            "SELECT t.state, b.id AS build_id, p.name || '-' || b.version || '-' || b.release AS nvr, \
             b.state AS build_state FROM task t LEFT JOIN build b ON b.task_id = t.id \
             LEFT JOIN package p ON p.id = b.pkg_id WHERE t.id = $1 ORDER BY b.id DESC LIMIT 1",
            &[&task_id],
        )
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let code: i32 = row.try_get("state")?;
    let task_state = TaskState::from_code(code)
        .ok_or_else(|| Error::Internal(format!("task {task_id} has state {code}")))?;
    let build_id: Option<i64> = row.try_get("build_id")?;
    let build = match build_id {
        Some(id) => Some((id, row.try_get("nvr")?, row.try_get("build_state")?)),
        None => None,
    };
    Ok(Some(TaskOutcome { task_state, build }))
}

/// The latest `ready` module build of `name:stream` built from SCM with the same build
/// context, completed most recently: the source of reused components.
pub async fn reuse_source(
    client: &Client,
    module_id: i64,
    name: &str,
    stream: &str,
    build_context: Option<&str>,
) -> Result<Option<i64>> {
    let row = client
        .query_opt(
            "SELECT id FROM module_builds WHERE name = $1 AND stream = $2 AND state = 5 \
             AND scmurl IS NOT NULL AND id <> $3 AND build_context IS NOT DISTINCT FROM $4 \
             AND NOT scratch ORDER BY time_completed DESC NULLS LAST, id DESC LIMIT 1",
            &[&name, &stream, &module_id, &build_context],
        )
        .await?;
    row.map(|row| row.try_get(0)).transpose().map_err(Error::from)
}

/// The newest event at which one of these builds was tagged into the tag (active taggings).
pub async fn tagging_event(client: &Client, tag_id: i64, build_ids: &[i64]) -> Result<Option<i64>> {
    let row = client
        .query_one(
            "SELECT max(create_event) FROM tag_listing WHERE tag_id = $1 AND build_id = ANY($2) \
             AND active IS TRUE",
            &[&tag_id, &build_ids],
        )
        .await?;
    Ok(row.try_get(0)?)
}
