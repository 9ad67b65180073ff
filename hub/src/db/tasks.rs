//! The `task` table: creation, lookups, listings, state changes, waiting, and the queries the
//! scheduler claims work with.

use common::states::TaskState;
use tokio_postgres::Row;

use super::Client;
use super::query::{QueryOpts, SqlBuilder};
use super::types::{Micros, Tx};
use crate::error::{Error, Result};

/// A task row without its request and result.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskRow {
    /// The task id.
    pub id: i64,
    /// Its state.
    pub state: TaskState,
    /// Creation time.
    pub create_time: Micros,
    /// When a host opened it.
    pub start_time: Option<Micros>,
    /// When it finished.
    pub completion_time: Option<Micros>,
    /// Its channel.
    pub channel_id: i64,
    /// The host holding it (set while ASSIGNED or OPEN, kept after it finished).
    pub host_id: Option<i64>,
    /// The parent task.
    pub parent: Option<i64>,
    /// The label its parent gave it.
    pub label: Option<String>,
    /// It waits on children.
    pub waiting: Option<bool>,
    /// Its parent waits on it.
    pub awaited: Option<bool>,
    /// The owner.
    pub owner: i64,
    /// The method.
    pub method: String,
    /// The arch it must run on.
    pub arch: String,
    /// Lower runs sooner.
    pub priority: i32,
    /// The load it puts on a host.
    pub weight: f64,
}

const TASK_COLUMNS: &str = "task.id, task.state, task.create_time, task.start_time, task.completion_time, \
     task.channel_id, task.host_id, task.parent, task.label, task.waiting, task.awaited, task.owner, \
     task.method, task.arch, task.priority, task.weight";

/// Reads a stored task state.
pub fn task_state(code: i32) -> Result<TaskState> {
    TaskState::from_code(code).ok_or_else(|| Error::CorruptRow {
        table: "task",
        detail: format!("state {code}"),
    })
}

impl TaskRow {
    fn from_row(row: &Row) -> Result<TaskRow> {
        Ok(TaskRow {
            id: row.try_get("id")?,
            state: task_state(row.try_get("state")?)?,
            create_time: row.try_get("create_time")?,
            start_time: row.try_get("start_time")?,
            completion_time: row.try_get("completion_time")?,
            channel_id: row.try_get("channel_id")?,
            host_id: row.try_get("host_id")?,
            parent: row.try_get("parent")?,
            label: row.try_get("label")?,
            waiting: row.try_get("waiting")?,
            awaited: row.try_get("awaited")?,
            owner: row.try_get("owner")?,
            method: row.try_get("method")?,
            arch: row.try_get("arch")?,
            priority: row.try_get("priority")?,
            weight: row.try_get("weight")?,
        })
    }
}

/// A task to insert.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTask {
    /// FREE, or ASSIGNED when `host_id` is set.
    pub state: TaskState,
    /// The owner.
    pub owner: i64,
    /// The method.
    pub method: String,
    /// The `methodCall` text of the arguments.
    pub request: String,
    /// Lower runs sooner.
    pub priority: i32,
    /// The parent task.
    pub parent: Option<i64>,
    /// The label under the parent.
    pub label: Option<String>,
    /// The channel; `None` for the `default` channel.
    pub channel_id: Option<i64>,
    /// The arch.
    pub arch: String,
    /// The host it is assigned to.
    pub host_id: Option<i64>,
}

/// Inserts a task and returns its id.
pub async fn insert(tx: &Tx<'_>, task: &NewTask) -> Result<i64> {
    let row = tx
        .query_one(
            "INSERT INTO task (state, owner, method, request, priority, parent, label, channel_id, arch, host_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, \
                     coalesce($8, (SELECT id FROM channels WHERE name = 'default')), $9, $10) \
             RETURNING id",
            &[
                &task.state.code(),
                &task.owner,
                &task.method,
                &task.request,
                &task.priority,
                &task.parent,
                &task.label,
                &task.channel_id,
                &task.arch,
                &task.host_id,
            ],
        )
        .await?;
    Ok(row.try_get(0)?)
}

/// One task.
pub async fn get(client: &Client, task_id: i64) -> Result<Option<TaskRow>> {
    let sql = format!("SELECT {TASK_COLUMNS} FROM task WHERE id = $1");
    let row = client.query_opt(&sql, &[&task_id]).await?;
    row.as_ref().map(TaskRow::from_row).transpose()
}

/// One task, locked for the rest of the transaction.
pub async fn get_for_update(tx: &Tx<'_>, task_id: i64) -> Result<Option<TaskRow>> {
    let sql = format!("SELECT {TASK_COLUMNS} FROM task WHERE id = $1 FOR UPDATE");
    let row = tx.query_opt(&sql, &[&task_id]).await?;
    row.as_ref().map(TaskRow::from_row).transpose()
}

/// The stored request text of a task.
pub async fn request_text(client: &Client, task_id: i64) -> Result<Option<String>> {
    let row = client
        .query_opt("SELECT request FROM task WHERE id = $1", &[&task_id])
        .await?;
    row.map(|r| Ok(r.try_get(0)?)).transpose()
}

/// The state and stored result text of a task.
pub async fn result_text(client: &Client, task_id: i64) -> Result<Option<(TaskState, Option<String>)>> {
    let row = client
        .query_opt("SELECT state, result FROM task WHERE id = $1", &[&task_id])
        .await?;
    row.map(|r| Ok((task_state(r.try_get("state")?)?, r.try_get("result")?)))
        .transpose()
}

/// The children of a task in id order, with their request texts.
pub async fn children(client: &Client, parent: i64) -> Result<Vec<(TaskRow, String)>> {
    let sql = format!("SELECT {TASK_COLUMNS}, task.request FROM task WHERE parent = $1 ORDER BY id");
    let rows = client.query(&sql, &[&parent]).await?;
    rows.iter()
        .map(|r| Ok((TaskRow::from_row(r)?, r.try_get("request")?)))
        .collect()
}

/// The ids of the children of a task.
pub async fn child_ids(client: &Client, parent: i64) -> Result<Vec<i64>> {
    let rows = client
        .query("SELECT id FROM task WHERE parent = $1 ORDER BY id", &[&parent])
        .await?;
    rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
}

/// The child of `parent` with `label`, if any.
pub async fn child_by_label(client: &Client, parent: i64, label: &str) -> Result<Option<i64>> {
    let row = client
        .query_opt(
            "SELECT id FROM task WHERE parent = $1 AND label = $2",
            &[&parent, &label],
        )
        .await?;
    row.map(|r| Ok(r.try_get(0)?)).transpose()
}

/// An integer filter of `listTasks`: nil (IS NULL), one value, or a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdFilter {
    /// `IS NULL`.
    Null,
    /// `= value`.
    One(i64),
    /// `IN (values)`.
    Many(Vec<i64>),
}

/// Filters for [`list`] (Koji's `listTasks` opts).
#[derive(Debug, Clone, Default)]
pub struct TaskFilter {
    /// States to include.
    pub state: Option<Vec<i32>>,
    /// States to exclude.
    pub not_state: Option<Vec<i32>>,
    /// Arches to include.
    pub arch: Option<Vec<String>>,
    /// Arches to exclude.
    pub not_arch: Option<Vec<String>>,
    /// `(column, include filter, exclude filter)` for owner, host_id, channel_id and parent.
    pub ids: Vec<(IdColumn, Option<IdFilter>, Option<IdFilter>)>,
    /// Only this method.
    pub method: Option<String>,
    /// `(column, before, after)` time bounds.
    pub times: Vec<(TimeColumn, Option<Micros>, Option<Micros>)>,
}

/// The integer columns `listTasks` filters on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdColumn {
    /// `owner`.
    Owner,
    /// `host_id`.
    HostId,
    /// `channel_id`.
    ChannelId,
    /// `parent`.
    Parent,
}

impl IdColumn {
    fn sql(self) -> &'static str {
        match self {
            IdColumn::Owner => "task.owner",
            IdColumn::HostId => "task.host_id",
            IdColumn::ChannelId => "task.channel_id",
            IdColumn::Parent => "task.parent",
        }
    }
}

/// The time columns `listTasks` filters on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeColumn {
    /// `create_time`.
    Create,
    /// `start_time`.
    Start,
    /// `completion_time`.
    Completion,
}

impl TimeColumn {
    fn sql(self) -> &'static str {
        match self {
            TimeColumn::Create => "task.create_time",
            TimeColumn::Start => "task.start_time",
            TimeColumn::Completion => "task.completion_time",
        }
    }
}

/// A `listTasks` row: the task, its request and result texts, and its owner.
#[derive(Debug, Clone, PartialEq)]
pub struct ListedTaskRow {
    /// The task.
    pub task: TaskRow,
    /// The request text.
    pub request: String,
    /// The result text.
    pub result: Option<String>,
    /// The owner's name.
    pub owner_name: Option<String>,
    /// The owner's type.
    pub owner_type: Option<i32>,
}

const ORDERABLE: &[(&str, &str)] = &[
    ("id", "task.id"),
    ("state", "task.state"),
    ("create_time", "task.create_time"),
    ("create_ts", "task.create_time"),
    ("start_time", "task.start_time"),
    ("start_ts", "task.start_time"),
    ("completion_time", "task.completion_time"),
    ("completion_ts", "task.completion_time"),
    ("channel_id", "task.channel_id"),
    ("host_id", "task.host_id"),
    ("parent", "task.parent"),
    ("label", "task.label"),
    ("owner", "task.owner"),
    ("owner_name", "users.name"),
    ("method", "task.method"),
    ("arch", "task.arch"),
    ("priority", "task.priority"),
    ("weight", "task.weight"),
];

fn list_query(filter: &TaskFilter, opts: &QueryOpts) -> Result<SqlBuilder> {
    let mut q = SqlBuilder::new(
        &format!(
            "{TASK_COLUMNS}, task.request, task.result, users.name AS owner_name, users.usertype AS owner_type"
        ),
        "task LEFT JOIN users ON users.id = task.owner",
    );
    if let Some(states) = &filter.state {
        q.filter("task.state = ANY({})", states.clone());
    }
    if let Some(states) = &filter.not_state {
        q.filter("NOT (task.state = ANY({}))", states.clone());
    }
    if let Some(arches) = &filter.arch {
        q.filter("task.arch = ANY({})", arches.clone());
    }
    if let Some(arches) = &filter.not_arch {
        q.filter("NOT (task.arch = ANY({}))", arches.clone());
    }
    for (column, include, exclude) in &filter.ids {
        let col = column.sql();
        match include {
            None => {}
            Some(IdFilter::Null) => q.filter_raw(&format!("{col} IS NULL")),
            Some(IdFilter::One(v)) => q.filter(&format!("{col} = {{}}"), *v),
            Some(IdFilter::Many(vs)) => q.filter(&format!("{col} = ANY({{}})"), vs.clone()),
        }
        match exclude {
            None => {}
            Some(IdFilter::Null) => q.filter_raw(&format!("{col} IS NOT NULL")),
            Some(IdFilter::One(v)) => q.filter(&format!("{col} IS DISTINCT FROM {{}}"), *v),
            Some(IdFilter::Many(vs)) => q.filter(&format!("NOT ({col} = ANY({{}}))"), vs.clone()),
        }
    }
    if let Some(method) = &filter.method {
        q.filter("task.method = {}", method.clone());
    }
    for (column, before, after) in &filter.times {
        let col = column.sql();
        if let Some(before) = before {
            q.filter(&format!("{col} < {{}}"), *before);
        }
        if let Some(after) = after {
            q.filter(&format!("{col} > {{}}"), *after);
        }
    }
    q.order_and_page(opts, ORDERABLE, "task.id")?;
    Ok(q)
}

/// Lists tasks.
pub async fn list(client: &Client, filter: &TaskFilter, opts: &QueryOpts) -> Result<Vec<ListedTaskRow>> {
    let q = list_query(filter, opts)?;
    let rows = client.query(&q.sql(), &q.params()).await?;
    rows.iter()
        .map(|r| {
            Ok(ListedTaskRow {
                task: TaskRow::from_row(r)?,
                request: r.try_get("request")?,
                result: r.try_get("result")?,
                owner_name: r.try_get("owner_name")?,
                owner_type: r.try_get("owner_type")?,
            })
        })
        .collect()
}

/// Counts tasks.
pub async fn count(client: &Client, filter: &TaskFilter) -> Result<i64> {
    let q = list_query(filter, &QueryOpts::default())?;
    let row = client.query_one(&q.count_sql(), &q.count_params()).await?;
    Ok(row.try_get(0)?)
}

/// Opens a task for a host: OPEN, the host, the start time.
pub async fn set_open(tx: &Tx<'_>, task_id: i64, host_id: i64) -> Result<()> {
    tx.execute(
        "UPDATE task SET state = $2, host_id = $3, start_time = now() WHERE id = $1",
        &[&task_id, &TaskState::Open.code(), &host_id],
    )
    .await?;
    Ok(())
}

/// Opens a task for a host in one statement, if the task is ASSIGNED to it (the usual case):
/// returns the opened task and its request text, or `None` when it is not (the row untouched).
pub async fn open_assigned(tx: &Tx<'_>, task_id: i64, host_id: i64) -> Result<Option<(TaskRow, String)>> {
    let sql = format!(
        "UPDATE task SET state = 1, start_time = now() WHERE id = $1 AND state = 4 AND host_id = $2 \
         RETURNING {TASK_COLUMNS}, task.request"
    );
    let row = tx.query_opt(&sql, &[&task_id, &host_id]).await?;
    row.map(|r| Ok((TaskRow::from_row(&r)?, r.try_get("request")?)))
        .transpose()
}

/// Finishes (CLOSED or FAILED) a task the host holds OPEN and ends its run, in one statement.
/// Returns the task's method, or `None` when the host does not hold the task open (nothing
/// changed).
pub async fn finish_held(
    tx: &Tx<'_>,
    task_id: i64,
    host_id: i64,
    state: TaskState,
    result: &str,
) -> Result<Option<String>> {
    let row = tx
        .query_opt(
            "WITH finished AS ( \
                 UPDATE task SET state = $3, result = $4, completion_time = now() \
                 WHERE id = $1 AND state = 1 AND host_id = $2 RETURNING id, method), \
             ended AS ( \
                 UPDATE scheduler_task_runs SET active = FALSE \
                 WHERE task_id IN (SELECT id FROM finished) AND active) \
             SELECT method FROM finished",
            &[&task_id, &host_id, &state.code(), &result],
        )
        .await?;
    row.map(|r| Ok(r.try_get("method")?)).transpose()
}

/// Assigns a task to a host.
pub async fn set_assigned(tx: &Tx<'_>, task_id: i64, host_id: i64) -> Result<()> {
    tx.execute(
        "UPDATE task SET state = $2, host_id = $3 WHERE id = $1",
        &[&task_id, &TaskState::Assigned.code(), &host_id],
    )
    .await?;
    Ok(())
}

/// Makes a task FREE again.
pub async fn set_free(tx: &Tx<'_>, task_id: i64) -> Result<()> {
    tx.execute(
        "UPDATE task SET state = $2, host_id = NULL, start_time = NULL WHERE id = $1",
        &[&task_id, &TaskState::Free.code()],
    )
    .await?;
    Ok(())
}

/// Finishes a task (CLOSED, FAILED or CANCELED), storing `result` if given.
pub async fn set_finished(tx: &Tx<'_>, task_id: i64, state: TaskState, result: Option<&str>) -> Result<()> {
    tx.execute(
        "UPDATE task SET state = $2, result = coalesce($3, result), completion_time = now() WHERE id = $1",
        &[&task_id, &state.code(), &result],
    )
    .await?;
    Ok(())
}

/// Sets a task's weight.
pub async fn set_weight(tx: &Tx<'_>, task_id: i64, weight: f64) -> Result<()> {
    tx.execute("UPDATE task SET weight = $2 WHERE id = $1", &[&task_id, &weight])
        .await?;
    Ok(())
}

/// Sets a task's priority.
pub async fn set_priority(tx: &Tx<'_>, task_id: i64, priority: i32) -> Result<()> {
    tx.execute(
        "UPDATE task SET priority = $2 WHERE id = $1",
        &[&task_id, &priority],
    )
    .await?;
    Ok(())
}

/// Marks a task waiting (or not).
pub async fn set_waiting(tx: &Tx<'_>, task_id: i64, waiting: bool) -> Result<()> {
    tx.execute(
        "UPDATE task SET waiting = $2 WHERE id = $1",
        &[&task_id, &waiting],
    )
    .await?;
    Ok(())
}

/// Marks children awaited: all of them, or those listed (un-awaiting the others).
pub async fn set_awaited(tx: &Tx<'_>, parent: i64, only: Option<&[i64]>) -> Result<()> {
    match only {
        None => {
            tx.execute("UPDATE task SET awaited = TRUE WHERE parent = $1", &[&parent])
                .await?;
        }
        Some(ids) => {
            let ids = ids.to_vec();
            tx.execute(
                "UPDATE task SET awaited = TRUE WHERE parent = $1 AND id = ANY($2)",
                &[&parent, &ids],
            )
            .await?;
            tx.execute(
                "UPDATE task SET awaited = FALSE WHERE parent = $1 AND awaited AND NOT (id = ANY($2))",
                &[&parent, &ids],
            )
            .await?;
        }
    }
    Ok(())
}

/// The awaited children of a task: `(id, state)`, locked when `lock`.
pub async fn awaited_children(client: &Client, parent: i64, lock: bool) -> Result<Vec<(i64, TaskState)>> {
    let sql = if lock {
        "SELECT id, state FROM task WHERE parent = $1 AND awaited IS TRUE ORDER BY id FOR UPDATE"
    } else {
        "SELECT id, state FROM task WHERE parent = $1 AND awaited IS TRUE ORDER BY id"
    };
    let rows = client.query(sql, &[&parent]).await?;
    rows.iter()
        .map(|r| Ok((r.try_get("id")?, task_state(r.try_get("state")?)?)))
        .collect()
}

/// Clears `awaited` on the listed tasks.
pub async fn unawait(tx: &Tx<'_>, ids: &[i64]) -> Result<()> {
    tx.execute(
        "UPDATE task SET awaited = FALSE WHERE id = ANY($1)",
        &[&ids.to_vec()],
    )
    .await?;
    Ok(())
}

/// Ends a wait: the parent no longer waits and no child is awaited.
pub async fn unwait(tx: &Tx<'_>, parent: i64) -> Result<()> {
    tx.execute("UPDATE task SET waiting = FALSE WHERE id = $1", &[&parent])
        .await?;
    tx.execute("UPDATE task SET awaited = FALSE WHERE parent = $1", &[&parent])
        .await?;
    Ok(())
}

/// The finished children of a task.
pub async fn finished_child_ids(client: &Client, parent: i64) -> Result<Vec<i64>> {
    let rows = client
        .query(
            "SELECT id FROM task WHERE parent = $1 AND state IN (2, 3, 5) ORDER BY id",
            &[&parent],
        )
        .await?;
    rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
}

/// The tasks of a host in `state`, by priority then age.
pub async fn of_host(client: &Client, host_id: i64, state: TaskState) -> Result<Vec<TaskRow>> {
    // The state is written into the statement, so that for ASSIGNED and OPEN the planner uses
    // the index of active tasks rather than every task the host ever ran.
    let sql = format!(
        "SELECT {TASK_COLUMNS} FROM task WHERE host_id = $1 AND state = {} ORDER BY priority, create_time, id",
        state.code()
    );
    let rows = client.query(&sql, &[&host_id]).await?;
    rows.iter().map(TaskRow::from_row).collect()
}

/// A host's load as the scheduler sees it: the weights of its ASSIGNED and OPEN tasks that do
/// not wait, and how many of those it has. Waiting parents count for neither, so parents
/// waiting on children can never fill a host and starve their own children.
pub async fn host_load(client: &Client, host_id: i64) -> Result<(f64, i64)> {
    let row = client
        .query_one(
            "SELECT coalesce(sum(weight) FILTER (WHERE waiting IS NOT TRUE), 0.0)::float8 AS load, \
                    count(*) FILTER (WHERE waiting IS NOT TRUE) AS ntasks \
             FROM task WHERE host_id = $1 AND state IN (1, 4)",
            &[&host_id],
        )
        .await?;
    Ok((row.try_get("load")?, row.try_get("ntasks")?))
}

/// A FREE task a host could take, locked.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// The task id.
    pub id: i64,
    /// Its weight.
    pub weight: f64,
}

/// What a host can run, for [`claim_candidates`].
#[derive(Debug, Clone, PartialEq)]
pub struct HostAbilities {
    /// The host.
    pub host_id: i64,
    /// Channels it listens to.
    pub channel_ids: Vec<i64>,
    /// Its arches (`noarch` added by the query).
    pub arches: Vec<String>,
    /// Methods it handles; `None` when it did not say.
    pub methods: Option<Vec<String>>,
    /// Soft refusals older than this many seconds no longer count.
    pub soft_refusal_seconds: f64,
}

/// The FREE tasks a host could take ($1 host, $2 channels, $3 arches, $4 methods, $5 soft
/// refusal seconds), by priority then age.
const CANDIDATES: &str = "SELECT id, weight FROM task \
     WHERE state = 0 AND channel_id = ANY($2) \
       AND (arch = 'noarch' OR arch = ANY($3)) \
       AND ($4::text[] IS NULL OR method = ANY($4)) \
       AND NOT EXISTS (SELECT 1 FROM scheduler_task_refusals r \
                       WHERE r.task_id = task.id AND r.host_id = $1 \
                         AND (NOT r.soft OR r.time > now() - make_interval(secs => $5))) \
     ORDER BY priority, create_time, id";

/// Whether any FREE task is there for this host to take, read without locking anything.
pub async fn has_candidates(client: &Client, host: &HostAbilities) -> Result<bool> {
    let sql = format!("SELECT EXISTS ({CANDIDATES} LIMIT 1) AS found");
    let row = client
        .query_one(
            &sql,
            &[
                &host.host_id,
                &host.channel_ids,
                &host.arches,
                &host.methods,
                &host.soft_refusal_seconds,
            ],
        )
        .await?;
    Ok(row.try_get("found")?)
}

/// Locks up to `limit` FREE tasks this host could take, by priority then age, skipping rows
/// another transaction holds (so two hubs or two hosts never take the same task).
pub async fn claim_candidates(tx: &Tx<'_>, host: &HostAbilities, limit: i64) -> Result<Vec<Candidate>> {
    let sql = format!("{CANDIDATES} LIMIT $6 FOR UPDATE SKIP LOCKED");
    let rows = tx
        .query(
            &sql,
            &[
                &host.host_id,
                &host.channel_ids,
                &host.arches,
                &host.methods,
                &host.soft_refusal_seconds,
                &limit,
            ],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Candidate {
                id: r.try_get("id")?,
                weight: r.try_get("weight")?,
            })
        })
        .collect()
}

/// An ASSIGNED or OPEN task whose host is not alive, locked.
#[derive(Debug, Clone, PartialEq)]
pub struct OrphanTask {
    /// The task id.
    pub id: i64,
    /// Its state.
    pub state: TaskState,
    /// The host that held it.
    pub host_id: i64,
    /// The method.
    pub method: String,
}

/// ASSIGNED and OPEN tasks of hosts that have not checked in for `timeout_seconds`.
pub async fn of_silent_hosts(tx: &Tx<'_>, timeout_seconds: f64) -> Result<Vec<OrphanTask>> {
    let rows = tx
        .query(
            "SELECT task.id, task.state, task.host_id, task.method FROM task JOIN host ON host.id = task.host_id \
             WHERE task.state IN (1, 4) \
               AND (host.update_time IS NULL OR host.update_time < now() - make_interval(secs => $1)) \
             ORDER BY task.id FOR UPDATE OF task SKIP LOCKED",
            &[&timeout_seconds],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(OrphanTask {
                id: r.try_get("id")?,
                state: task_state(r.try_get("state")?)?,
                host_id: r.try_get("host_id")?,
                method: r.try_get("method")?,
            })
        })
        .collect()
}

/// ASSIGNED tasks whose active run is older than `timeout_seconds`, locked.
pub async fn assigned_too_long(tx: &Tx<'_>, timeout_seconds: f64) -> Result<Vec<OrphanTask>> {
    let rows = tx
        .query(
            "SELECT task.id, task.state, task.host_id, task.method FROM task \
             WHERE task.state = 4 AND task.host_id IS NOT NULL \
               AND NOT EXISTS (SELECT 1 FROM scheduler_task_runs r WHERE r.task_id = task.id AND r.active \
                               AND r.create_time > now() - make_interval(secs => $1)) \
             ORDER BY task.id FOR UPDATE OF task SKIP LOCKED",
            &[&timeout_seconds],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(OrphanTask {
                id: r.try_get("id")?,
                state: task_state(r.try_get("state")?)?,
                host_id: r.try_get("host_id")?,
                method: r.try_get("method")?,
            })
        })
        .collect()
}
