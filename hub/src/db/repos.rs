//! Repos and repo requests: the `repo` table (one row per generated repository, with its
//! snapshot event and state) and `repo_queue` (Koji 1.35's repo requests).

use std::collections::BTreeMap;

use common::states::RepoState;
use tokio_postgres::Row;

use super::Client;
use super::query::SqlBuilder;
use super::types::{Micros, Tx};
use crate::error::{Error, Result};

/// Repo options (`src`, `debuginfo`, `separate_src`, `maven`), as stored in `opts` and
/// `custom_opts`.
pub type RepoOpts = BTreeMap<String, bool>;

/// Reads options from a JSONB column.
fn opts_from_json(table: &'static str, value: Option<serde_json::Value>) -> Result<Option<RepoOpts>> {
    match value {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(value) => serde_json::from_value(value)
            .map(Some)
            .map_err(|e| Error::CorruptRow {
                table,
                detail: format!("opts: {e}"),
            }),
    }
}

/// Options as a JSONB value.
pub fn opts_json(opts: &RepoOpts) -> serde_json::Value {
    serde_json::Value::Object(
        opts.iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::Bool(*v)))
            .collect(),
    )
}

/// A repo with the names and times Koji's `RepoQuery` joins in.
#[derive(Debug, Clone, PartialEq)]
pub struct RepoRow {
    /// The repo id (its directory name under `repos/<tag>/`).
    pub id: i64,
    /// The tag.
    pub tag_id: i64,
    /// The tag's name.
    pub tag_name: String,
    /// When the row was made.
    pub creation_time: Micros,
    /// The last state change.
    pub state_time: Micros,
    /// The snapshot event.
    pub create_event: i64,
    /// Its time.
    pub create_ts: Micros,
    /// The tag's last change at or before `create_event`.
    pub begin_event: Option<i64>,
    /// Its time.
    pub begin_ts: Option<Micros>,
    /// The tag's first change after `create_event` (nil while current).
    pub end_event: Option<i64>,
    /// Its time.
    pub end_ts: Option<Micros>,
    /// The state.
    pub state: RepoState,
    /// A dist repo.
    pub dist: bool,
    /// Effective options.
    pub opts: Option<RepoOpts>,
    /// Options that differ from the tag's defaults.
    pub custom_opts: Option<RepoOpts>,
    /// The newRepo task.
    pub task_id: Option<i64>,
    /// Its state.
    pub task_state: Option<i32>,
}

const REPO_COLUMNS: &str = "r.id, r.tag_id, t.name AS tag_name, r.creation_time, r.state_time, \
     r.create_event, ce.time AS create_ts, r.begin_event, be.time AS begin_ts, r.end_event, \
     ee.time AS end_ts, r.state, r.dist, r.opts, r.custom_opts, r.task_id, task.state AS task_state";

const REPO_FROM: &str = "repo r JOIN tag t ON t.id = r.tag_id JOIN events ce ON ce.id = r.create_event \
     LEFT JOIN events be ON be.id = r.begin_event LEFT JOIN events ee ON ee.id = r.end_event \
     LEFT JOIN task ON task.id = r.task_id";

impl RepoRow {
    fn from_row(row: &Row) -> Result<RepoRow> {
        let state: i32 = row.try_get("state")?;
        Ok(RepoRow {
            id: row.try_get("id")?,
            tag_id: row.try_get("tag_id")?,
            tag_name: row.try_get("tag_name")?,
            creation_time: row.try_get("creation_time")?,
            state_time: row.try_get("state_time")?,
            create_event: row.try_get("create_event")?,
            create_ts: row.try_get("create_ts")?,
            begin_event: row.try_get("begin_event")?,
            begin_ts: row.try_get("begin_ts")?,
            end_event: row.try_get("end_event")?,
            end_ts: row.try_get("end_ts")?,
            state: RepoState::from_code(state).ok_or_else(|| Error::CorruptRow {
                table: "repo",
                detail: format!("state {state}"),
            })?,
            dist: row.try_get("dist")?,
            opts: opts_from_json("repo", row.try_get("opts")?)?,
            custom_opts: opts_from_json("repo", row.try_get("custom_opts")?)?,
            task_id: row.try_get("task_id")?,
            task_state: row.try_get("task_state")?,
        })
    }

    /// True for repos made with the tag's default options.
    pub fn has_default_opts(&self) -> bool {
        self.custom_opts.as_ref().is_none_or(BTreeMap::is_empty)
    }
}

/// Which repos to read (every set field must match).
#[derive(Debug, Clone, Default)]
pub struct RepoFilter {
    /// This repo.
    pub id: Option<i64>,
    /// Of this tag.
    pub tag_id: Option<i64>,
    /// In one of these states.
    pub states: Option<Vec<RepoState>>,
    /// Dist repos or not.
    pub dist: Option<bool>,
    /// `create_event >= min_event`.
    pub min_event: Option<i64>,
    /// `create_event <= max_event`.
    pub max_event: Option<i64>,
    /// `create_event = at_event`.
    pub at_event: Option<i64>,
    /// `opts @> this` (the repo has every option asked for).
    pub opts_contain: Option<RepoOpts>,
    /// `custom_opts <@ this` (the repo has no custom option not asked for).
    pub custom_within: Option<RepoOpts>,
    /// Made by this task.
    pub task_id: Option<i64>,
    /// Newest first (by creation event, then id) instead of by id.
    pub newest_first: bool,
    /// At most this many.
    pub limit: Option<i64>,
}

/// The repos matching `filter`.
pub async fn query(client: &Client, filter: &RepoFilter) -> Result<Vec<RepoRow>> {
    let mut q = SqlBuilder::new(REPO_COLUMNS, REPO_FROM);
    if let Some(id) = filter.id {
        q.filter("r.id = {}", id);
    }
    if let Some(tag_id) = filter.tag_id {
        q.filter("r.tag_id = {}", tag_id);
    }
    if let Some(states) = &filter.states {
        let codes: Vec<i32> = states.iter().map(|s| s.code()).collect();
        q.filter("r.state = ANY({})", codes);
    }
    if let Some(dist) = filter.dist {
        q.filter("r.dist = {}", dist);
    }
    if let Some(event) = filter.min_event {
        q.filter("r.create_event >= {}", event);
    }
    if let Some(event) = filter.max_event {
        q.filter("r.create_event <= {}", event);
    }
    if let Some(event) = filter.at_event {
        q.filter("r.create_event = {}", event);
    }
    if let Some(opts) = &filter.opts_contain {
        q.filter("r.opts @> {}", opts_json(opts));
    }
    if let Some(opts) = &filter.custom_within {
        q.filter("r.custom_opts <@ {}", opts_json(opts));
    }
    if let Some(task_id) = filter.task_id {
        q.filter("r.task_id = {}", task_id);
    }
    let order = if filter.newest_first {
        " ORDER BY r.create_event DESC, r.id DESC"
    } else {
        " ORDER BY r.id"
    };
    let mut sql = q.sql();
    sql.push_str(order);
    if let Some(limit) = filter.limit {
        sql.push_str(&format!(" LIMIT {}", limit.max(0)));
    }
    let rows = client.query(&sql, &q.params()).await?;
    rows.iter().map(RepoRow::from_row).collect()
}

/// One repo.
pub async fn get(client: &Client, repo_id: i64) -> Result<Option<RepoRow>> {
    let filter = RepoFilter {
        id: Some(repo_id),
        ..RepoFilter::default()
    };
    Ok(query(client, &filter).await?.into_iter().next())
}

/// Locks one repo row for a state change.
pub async fn lock(tx: &Tx<'_>, repo_id: i64) -> Result<Option<RepoState>> {
    let row = tx
        .query_opt("SELECT state FROM repo WHERE id = $1 FOR UPDATE", &[&repo_id])
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let state: i32 = row.try_get("state")?;
    Ok(RepoState::from_code(state))
}

/// A repo to insert (state INIT).
#[derive(Debug, Clone)]
pub struct NewRepo {
    /// The tag.
    pub tag_id: i64,
    /// The snapshot event.
    pub create_event: i64,
    /// The tag's last change at or before it.
    pub begin_event: Option<i64>,
    /// Effective options.
    pub opts: RepoOpts,
    /// The options that differ from the tag's defaults.
    pub custom_opts: RepoOpts,
    /// The newRepo task.
    pub task_id: Option<i64>,
}

/// Inserts a repo in state INIT and returns its id.
pub async fn insert(tx: &Tx<'_>, new: &NewRepo) -> Result<i64> {
    let row = tx
        .query_one(
            "INSERT INTO repo (create_event, begin_event, tag_id, state, dist, opts, custom_opts, task_id) \
             VALUES ($1, $2, $3, $4, FALSE, $5, $6, $7) RETURNING id",
            &[
                &new.create_event,
                &new.begin_event,
                &new.tag_id,
                &RepoState::Init.code(),
                &opts_json(&new.opts),
                &opts_json(&new.custom_opts),
                &new.task_id,
            ],
        )
        .await?;
    Ok(row.try_get(0)?)
}

/// Sets a repo's state (and the state time).
pub async fn set_state(tx: &Tx<'_>, repo_id: i64, state: RepoState) -> Result<()> {
    tx.execute(
        "UPDATE repo SET state = $2, state_time = NOW() WHERE id = $1",
        &[&repo_id, &state.code()],
    )
    .await?;
    Ok(())
}

/// Records the first change of the tag after a repo's snapshot.
pub async fn set_end_event(tx: &Tx<'_>, repo_id: i64, end_event: i64) -> Result<()> {
    tx.execute(
        "UPDATE repo SET end_event = $2 WHERE id = $1 AND end_event IS NULL",
        &[&repo_id, &end_event],
    )
    .await?;
    Ok(())
}

/// A buildroot that uses a repo (Koji's `repo_references`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferenceRow {
    /// The buildroot.
    pub id: i64,
    /// Its host.
    pub host_id: i64,
    /// When it was made.
    pub create_event: i64,
    /// Its state.
    pub state: Option<i32>,
}

/// The buildroots still using a repo (not retired).
pub async fn references(client: &Client, repo_id: i64) -> Result<Vec<ReferenceRow>> {
    let rows = client
        .query(
            "SELECT buildroot_id, host_id, create_event, state FROM standard_buildroot \
             WHERE repo_id = $1 AND retire_event IS NULL ORDER BY buildroot_id",
            &[&repo_id],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(ReferenceRow {
                id: r.try_get("buildroot_id")?,
                host_id: r.try_get("host_id")?,
                create_event: r.try_get("create_event")?,
                state: r.try_get("state")?,
            })
        })
        .collect()
}

/// Repos that may be expired: READY default-option repos of a tag that are older than the
/// newest `keep` READY ones.
pub async fn expirable(client: &Client, keep: i64) -> Result<Vec<i64>> {
    let rows = client
        .query(
            "SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY tag_id, custom_opts \
             ORDER BY create_event DESC, id DESC) AS n FROM repo WHERE state = $1 AND NOT dist) ranked \
             WHERE n > $2 ORDER BY id",
            &[&RepoState::Ready.code(), &keep],
        )
        .await?;
    rows.iter().map(|r| Ok(r.try_get::<_, i64>(0)?)).collect()
}

/// EXPIRED or PROBLEM repos whose state is older than `age_seconds`, outside the newest `keep`
/// repos of their tag, and used by no live buildroot.
pub async fn deletable(client: &Client, age_seconds: f64, keep: i64) -> Result<Vec<(i64, String)>> {
    let rows = client
        .query(
            "SELECT ranked.id, t.name FROM (SELECT id, tag_id, state, state_time, row_number() OVER \
             (PARTITION BY tag_id ORDER BY create_event DESC, id DESC) AS n FROM repo \
             WHERE state <> $1 AND NOT dist) ranked JOIN tag t ON t.id = ranked.tag_id \
             WHERE ranked.state = ANY($2) AND ranked.n > $3 \
             AND ranked.state_time < NOW() - make_interval(secs => $4) \
             AND NOT EXISTS (SELECT 1 FROM standard_buildroot sb WHERE sb.repo_id = ranked.id \
             AND sb.retire_event IS NULL) ORDER BY ranked.id",
            &[
                &RepoState::Deleted.code(),
                &vec![RepoState::Expired.code(), RepoState::Problem.code()],
                &keep,
                &age_seconds,
            ],
        )
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get::<_, i64>(0)?, r.try_get::<_, String>(1)?)))
        .collect()
}

/// READY repos whose `end_event` is not known yet.
pub async fn without_end_event(client: &Client) -> Result<Vec<(i64, i64, i64)>> {
    let rows = client
        .query(
            "SELECT id, tag_id, create_event FROM repo WHERE state = $1 AND end_event IS NULL ORDER BY id",
            &[&RepoState::Ready.code()],
        )
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
        .collect()
}

/// A repo request (`repo_queue` row) with the joined names.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestRow {
    /// The request id.
    pub id: i64,
    /// When it was made.
    pub create_time: Micros,
    /// Who asked.
    pub owner: i64,
    /// Their name.
    pub owner_name: String,
    /// 20 + relative priority; lower runs first.
    pub priority: i32,
    /// The tag.
    pub tag_id: i64,
    /// Its name.
    pub tag_name: String,
    /// The exact event asked for.
    pub at_event: Option<i64>,
    /// The oldest acceptable event.
    pub min_event: Option<i64>,
    /// Requested option overrides.
    pub opts: RepoOpts,
    /// The last change.
    pub update_time: Micros,
    /// Still waiting for a repo.
    pub active: bool,
    /// The current newRepo task.
    pub task_id: Option<i64>,
    /// Its state.
    pub task_state: Option<i32>,
    /// How many tasks were made for it.
    pub tries: i32,
    /// The repo that fulfilled it.
    pub repo_id: Option<i64>,
}

const REQUEST_COLUMNS: &str = "q.id, q.create_time, q.owner, u.name AS owner_name, q.priority, q.tag_id, \
     t.name AS tag_name, q.at_event, q.min_event, q.opts, q.update_time, q.active, q.task_id, \
     task.state AS task_state, q.tries, q.repo_id";

const REQUEST_FROM: &str = "repo_queue q JOIN tag t ON t.id = q.tag_id JOIN users u ON u.id = q.owner \
     LEFT JOIN task ON task.id = q.task_id";

impl RequestRow {
    fn from_row(row: &Row) -> Result<RequestRow> {
        Ok(RequestRow {
            id: row.try_get("id")?,
            create_time: row.try_get("create_time")?,
            owner: row.try_get("owner")?,
            owner_name: row.try_get("owner_name")?,
            priority: row.try_get("priority")?,
            tag_id: row.try_get("tag_id")?,
            tag_name: row.try_get("tag_name")?,
            at_event: row.try_get("at_event")?,
            min_event: row.try_get("min_event")?,
            opts: opts_from_json("repo_queue", row.try_get("opts")?)?.unwrap_or_default(),
            update_time: row.try_get("update_time")?,
            active: row.try_get("active")?,
            task_id: row.try_get("task_id")?,
            task_state: row.try_get("task_state")?,
            tries: row.try_get("tries")?,
            repo_id: row.try_get("repo_id")?,
        })
    }
}

/// Which requests to read.
#[derive(Debug, Clone, Default)]
pub struct RequestFilter {
    /// This request.
    pub id: Option<i64>,
    /// Of this tag.
    pub tag_id: Option<i64>,
    /// Active or not.
    pub active: Option<bool>,
    /// With exactly these options.
    pub opts: Option<RepoOpts>,
    /// `at_event = this`.
    pub at_event: Option<i64>,
    /// `min_event >= this`.
    pub min_event_at_least: Option<i64>,
    /// Waiting for a repo (no `repo_id`).
    pub without_repo: bool,
    /// Lock the rows (for the queue check).
    pub for_update: bool,
}

/// The requests matching `filter`, in queue order (priority, id).
pub async fn requests(client: &Client, filter: &RequestFilter) -> Result<Vec<RequestRow>> {
    let mut q = SqlBuilder::new(REQUEST_COLUMNS, REQUEST_FROM);
    if let Some(id) = filter.id {
        q.filter("q.id = {}", id);
    }
    if let Some(tag_id) = filter.tag_id {
        q.filter("q.tag_id = {}", tag_id);
    }
    if let Some(active) = filter.active {
        q.filter("q.active = {}", active);
    }
    if let Some(opts) = &filter.opts {
        q.filter("q.opts = {}", opts_json(opts));
    }
    if let Some(event) = filter.at_event {
        q.filter("q.at_event = {}", event);
    }
    if let Some(event) = filter.min_event_at_least {
        q.filter("q.min_event >= {}", event);
    }
    if filter.without_repo {
        q.filter_raw("q.repo_id IS NULL");
    }
    let mut sql = q.sql();
    sql.push_str(" ORDER BY q.priority, q.id");
    if filter.for_update {
        sql.push_str(" FOR UPDATE OF q");
    }
    let rows = client.query(&sql, &q.params()).await?;
    rows.iter().map(RequestRow::from_row).collect()
}

/// One request.
pub async fn request(client: &Client, request_id: i64) -> Result<Option<RequestRow>> {
    let filter = RequestFilter {
        id: Some(request_id),
        ..RequestFilter::default()
    };
    Ok(requests(client, &filter).await?.into_iter().next())
}

/// A request to insert.
#[derive(Debug, Clone)]
pub struct NewRequest {
    /// Who asks.
    pub owner: i64,
    /// 20 + relative priority.
    pub priority: i32,
    /// The tag.
    pub tag_id: i64,
    /// The exact event (exclusive with `min_event`).
    pub at_event: Option<i64>,
    /// The oldest acceptable event.
    pub min_event: Option<i64>,
    /// Option overrides.
    pub opts: RepoOpts,
}

/// Inserts a request and returns its id; the hub's repo loop is told at commit.
pub async fn insert_request(tx: &Tx<'_>, new: &NewRequest) -> Result<i64> {
    let row = tx
        .query_one(
            "INSERT INTO repo_queue (owner, priority, tag_id, at_event, min_event, opts) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            &[
                &new.owner,
                &new.priority,
                &new.tag_id,
                &new.at_event,
                &new.min_event,
                &opts_json(&new.opts),
            ],
        )
        .await?;
    notify_repo_work(tx).await?;
    Ok(row.try_get(0)?)
}

/// Raises the `min_event` of a waiting request that has no task yet (a newer change to the
/// tag, folded into the request already queued).
pub async fn raise_min_event(tx: &Tx<'_>, request_id: i64, min_event: i64) -> Result<()> {
    tx.execute(
        "UPDATE repo_queue SET min_event = $2, update_time = NOW() \
         WHERE id = $1 AND min_event < $2 AND task_id IS NULL",
        &[&request_id, &min_event],
    )
    .await?;
    Ok(())
}

/// Sets a request's priority.
pub async fn set_request_priority(tx: &Tx<'_>, request_id: i64, priority: i32) -> Result<u64> {
    Ok(tx
        .execute(
            "UPDATE repo_queue SET priority = $2, update_time = NOW() WHERE id = $1",
            &[&request_id, &priority],
        )
        .await?)
}

/// Records a new task for a request.
pub async fn set_request_task(tx: &Tx<'_>, request_id: i64, task_id: Option<i64>, tries: i32) -> Result<()> {
    tx.execute(
        "UPDATE repo_queue SET task_id = $2, tries = $3, update_time = NOW() WHERE id = $1",
        &[&request_id, &task_id, &tries],
    )
    .await?;
    Ok(())
}

/// Gives up on a request.
pub async fn deactivate_request(tx: &Tx<'_>, request_id: i64) -> Result<()> {
    tx.execute(
        "UPDATE repo_queue SET active = FALSE, update_time = NOW() WHERE id = $1",
        &[&request_id],
    )
    .await?;
    Ok(())
}

/// Fulfils every active request a READY repo satisfies (Koji's `repo_done_hook`): same tag,
/// the repo has all the requested options and no custom option not requested, and its event
/// is at least `min_event` (or equals `at_event`). Returns how many were fulfilled.
pub async fn fulfil_requests(tx: &Tx<'_>, repo: &RepoRow) -> Result<u64> {
    let (Some(opts), Some(custom)) = (&repo.opts, &repo.custom_opts) else {
        return Ok(0);
    };
    Ok(tx
        .execute(
            "UPDATE repo_queue SET repo_id = $1, active = FALSE, update_time = NOW() \
             WHERE tag_id = $2 AND active AND repo_id IS NULL AND opts <@ $3 AND opts @> $4 \
             AND (min_event <= $5 OR at_event = $5)",
            &[
                &repo.id,
                &repo.tag_id,
                &opts_json(opts),
                &opts_json(custom),
                &repo.create_event,
            ],
        )
        .await?)
}

/// Deletes inactive requests untouched for `age_seconds` (Koji's `clean_repo_queue`).
pub async fn clean_requests(tx: &Tx<'_>, age_seconds: f64) -> Result<u64> {
    Ok(tx
        .execute(
            "DELETE FROM repo_queue WHERE NOT active AND update_time < NOW() - make_interval(secs => $1)",
            &[&age_seconds],
        )
        .await?)
}

/// Tells the hub's repo loop (on every hub) that there is work, at commit.
pub async fn notify_repo_work(tx: &Tx<'_>) -> Result<()> {
    tx.execute("SELECT pg_notify('kiln_repo_work', '')", &[]).await?;
    Ok(())
}

/// The tags that are the build tag of some target, or have `repo.auto` set in their extra.
pub async fn auto_tags(client: &Client) -> Result<Vec<i64>> {
    let rows = client
        .query(
            "SELECT build_tag FROM build_target_config WHERE active IS TRUE \
             UNION SELECT tag_id FROM tag_extra WHERE active IS TRUE AND key = 'repo.auto' \
             AND value IS NOT NULL AND value NOT IN ('false', '0', 'null', '\"\"') ORDER BY 1",
            &[],
        )
        .await?;
    rows.iter().map(|r| Ok(r.try_get::<_, i64>(0)?)).collect()
}

/// The id of a user by name.
pub async fn user_id(client: &Client, name: &str) -> Result<Option<i64>> {
    let row = client
        .query_opt("SELECT id FROM users WHERE name = $1", &[&name])
        .await?;
    Ok(match row {
        Some(row) => Some(row.try_get(0)?),
        None => None,
    })
}

/// Creates the (password-less, normal) user the repo loop owns its requests and tasks as.
pub async fn create_queue_user(tx: &Tx<'_>, name: &str) -> Result<i64> {
    let row = tx
        .query_one(
            "INSERT INTO users (name, usertype, status) VALUES ($1, 0, 0) \
             ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id",
            &[&name],
        )
        .await?;
    Ok(row.try_get(0)?)
}

/// How many newRepo tasks are unfinished (FREE, OPEN or ASSIGNED).
pub async fn running_repo_tasks(client: &Client) -> Result<Vec<(i64, i64)>> {
    let rows = client
        .query(
            "SELECT DISTINCT q.task_id, q.tag_id FROM repo_queue q JOIN task ON task.id = q.task_id \
             WHERE q.active AND task.state IN (0, 1, 4) ORDER BY 1",
            &[],
        )
        .await?;
    rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
}

/// The `[repo_id, event_id]` a finished newRepo task returned, read from its repo row.
pub async fn repo_of_task(client: &Client, task_id: i64) -> Result<Option<RepoRow>> {
    let filter = RepoFilter {
        task_id: Some(task_id),
        newest_first: true,
        limit: Some(1),
        ..RepoFilter::default()
    };
    Ok(query(client, &filter).await?.into_iter().next())
}
