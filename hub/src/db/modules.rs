//! The Module Build Service's tables: module builds, component builds, their state traces and the
//! module build-requirement links.

use common::states::{BuildState, ModuleBuildState};
use tokio_postgres::Row;

use super::Client;
use super::query::SqlBuilder;
use super::types::{Micros, Tx};
use crate::error::{Error, Result};

/// A `module_builds` row.
#[derive(Debug, Clone, PartialEq)]
pub struct ModuleBuildRow {
    /// The module build id.
    pub id: i64,
    /// Module name.
    pub name: String,
    /// Stream.
    pub stream: String,
    /// Version, as digits (a uint64).
    pub version: String,
    /// Context.
    pub context: String,
    /// MBS state.
    pub state: ModuleBuildState,
    /// Why it is in this state.
    pub state_reason: Option<String>,
    /// The owner's name.
    pub owner: String,
    /// The owner's user id (none for imports).
    pub owner_id: Option<i64>,
    /// The submitted SCM URL.
    pub scmurl: Option<String>,
    /// The module commit.
    pub scm_commit: Option<String>,
    /// The submitted branch.
    pub branch: Option<String>,
    /// The document as submitted.
    pub modulemd_submitted: Option<String>,
    /// The current modulemd.
    pub modulemd: String,
    /// The module's Koji tag.
    pub koji_tag: Option<String>,
    /// The content generator's destination tag.
    pub cg_build_koji_tag: Option<String>,
    /// `all`, `changed-and-after` or `only-changed`.
    pub rebuild_strategy: String,
    /// A scratch build.
    pub scratch: bool,
    /// The batch being built (0 before the first).
    pub batch: i32,
    /// The last `newRepo` task of the build tag.
    pub new_repo_task_id: Option<i64>,
    /// The backend's parent task.
    pub task_id: Option<i64>,
    /// SHA-1 of the build-time streams.
    pub build_context: Option<String>,
    /// The same without base modules.
    pub build_context_no_bms: Option<String>,
    /// SHA-1 of the run-time streams.
    pub runtime_context: Option<String>,
    /// For base modules: the stream as a number (`f39` → 390000).
    pub stream_version: Option<i64>,
    /// Virtual streams a base module advertises.
    pub virtual_streams: Vec<String>,
    /// The arches it is built for.
    pub arches: Vec<String>,
    /// The build components were reused from.
    pub reused_module_id: Option<i64>,
    /// Submission time.
    pub time_submitted: Micros,
    /// Last change.
    pub time_modified: Micros,
    /// When it reached done or failed.
    pub time_completed: Option<Micros>,
}

const MODULE_COLUMNS: &str = "m.id, m.name, m.stream, m.version, m.context, m.state, m.state_reason, \
     m.owner, m.owner_id, m.scmurl, m.scm_commit, m.branch, m.modulemd_submitted, m.modulemd, \
     m.koji_tag, m.cg_build_koji_tag, m.rebuild_strategy, m.scratch, m.batch, m.new_repo_task_id, \
     m.task_id, m.build_context, m.build_context_no_bms, m.runtime_context, m.stream_version, \
     m.virtual_streams, m.arches, m.reused_module_id, m.time_submitted, m.time_modified, \
     m.time_completed";

fn module_state(code: i32) -> Result<ModuleBuildState> {
    ModuleBuildState::from_code(code).ok_or_else(|| Error::CorruptRow {
        table: "module_builds",
        detail: format!("state {code}"),
    })
}

fn build_state(code: Option<i32>) -> Result<Option<BuildState>> {
    code.map(|code| {
        BuildState::from_code(code).ok_or_else(|| Error::CorruptRow {
            table: "component_builds",
            detail: format!("state {code}"),
        })
    })
    .transpose()
}

impl ModuleBuildRow {
    fn from_row(row: &Row) -> Result<ModuleBuildRow> {
        Ok(ModuleBuildRow {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            stream: row.try_get("stream")?,
            version: row.try_get("version")?,
            context: row.try_get("context")?,
            state: module_state(row.try_get("state")?)?,
            state_reason: row.try_get("state_reason")?,
            owner: row.try_get("owner")?,
            owner_id: row.try_get("owner_id")?,
            scmurl: row.try_get("scmurl")?,
            scm_commit: row.try_get("scm_commit")?,
            branch: row.try_get("branch")?,
            modulemd_submitted: row.try_get("modulemd_submitted")?,
            modulemd: row.try_get("modulemd")?,
            koji_tag: row.try_get("koji_tag")?,
            cg_build_koji_tag: row.try_get("cg_build_koji_tag")?,
            rebuild_strategy: row.try_get("rebuild_strategy")?,
            scratch: row.try_get("scratch")?,
            batch: row.try_get("batch")?,
            new_repo_task_id: row.try_get("new_repo_task_id")?,
            task_id: row.try_get("task_id")?,
            build_context: row.try_get("build_context")?,
            build_context_no_bms: row.try_get("build_context_no_bms")?,
            runtime_context: row.try_get("runtime_context")?,
            stream_version: row.try_get("stream_version")?,
            virtual_streams: row.try_get("virtual_streams")?,
            arches: row.try_get("arches")?,
            reused_module_id: row.try_get("reused_module_id")?,
            time_submitted: row.try_get("time_submitted")?,
            time_modified: row.try_get("time_modified")?,
            time_completed: row.try_get("time_completed")?,
        })
    }

    /// `N:S:V:C`.
    pub fn nsvc(&self) -> String {
        format!("{}:{}:{}:{}", self.name, self.stream, self.version, self.context)
    }
}

/// What a new module build row holds; the state starts as given and is traced by the caller.
#[derive(Debug, Clone, Default)]
pub struct NewModuleBuild {
    /// Module name.
    pub name: String,
    /// Stream.
    pub stream: String,
    /// Version digits.
    pub version: String,
    /// Context.
    pub context: String,
    /// The owner's name.
    pub owner: String,
    /// The owner's user id.
    pub owner_id: Option<i64>,
    /// The submitted SCM URL.
    pub scmurl: Option<String>,
    /// The module commit.
    pub scm_commit: Option<String>,
    /// The submitted branch.
    pub branch: Option<String>,
    /// The document as submitted.
    pub modulemd_submitted: Option<String>,
    /// The current modulemd.
    pub modulemd: String,
    /// The Koji tag.
    pub koji_tag: Option<String>,
    /// Rebuild strategy.
    pub rebuild_strategy: String,
    /// Scratch build.
    pub scratch: bool,
    /// Context hashes.
    pub build_context: Option<String>,
    /// Context hash without base modules.
    pub build_context_no_bms: Option<String>,
    /// Run-time context hash.
    pub runtime_context: Option<String>,
    /// Base-module stream version.
    pub stream_version: Option<i64>,
    /// Virtual streams.
    pub virtual_streams: Vec<String>,
    /// Arches.
    pub arches: Vec<String>,
}

/// Inserts a module build in `state` and returns its id. The caller records the trace.
pub async fn insert(tx: &Tx<'_>, new: &NewModuleBuild, state: ModuleBuildState) -> Result<i64> {
    let row = tx
        .query_one(
            "INSERT INTO module_builds (name, stream, version, context, state, owner, owner_id, scmurl, \
             scm_commit, branch, modulemd_submitted, modulemd, koji_tag, rebuild_strategy, scratch, \
             build_context, build_context_no_bms, runtime_context, stream_version, virtual_streams, arches) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21) \
             RETURNING id",
            &[
                &new.name,
                &new.stream,
                &new.version,
                &new.context,
                &state.code(),
                &new.owner,
                &new.owner_id,
                &new.scmurl,
                &new.scm_commit,
                &new.branch,
                &new.modulemd_submitted,
                &new.modulemd,
                &new.koji_tag,
                &new.rebuild_strategy,
                &new.scratch,
                &new.build_context,
                &new.build_context_no_bms,
                &new.runtime_context,
                &new.stream_version,
                &new.virtual_streams,
                &new.arches,
            ],
        )
        .await?;
    Ok(row.try_get(0)?)
}

/// Overwrites an imported module's metadata (a re-import of the same N:S:V:C).
pub async fn update_import(tx: &Tx<'_>, module_id: i64, new: &NewModuleBuild) -> Result<()> {
    tx.execute(
        "UPDATE module_builds SET modulemd = $2, koji_tag = $3, scmurl = $4, scm_commit = $5, \
         stream_version = $6, virtual_streams = $7, arches = $8, build_context = $9, \
         build_context_no_bms = $10, runtime_context = $11, time_modified = now() WHERE id = $1",
        &[
            &module_id,
            &new.modulemd,
            &new.koji_tag,
            &new.scmurl,
            &new.scm_commit,
            &new.stream_version,
            &new.virtual_streams,
            &new.arches,
            &new.build_context,
            &new.build_context_no_bms,
            &new.runtime_context,
        ],
    )
    .await?;
    Ok(())
}

/// Sets the Koji tag (known only once the id is, for scratch builds).
pub async fn set_koji_tag(tx: &Tx<'_>, module_id: i64, koji_tag: &str) -> Result<()> {
    tx.execute(
        "UPDATE module_builds SET koji_tag = $2 WHERE id = $1",
        &[&module_id, &koji_tag],
    )
    .await?;
    Ok(())
}

/// A module build by id.
pub async fn get(client: &Client, module_id: i64) -> Result<Option<ModuleBuildRow>> {
    let sql = format!("SELECT {MODULE_COLUMNS} FROM module_builds m WHERE m.id = $1");
    client
        .query_opt(&sql, &[&module_id])
        .await?
        .as_ref()
        .map(ModuleBuildRow::from_row)
        .transpose()
}

/// A module build by id, locked for a state change.
pub async fn lock(tx: &Tx<'_>, module_id: i64) -> Result<Option<ModuleBuildRow>> {
    let sql = format!("SELECT {MODULE_COLUMNS} FROM module_builds m WHERE m.id = $1 FOR UPDATE");
    tx.query_opt(&sql, &[&module_id])
        .await?
        .as_ref()
        .map(ModuleBuildRow::from_row)
        .transpose()
}

/// A module build by N:S:V:C.
pub async fn get_by_nsvc(
    client: &Client,
    name: &str,
    stream: &str,
    version: &str,
    context: &str,
) -> Result<Option<ModuleBuildRow>> {
    let sql = format!(
        "SELECT {MODULE_COLUMNS} FROM module_builds m \
         WHERE m.name = $1 AND m.stream = $2 AND m.version = $3 AND m.context = $4"
    );
    client
        .query_opt(&sql, &[&name, &stream, &version, &context])
        .await?
        .as_ref()
        .map(ModuleBuildRow::from_row)
        .transpose()
}

/// The latest `ready` build of `name:stream` (highest version, then newest).
pub async fn latest_ready(client: &Client, name: &str, stream: &str) -> Result<Option<ModuleBuildRow>> {
    let sql = format!(
        "SELECT {MODULE_COLUMNS} FROM module_builds m \
         WHERE m.name = $1 AND m.stream = $2 AND m.state = $3 AND NOT m.scratch \
         ORDER BY m.version::NUMERIC DESC, m.id DESC LIMIT 1"
    );
    client
        .query_opt(&sql, &[&name, &stream, &ModuleBuildState::Ready.code()])
        .await?
        .as_ref()
        .map(ModuleBuildRow::from_row)
        .transpose()
}

/// How many scratch builds have a context starting with `context`.
pub async fn count_scratch_contexts(
    client: &Client,
    name: &str,
    stream: &str,
    version: &str,
    context: &str,
) -> Result<i64> {
    let pattern = format!("{}%", super::users::escape_like(context));
    let row = client
        .query_one(
            "SELECT count(*) FROM module_builds WHERE scratch AND name = $1 AND stream = $2 \
             AND version = $3 AND context LIKE $4",
            &[&name, &stream, &version, &pattern],
        )
        .await?;
    Ok(row.try_get(0)?)
}

/// Ids of the other builds with the same name, stream, version and scratch flag.
pub async fn siblings(client: &Client, module: &ModuleBuildRow) -> Result<Vec<i64>> {
    let rows = client
        .query(
            "SELECT id FROM module_builds WHERE name = $1 AND stream = $2 AND version = $3 \
             AND scratch = $4 AND id <> $5 ORDER BY id",
            &[
                &module.name,
                &module.stream,
                &module.version,
                &module.scratch,
                &module.id,
            ],
        )
        .await?;
    rows.iter().map(|row| Ok(row.try_get(0)?)).collect()
}

/// Writes a module's new state, reason and (when finishing) completion time.
pub async fn write_state(
    tx: &Tx<'_>,
    module_id: i64,
    state: ModuleBuildState,
    reason: Option<&str>,
    completed: bool,
    batch: Option<i32>,
) -> Result<()> {
    tx.execute(
        "UPDATE module_builds SET state = $2, state_reason = $3, time_modified = clock_timestamp(), \
         time_completed = CASE WHEN $4 THEN clock_timestamp() ELSE time_completed END, \
         batch = COALESCE($5, batch) WHERE id = $1",
        &[&module_id, &state.code(), &reason, &completed, &batch],
    )
    .await?;
    Ok(())
}

/// Appends a module state trace row.
pub async fn insert_trace(
    tx: &Tx<'_>,
    module_id: i64,
    state: ModuleBuildState,
    reason: Option<&str>,
) -> Result<()> {
    tx.execute(
        "INSERT INTO module_builds_trace (module_id, state, state_reason) VALUES ($1, $2, $3)",
        &[&module_id, &state.code(), &reason],
    )
    .await?;
    Ok(())
}

/// One state trace row (of a module or a component).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceRow {
    /// The module or component id.
    pub owner_id: i64,
    /// When the state was entered.
    pub state_time: Micros,
    /// The state's number (NULL for a component not submitted).
    pub state: Option<i32>,
    /// The reason.
    pub state_reason: Option<String>,
}

impl TraceRow {
    fn from_row(row: &Row) -> Result<TraceRow> {
        Ok(TraceRow {
            owner_id: row.try_get("owner_id")?,
            state_time: row.try_get("state_time")?,
            state: row.try_get("state")?,
            state_reason: row.try_get("state_reason")?,
        })
    }
}

/// The state traces of some module builds, chronological.
pub async fn module_traces(client: &Client, module_ids: &[i64]) -> Result<Vec<TraceRow>> {
    let rows = client
        .query(
            "SELECT module_id AS owner_id, state_time, state, state_reason FROM module_builds_trace \
             WHERE module_id = ANY($1) ORDER BY state_time, id",
            &[&module_ids],
        )
        .await?;
    rows.iter().map(TraceRow::from_row).collect()
}

/// The state traces of some components, chronological.
pub async fn component_traces(client: &Client, component_ids: &[i64]) -> Result<Vec<TraceRow>> {
    let rows = client
        .query(
            "SELECT component_id AS owner_id, state_time, state, state_reason FROM component_builds_trace \
             WHERE component_id = ANY($1) ORDER BY state_time, id",
            &[&component_ids],
        )
        .await?;
    rows.iter().map(TraceRow::from_row).collect()
}

/// Records that `module_id` was built against `buildrequire_id`.
pub async fn add_buildrequire(tx: &Tx<'_>, module_id: i64, buildrequire_id: i64) -> Result<()> {
    tx.execute(
        "INSERT INTO module_builds_to_module_buildrequires (module_id, module_buildrequire_id) \
         VALUES ($1, $2) ON CONFLICT DO NOTHING",
        &[&module_id, &buildrequire_id],
    )
    .await?;
    Ok(())
}

/// Every module build a module build was built against (base modules included), by id.
pub async fn buildrequires(client: &Client, module_id: i64) -> Result<Vec<ModuleBuildRow>> {
    let sql = format!(
        "SELECT {MODULE_COLUMNS} FROM module_builds m \
         JOIN module_builds_to_module_buildrequires l ON l.module_buildrequire_id = m.id \
         WHERE l.module_id = $1 ORDER BY m.id"
    );
    let rows = client.query(&sql, &[&module_id]).await?;
    rows.iter().map(ModuleBuildRow::from_row).collect()
}

/// Records the backend's `moduleBuild` parent task of a module build.
pub async fn set_task_id(tx: &Tx<'_>, module_id: i64, task_id: i64) -> Result<()> {
    tx.execute(
        "UPDATE module_builds SET task_id = $2, time_modified = now() WHERE id = $1",
        &[&module_id, &task_id],
    )
    .await?;
    Ok(())
}

/// Records the arches a module build is built for (the init step's first decision).
pub async fn set_arches(tx: &Tx<'_>, module_id: i64, arches: &[String]) -> Result<()> {
    tx.execute(
        "UPDATE module_builds SET arches = $2, time_modified = now() WHERE id = $1",
        &[&module_id, &arches],
    )
    .await?;
    Ok(())
}

/// The base modules (those with a stream version) a module build was built against.
pub async fn base_module_buildrequires(client: &Client, module_id: i64) -> Result<Vec<ModuleBuildRow>> {
    let sql = format!(
        "SELECT {MODULE_COLUMNS} FROM module_builds m \
         JOIN module_builds_to_module_buildrequires l ON l.module_buildrequire_id = m.id \
         WHERE l.module_id = $1 AND m.stream_version IS NOT NULL ORDER BY m.id"
    );
    let rows = client.query(&sql, &[&module_id]).await?;
    rows.iter().map(ModuleBuildRow::from_row).collect()
}

/// A filter value of a listing.
#[derive(Debug, Clone)]
pub enum FilterValue {
    /// Compared as text.
    Text(String),
    /// A boolean column.
    Bool(bool),
}

/// The columns of `module_builds` a listing may filter on by equality; the rest are refused by
/// the caller.
pub const MODULE_FILTER_COLUMNS: &[&str] = &[
    "id",
    "name",
    "stream",
    "version",
    "context",
    "state_reason",
    "owner",
    "scmurl",
    "koji_tag",
    "cg_build_koji_tag",
    "rebuild_strategy",
    "scratch",
    "batch",
    "new_repo_task_id",
    "build_context",
    "build_context_no_bms",
    "runtime_context",
    "reused_module_id",
    "stream_version",
];

/// The boolean columns of both tables.
pub const BOOLEAN_COLUMNS: &[&str] = &[
    "scratch",
    "tagged",
    "tagged_in_final",
    "build_time_only",
    "buildonly",
];

/// The columns of `component_builds` a listing may filter on by equality.
pub const COMPONENT_FILTER_COLUMNS: &[&str] = &[
    "id",
    "package",
    "format",
    "ref",
    "nvr",
    "batch",
    "task_id",
    "scmurl",
    "state_reason",
    "tagged",
    "tagged_in_final",
    "build_time_only",
    "buildonly",
    "module_id",
    "reused_component_id",
    "weight",
];

/// Which time column a range filter applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeColumn {
    /// `time_submitted`.
    Submitted,
    /// `time_modified`.
    Modified,
    /// `time_completed`.
    Completed,
}

impl TimeColumn {
    fn sql(self) -> &'static str {
        match self {
            TimeColumn::Submitted => "m.time_submitted",
            TimeColumn::Modified => "m.time_modified",
            TimeColumn::Completed => "m.time_completed",
        }
    }
}

/// A listing of module builds or components: filters from the whitelists above, order and page.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    /// Column = value (columns from the whitelist only).
    pub equals: Vec<(&'static str, FilterValue)>,
    /// State numbers, OR-ed; for components `None` stands for "not submitted".
    pub states: Vec<Option<i32>>,
    /// N, S, V, C prefixes of an `nsvc` filter.
    pub nsvc: Vec<String>,
    /// (column, before?, UTC time text) ranges, inclusive.
    pub times: Vec<(TimeColumn, bool, String)>,
    /// Virtual streams, OR-ed.
    pub virtual_streams: Vec<String>,
    /// (column, descending); whitelisted by the caller.
    pub order: Vec<(&'static str, bool)>,
    /// Page size.
    pub limit: i64,
    /// Rows to skip.
    pub offset: i64,
}

fn order_expression(column: &str) -> String {
    match column {
        "version" => "m.version::NUMERIC".to_owned(),
        other => format!("m.{other}"),
    }
}

fn apply_common(builder: &mut SqlBuilder, query: &ListQuery, is_module: bool) {
    for (column, value) in &query.equals {
        match value {
            FilterValue::Bool(flag) => builder.filter(&format!("m.{column} = {{}}"), *flag),
            FilterValue::Text(text) => builder.filter(&format!("m.{column}::TEXT = {{}}"), text.clone()),
        }
    }
    if !query.states.is_empty() {
        let numbers: Vec<i32> = query.states.iter().flatten().copied().collect();
        let with_null = query.states.iter().any(Option::is_none);
        let placeholder = builder.bind(numbers);
        let clause = if with_null && !is_module {
            format!("(m.state = ANY({placeholder}) OR m.state IS NULL)")
        } else {
            format!("m.state = ANY({placeholder})")
        };
        builder.filter_raw(&clause);
    }
}

fn finish(builder: &mut SqlBuilder, query: &ListQuery) {
    let mut order: Vec<String> = query
        .order
        .iter()
        .map(|(column, descending)| {
            format!(
                "{}{}",
                order_expression(column),
                if *descending { " DESC" } else { "" }
            )
        })
        .collect();
    if order.is_empty() {
        order.push("m.id DESC".to_owned());
    }
    let limit = builder.bind(query.limit);
    let offset = builder.bind(query.offset);
    builder.set_tail(&format!(
        " ORDER BY {} LIMIT {limit} OFFSET {offset}",
        order.join(", ")
    ));
}

/// A page of module builds and the total number matching.
pub async fn list(client: &Client, query: &ListQuery) -> Result<(Vec<ModuleBuildRow>, i64)> {
    let mut builder = SqlBuilder::new(MODULE_COLUMNS, "module_builds m");
    apply_common(&mut builder, query, true);
    for (part, column) in query.nsvc.iter().zip(["name", "stream", "version", "context"]) {
        builder.filter(&format!("m.{column} = {{}}"), part.clone());
    }
    for (column, before, time) in &query.times {
        let op = if *before { "<=" } else { ">=" };
        builder.filter(
            &format!("{} {op} ({{}}::TEXT)::TIMESTAMP AT TIME ZONE 'UTC'", column.sql()),
            time.clone(),
        );
    }
    if !query.virtual_streams.is_empty() {
        builder.filter("m.virtual_streams && {}", query.virtual_streams.clone());
    }
    let total: i64 = client
        .query_one(&builder.count_sql(), &builder.params())
        .await?
        .try_get(0)?;
    finish(&mut builder, query);
    let rows = client.query(&builder.sql(), &builder.params()).await?;
    let modules = rows.iter().map(ModuleBuildRow::from_row).collect::<Result<_>>()?;
    Ok((modules, total))
}

/// A `component_builds` row.
#[derive(Debug, Clone, PartialEq)]
pub struct ComponentBuildRow {
    /// The component id.
    pub id: i64,
    /// Its module build.
    pub module_id: i64,
    /// Package name.
    pub package: String,
    /// `rpms`.
    pub format: String,
    /// `<repository>?#<commit>`.
    pub scmurl: Option<String>,
    /// The resolved commit.
    pub git_ref: Option<String>,
    /// Its `buildorder`.
    pub buildorder: i64,
    /// Its batch.
    pub batch: i32,
    /// Koji build state; `None` until submitted.
    pub state: Option<BuildState>,
    /// Why it is in this state.
    pub state_reason: Option<String>,
    /// Its NVR once built.
    pub nvr: Option<String>,
    /// Its Koji build task.
    pub task_id: Option<i64>,
    /// Tagged into the build tag.
    pub tagged: bool,
    /// Tagged into the module's tag.
    pub tagged_in_final: bool,
    /// Only for the buildroot (module-build-macros).
    pub build_time_only: bool,
    /// `buildonly`: its RPMs are filtered from the module.
    pub buildonly: bool,
    /// The component it was reused from.
    pub reused_component_id: Option<i64>,
    /// Task weight estimate.
    pub weight: f64,
}

pub(crate) const COMPONENT_COLUMNS: &str = "m.id, m.module_id, m.package, m.format, m.scmurl, m.ref, m.buildorder, \
     m.batch, m.state, m.state_reason, m.nvr, m.task_id, m.tagged, m.tagged_in_final, \
     m.build_time_only, m.buildonly, m.reused_component_id, m.weight";

impl ComponentBuildRow {
    pub(crate) fn from_row(row: &Row) -> Result<ComponentBuildRow> {
        Ok(ComponentBuildRow {
            id: row.try_get("id")?,
            module_id: row.try_get("module_id")?,
            package: row.try_get("package")?,
            format: row.try_get("format")?,
            scmurl: row.try_get("scmurl")?,
            git_ref: row.try_get("ref")?,
            buildorder: row.try_get("buildorder")?,
            batch: row.try_get("batch")?,
            state: build_state(row.try_get("state")?)?,
            state_reason: row.try_get("state_reason")?,
            nvr: row.try_get("nvr")?,
            task_id: row.try_get("task_id")?,
            tagged: row.try_get("tagged")?,
            tagged_in_final: row.try_get("tagged_in_final")?,
            build_time_only: row.try_get("build_time_only")?,
            buildonly: row.try_get("buildonly")?,
            reused_component_id: row.try_get("reused_component_id")?,
            weight: row.try_get("weight")?,
        })
    }
}

/// What a new component row holds; it starts not submitted (state NULL).
#[derive(Debug, Clone, Default)]
pub struct NewComponentBuild {
    /// Package name.
    pub package: String,
    /// `<repository>?#<commit>`.
    pub scmurl: Option<String>,
    /// The resolved commit.
    pub git_ref: Option<String>,
    /// Its `buildorder`.
    pub buildorder: i64,
    /// Its batch.
    pub batch: i32,
    /// `buildonly`.
    pub buildonly: bool,
    /// Only for the buildroot.
    pub build_time_only: bool,
    /// Task weight estimate.
    pub weight: f64,
}

/// Inserts a component (state NULL) with its first trace row; returns its id.
pub async fn insert_component(tx: &Tx<'_>, module_id: i64, new: &NewComponentBuild) -> Result<i64> {
    let row = tx
        .query_one(
            "INSERT INTO component_builds (module_id, package, scmurl, ref, buildorder, batch, buildonly, \
             build_time_only, weight) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            &[
                &module_id,
                &new.package,
                &new.scmurl,
                &new.git_ref,
                &new.buildorder,
                &new.batch,
                &new.buildonly,
                &new.build_time_only,
                &new.weight,
            ],
        )
        .await?;
    let component_id: i64 = row.try_get(0)?;
    insert_component_trace(tx, component_id, None, None, None).await?;
    Ok(component_id)
}

/// Appends a component state trace row.
pub async fn insert_component_trace(
    tx: &Tx<'_>,
    component_id: i64,
    state: Option<BuildState>,
    reason: Option<&str>,
    task_id: Option<i64>,
) -> Result<()> {
    tx.execute(
        "INSERT INTO component_builds_trace (component_id, state, state_reason, task_id) \
         VALUES ($1, $2, $3, $4)",
        &[&component_id, &state.map(BuildState::code), &reason, &task_id],
    )
    .await?;
    Ok(())
}

/// Resets every component of a module that is neither unsubmitted nor COMPLETE to unsubmitted
/// (resuming a failed build), tracing each; returns how many were reset.
pub async fn reset_unfinished_components(tx: &Tx<'_>, module_id: i64) -> Result<u64> {
    let rows = tx
        .query(
            "UPDATE component_builds SET state = NULL, state_reason = NULL, task_id = NULL \
             WHERE module_id = $1 AND state IS NOT NULL AND state <> $2 RETURNING id",
            &[&module_id, &BuildState::Complete.code()],
        )
        .await?;
    for row in &rows {
        insert_component_trace(tx, row.try_get(0)?, None, None, None).await?;
    }
    Ok(rows.len() as u64)
}

/// Points an unsubmitted component at another commit (a resumed build rebuilds what failed
/// from the commit resolved for the resubmission).
pub async fn repoint_unbuilt_component(
    tx: &Tx<'_>,
    module_id: i64,
    package: &str,
    scmurl: &str,
    commit: &str,
) -> Result<()> {
    tx.execute(
        "UPDATE component_builds SET scmurl = $3, ref = $4 \
         WHERE module_id = $1 AND package = $2 AND state IS NULL",
        &[&module_id, &package, &scmurl, &commit],
    )
    .await?;
    Ok(())
}

/// The components of some module builds, by id.
pub async fn components_of(client: &Client, module_ids: &[i64]) -> Result<Vec<ComponentBuildRow>> {
    let sql = format!(
        "SELECT {COMPONENT_COLUMNS} FROM component_builds m WHERE m.module_id = ANY($1) ORDER BY m.id"
    );
    let rows = client.query(&sql, &[&module_ids]).await?;
    rows.iter().map(ComponentBuildRow::from_row).collect()
}

/// A component by id.
pub async fn get_component(client: &Client, component_id: i64) -> Result<Option<ComponentBuildRow>> {
    let sql = format!("SELECT {COMPONENT_COLUMNS} FROM component_builds m WHERE m.id = $1");
    client
        .query_opt(&sql, &[&component_id])
        .await?
        .as_ref()
        .map(ComponentBuildRow::from_row)
        .transpose()
}

/// A page of components and the total number matching.
pub async fn list_components(client: &Client, query: &ListQuery) -> Result<(Vec<ComponentBuildRow>, i64)> {
    let mut builder = SqlBuilder::new(COMPONENT_COLUMNS, "component_builds m");
    apply_common(&mut builder, query, false);
    let total: i64 = client
        .query_one(&builder.count_sql(), &builder.params())
        .await?
        .try_get(0)?;
    finish(&mut builder, query);
    let rows = client.query(&builder.sql(), &builder.params()).await?;
    let components = rows
        .iter()
        .map(ComponentBuildRow::from_row)
        .collect::<Result<_>>()?;
    Ok((components, total))
}
