//! The module build backend's decisions (MBS's batch progression, mbs.md §2.4): one call of
//! [`step`] reads the module's state from the database, takes in what its component tasks came
//! to, starts what the batch and the global throttle allow, evaluates a drained batch (fail,
//! or tag it and ask for the build tag's repo), moves to the next batch when the repo holds the
//! last one, and finishes the module. The `moduleBuild` parent task on a builder calls it again
//! and again (`host.moduleStep`) and only waits in between, so a builder or hub restart loses
//! nothing: everything the backend knows is in the database.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use common::modulemd::mbs::{
    DistTagInput, MODULE_BUILD_MACROS, MacrosInput, Nsvc, dist_tag, koji_target, module_build_macros,
};
use common::modulemd::{ModuleStream, ParseMode, parse_stream};
use common::states::{BuildState, ModuleBuildState, RepoState, TaskState};
use common::xmlrpc::{STARSTAR, Value};
use tracing::info;

use crate::db::components::{self, ComponentUpdate};
use crate::db::groups::PackageSettings;
use crate::db::modules::{self, ComponentBuildRow, ModuleBuildRow, NewComponentBuild};
use crate::db::names::{NameOrId, Registry};
use crate::db::repos::{NewRequest, RepoFilter, RequestFilter};
use crate::db::tags::TagRow;
use crate::db::versioned::Change;
use crate::db::{self, Tx};
use crate::error::{Error, Result};
use crate::mbs::state::transition;
use crate::root::tagging::tag_build_direct;
use crate::tasks::create::{TaskSpec, create};

/// MBS's `DEFAULT_DIST_TAG_PREFIX`.
pub const DIST_TAG_PREFIX: &str = "module+";

/// How long a throttled module waits before asking again, in seconds.
const THROTTLE_POLL_SECONDS: f64 = 1.0;

/// What the parent task does next.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Run the init and wait steps (`host.moduleInit`).
    Init,
    /// Build the `module-build-macros` SRPM from these sources and call again with it.
    Macros {
        /// The spec file's name.
        spec_file_name: String,
        /// The spec.
        spec: String,
        /// The macros file (source `macros.modules`).
        macros: String,
    },
    /// Wait until one of these component tasks finishes (or `poll` seconds when there are none:
    /// the throttle holds the batch back), then call again.
    Wait {
        /// The batch.
        batch: i32,
        /// Unfinished component tasks.
        tasks: Vec<i64>,
        /// Seconds to wait without tasks.
        poll: f64,
    },
    /// Wait until this repo request is fulfilled, then call again.
    Repo {
        /// The batch it is for (0: the module tag's final repo).
        batch: i32,
        /// The tag.
        tag: String,
        /// The request (`repo.checkRequest`).
        request: i64,
    },
    /// The module is built (state done or ready).
    Done {
        /// Its state.
        state: ModuleBuildState,
    },
    /// The module failed.
    Failed {
        /// MBS's reason.
        reason: String,
    },
}

impl Step {
    /// The wire form: a struct with `action` and the step's fields.
    pub fn to_value(&self) -> Value {
        let ints = |ids: &[i64]| Value::Array(ids.iter().copied().map(Value::Int).collect());
        match self {
            Step::Init => Value::structure([("action", Value::from("init"))]),
            Step::Macros {
                spec_file_name,
                spec,
                macros,
            } => Value::structure([
                ("action", Value::from("macros")),
                ("spec_file_name", Value::from(spec_file_name.as_str())),
                ("spec", Value::from(spec.as_str())),
                ("macros", Value::from(macros.as_str())),
            ]),
            Step::Wait { batch, tasks, poll } => Value::structure([
                ("action", Value::from("wait")),
                ("batch", Value::Int(i64::from(*batch))),
                ("tasks", ints(tasks)),
                ("poll", Value::Double(*poll)),
            ]),
            Step::Repo { batch, tag, request } => Value::structure([
                ("action", Value::from("repo")),
                ("batch", Value::Int(i64::from(*batch))),
                ("tag", Value::from(tag.as_str())),
                ("request", Value::Int(*request)),
            ]),
            Step::Done { state } => Value::structure([
                ("action", Value::from("done")),
                ("state", Value::from(state.to_string().as_str())),
            ]),
            Step::Failed { reason } => Value::structure([
                ("action", Value::from("failed")),
                ("reason", Value::from(reason.as_str())),
            ]),
        }
    }
}

/// What a step needs besides the transaction.
#[derive(Debug, Clone)]
pub struct StepInput {
    /// The module build.
    pub module_id: i64,
    /// The event of this call's writes.
    pub change: Change,
    /// The hub's topdir (for `modules.yaml`).
    pub topdir: PathBuf,
    /// `NUM_CONCURRENT_BUILDS` (0: unlimited).
    pub max_building: u32,
    /// The uploaded `module-build-macros` SRPM (a path under `work/`), when the parent built it.
    pub macros_srpm: Option<String>,
}

/// The module, its tags and its components while a step runs.
struct Module {
    row: ModuleBuildRow,
    stream: ModuleStream,
    task_id: i64,
    tag: TagRow,
    build_tag: TagRow,
    target: String,
    components: Vec<ComponentBuildRow>,
}

impl Module {
    fn batch(&self, batch: i32) -> impl Iterator<Item = &ComponentBuildRow> {
        self.components.iter().filter(move |c| c.batch == batch)
    }

    fn unfinished_tasks(&self, batch: i32) -> Vec<i64> {
        self.batch(batch)
            .filter(|c| c.state == Some(BuildState::Building) && c.reused_component_id.is_none())
            .filter_map(|c| c.task_id)
            .collect()
    }

    fn nsvc(&self) -> Result<Nsvc<'_>> {
        Ok(Nsvc {
            name: &self.row.name,
            stream: &self.row.stream,
            version: parse_version(&self.row)?,
            context: &self.row.context,
        })
    }
}

fn parse_version(row: &ModuleBuildRow) -> Result<u64> {
    row.version
        .parse()
        .map_err(|_| Error::Generic(format!("module build {} has version {}", row.id, row.version)))
}

/// One step of the backend for the host holding the module's `moduleBuild` task (checked by
/// the caller). See the module documentation.
pub async fn step(tx: &Tx<'_>, input: &StepInput) -> Result<Step> {
    let module_id = input.module_id;
    let row = modules::lock(tx, module_id)
        .await?
        .ok_or(Error::NoSuchModuleBuild { module_id })?;
    match row.state {
        ModuleBuildState::Init | ModuleBuildState::Wait => return Ok(Step::Init),
        ModuleBuildState::Failed | ModuleBuildState::Garbage => {
            return Ok(Step::Failed {
                reason: row.state_reason.clone().unwrap_or_default(),
            });
        }
        ModuleBuildState::Done | ModuleBuildState::Ready => return final_repo_or_done(tx, &row).await,
        ModuleBuildState::Build => {}
    }
    components::lock_throttle(tx).await?;
    let mut module = load(tx, row).await?;
    absorb_finished(tx, &mut module).await?;
    if let Some(macros) = module
        .components
        .iter()
        .find(|c| c.package == MODULE_BUILD_MACROS && is_unsuccessful(c))
    {
        let reason = macros
            .state_reason
            .clone()
            .unwrap_or_else(|| format!("Failed to build artifact {MODULE_BUILD_MACROS} in Koji"));
        return fail(tx, &module, &reason).await;
    }
    if module.row.batch == 0 {
        module.row.batch = 1;
        components::set_batch(tx, module_id, 1).await?;
        weigh_batch(tx, &mut module, 1).await?;
    }
    loop {
        let batch = module.row.batch;
        if let Some(next) = start_batch(tx, input, &mut module).await? {
            return Ok(next);
        }
        if module
            .batch(batch)
            .any(|c| c.state.is_none() || c.state == Some(BuildState::Building))
        {
            let tasks = module.unfinished_tasks(batch);
            let poll = if tasks.is_empty() {
                THROTTLE_POLL_SECONDS
            } else {
                0.0
            };
            return Ok(Step::Wait { batch, tasks, poll });
        }
        let failed: Vec<String> = module
            .batch(batch)
            .filter(|c| is_unsuccessful(c))
            .map(|c| c.package.clone())
            .collect();
        if !failed.is_empty() {
            let reason = format!("Component(s) {} failed to build.", failed.join(", "));
            return fail(tx, &module, &reason).await;
        }
        let build_ids = tag_batch(tx, input.change, &mut module, batch).await?;
        let last = !module.components.iter().any(|c| c.batch > batch);
        if last {
            return finish(tx, input, &module).await;
        }
        if !build_ids.is_empty() && !repo_covers(tx, &module.build_tag, &build_ids).await? {
            let request = request_repo(tx, &module, &build_ids).await?;
            return Ok(Step::Repo {
                batch,
                tag: module.build_tag.name.clone(),
                request,
            });
        }
        let next = batch + 1;
        module.row.batch = next;
        components::set_batch(tx, module_id, next).await?;
        info!(
            module.id = module_id,
            "module build {module_id} starts batch {next}"
        );
        weigh_batch(tx, &mut module, next).await?;
        reuse_components(tx, &mut module, next).await?;
    }
}

/// A built module: while the repo request for its tag (with `modules.yaml`) is unfulfilled
/// the parent waits on it, then it is done.
async fn final_repo_or_done(tx: &Tx<'_>, row: &ModuleBuildRow) -> Result<Step> {
    if let Some(tag_name) = &row.koji_tag
        && let Some(tag) = db::tags::get(tx, &NameOrId::Name(tag_name.clone()), None).await?
    {
        let filter = RequestFilter {
            tag_id: Some(tag.id),
            active: Some(true),
            ..RequestFilter::default()
        };
        if let Some(request) = db::repos::requests(tx, &filter).await?.into_iter().next() {
            return Ok(Step::Repo {
                batch: 0,
                tag: tag.name,
                request: request.id,
            });
        }
    }
    Ok(Step::Done { state: row.state })
}

async fn load(tx: &Tx<'_>, row: ModuleBuildRow) -> Result<Module> {
    let module_id = row.id;
    let task_id = row
        .task_id
        .ok_or_else(|| Error::Generic(format!("module build {module_id} has no moduleBuild task")))?;
    let tag_name = row
        .koji_tag
        .clone()
        .ok_or_else(|| Error::Generic(format!("module build {module_id} has no Koji tag")))?;
    let tag = require_tag(tx, &tag_name).await?;
    let build_tag = require_tag(tx, &format!("{tag_name}-build")).await?;
    let stream = parse_stream(&row.modulemd, ParseMode::Lenient).map_err(|e| {
        Error::Generic(format!(
            "module build {module_id}: its modulemd does not parse: {e}"
        ))
    })?;
    let version = parse_version(&row)?;
    let scratch_id = row.scratch.then(|| u64::try_from(module_id).unwrap_or(0));
    let target = koji_target(
        Nsvc {
            name: &row.name,
            stream: &row.stream,
            version,
            context: &row.context,
        },
        scratch_id,
    );
    let mut components = components::lock_of_module(tx, module_id).await?;
    if !components.iter().any(|c| c.package == MODULE_BUILD_MACROS) {
        let macros = NewComponentBuild {
            package: MODULE_BUILD_MACROS.to_owned(),
            batch: 1,
            build_time_only: true,
            weight: 1.5,
            ..NewComponentBuild::default()
        };
        modules::insert_component(tx, module_id, &macros).await?;
        components = components::lock_of_module(tx, module_id).await?;
    }
    Ok(Module {
        row,
        stream,
        task_id,
        tag,
        build_tag,
        target,
        components,
    })
}

async fn require_tag(tx: &Tx<'_>, name: &str) -> Result<TagRow> {
    db::tags::get(tx, &NameOrId::Name(name.to_owned()), None)
        .await?
        .ok_or_else(|| Error::Generic(format!("the module's tag {name} is missing")))
}

fn is_unsuccessful(c: &ComponentBuildRow) -> bool {
    matches!(c.state, Some(BuildState::Failed | BuildState::Canceled))
}

/// Records what the module's finished component tasks came to (MBS's "component task
/// finished" event): CLOSED with a COMPLETE build → COMPLETE with its NVR, else FAILED.
async fn absorb_finished(tx: &Tx<'_>, module: &mut Module) -> Result<()> {
    for component in &mut module.components {
        let (Some(BuildState::Building), Some(task_id), None) =
            (component.state, component.task_id, component.reused_component_id)
        else {
            continue;
        };
        let Some(outcome) = components::task_outcome(tx, task_id).await? else {
            continue;
        };
        if !outcome.task_state.is_finished() {
            continue;
        }
        let complete = outcome
            .build
            .as_ref()
            .filter(|(_, _, state)| *state == BuildState::Complete.code())
            .map(|(_, nvr, _)| nvr.clone());
        let (state, reason, nvr) = match (outcome.task_state, complete) {
            (TaskState::Closed, Some(nvr)) => (BuildState::Complete, None, Some(nvr)),
            _ => (
                BuildState::Failed,
                Some(format!("Failed to build artifact {} in Koji", component.package)),
                outcome.build.map(|(_, nvr, _)| nvr),
            ),
        };
        components::set_state(
            tx,
            component.id,
            &ComponentUpdate {
                state: Some(state),
                reason: reason.as_deref(),
                nvr: nvr.as_deref(),
                ..ComponentUpdate::default()
            },
        )
        .await?;
        info!(
            module.id = module.row.id,
            task.id = task_id,
            "component {} of module build {} is {state}",
            component.package,
            module.row.id
        );
        component.state = Some(state);
        component.state_reason = reason;
        if nvr.is_some() {
            component.nvr = nvr;
        }
    }
    Ok(())
}

/// MBS's `continue_batch`: submits the batch's unsubmitted components, heaviest first, while
/// the global throttle allows (`module-build-macros` is exempt). Returns a step when the
/// parent must first build the macros SRPM.
async fn start_batch(tx: &Tx<'_>, input: &StepInput, module: &mut Module) -> Result<Option<Step>> {
    let batch = module.row.batch;
    let waiting: Vec<usize> = (0..module.components.len())
        .filter(|&i| {
            let c = &module.components[i];
            c.batch == batch && (c.state.is_none() || c.state == Some(BuildState::Canceled))
        })
        .collect();
    if waiting.is_empty() {
        return Ok(None);
    }
    let mut waiting = waiting;
    waiting.sort_by(|a, b| {
        module.components[*b]
            .weight
            .total_cmp(&module.components[*a].weight)
    });
    let mut building = components::building_count(tx).await?;
    for index in waiting {
        let component = module.components[index].clone();
        let source = if component.package == MODULE_BUILD_MACROS {
            match &input.macros_srpm {
                Some(path) => path.clone(),
                None => return macros_sources(tx, module).await.map(Some),
            }
        } else {
            if input.max_building > 0 && building >= i64::from(input.max_building) {
                break;
            }
            component.scmurl.clone().ok_or_else(|| {
                Error::Generic(format!(
                    "component {} of module build {} has no SCM URL",
                    component.package, module.row.id
                ))
            })?
        };
        let task_id = submit(tx, module, &component.package, &source).await?;
        let reason = format!("Submitted {} to Koji", component.package);
        components::set_state(
            tx,
            component.id,
            &ComponentUpdate {
                state: Some(BuildState::Building),
                reason: Some(&reason),
                task_id: Some(task_id),
                ..ComponentUpdate::default()
            },
        )
        .await?;
        let entry = &mut module.components[index];
        entry.state = Some(BuildState::Building);
        entry.state_reason = Some(reason);
        entry.task_id = Some(task_id);
        building += 1;
    }
    Ok(None)
}

/// MBS's weight of a component without a Koji task history of its own: 1.5 plus 0.75 per hour
/// its package's builds took on average, at most 6.
pub fn weight_from_duration(average_seconds: Option<f64>) -> f64 {
    let hours = average_seconds.unwrap_or(0.0).max(0.0) / 3600.0;
    1.5 + (0.75 * hours).min(4.5)
}

/// Weighs a batch's components from their packages' past builds when the batch begins (the
/// weights order submissions within it, heaviest first).
async fn weigh_batch(tx: &Tx<'_>, module: &mut Module, batch: i32) -> Result<()> {
    for component in module.components.iter_mut().filter(|c| c.batch == batch) {
        let package =
            db::names::lookup(tx, Registry::Package, &NameOrId::Name(component.package.clone())).await?;
        let average = match package {
            Some(package) => db::builds::average_duration(tx, package.id, None).await?,
            None => None,
        };
        let weight = weight_from_duration(average);
        if (weight - component.weight).abs() > f64::EPSILON {
            components::set_weight(tx, component.id, weight).await?;
            component.weight = weight;
        }
    }
    Ok(())
}

/// Creates the component's `build` task under the module's parent task: the module's target,
/// `skip_tag` (the backend tags whole batches), and MBS's markers in the options.
async fn submit(tx: &Tx<'_>, module: &Module, package: &str, source: &str) -> Result<i64> {
    let mut opts = common::xmlrpc::Struct::new();
    opts.insert("skip_tag".into(), Value::Bool(true));
    opts.insert("mbs_artifact_name".into(), Value::from(package));
    opts.insert("mbs_module_target".into(), Value::from(module.tag.name.as_str()));
    let kwargs = Value::structure([(STARSTAR, Value::Bool(true)), ("opts", Value::Struct(opts))]);
    let spec = TaskSpec {
        method: "build".to_owned(),
        args: vec![Value::from(source), Value::from(module.target.as_str()), kwargs],
        parent: Some(module.task_id),
        ..TaskSpec::default()
    };
    let task_id = create(tx, None, spec).await?;
    info!(
        module.id = module.row.id,
        task.id = task_id,
        "submitted {package} of module build {} as task {task_id}",
        module.row.id
    );
    Ok(task_id)
}

/// The `module-build-macros` sources for this module (mbs.md §2.6).
async fn macros_sources(tx: &Tx<'_>, module: &Module) -> Result<Step> {
    let dist = module_dist(tx, &module.row).await?;
    let conflicts = common::modulemd::mbs::conflicts_from_xmd(&module.stream, &BTreeSet::new());
    let date = common::time::rpm_changelog_date(module.row.time_submitted.0 / 1_000_000);
    let package = module_build_macros(&MacrosInput {
        nsvc: module.nsvc()?,
        dist_tag: &dist,
        rpm_macros: module
            .stream
            .buildopts
            .as_ref()
            .and_then(|b| b.rpm_macros.as_deref()),
        conflicts,
        changelog_date: &date,
    });
    Ok(Step::Macros {
        spec_file_name: package.spec_file_name,
        spec: package.spec,
        macros: package.macros,
    })
}

/// The module's dist tag without its dot (mbs.md §2.6): the base module's stream as marking,
/// the smallest id among the build and its siblings as index.
pub async fn module_dist(client: &db::Client, module: &ModuleBuildRow) -> Result<String> {
    let siblings = modules::siblings(client, module).await?;
    let index = siblings
        .iter()
        .copied()
        .chain([module.id])
        .min()
        .unwrap_or(module.id);
    let buildrequires = modules::buildrequires(client, module.id).await?;
    let base_stream = buildrequires
        .iter()
        .find(|dependency| dependency.stream_version.is_some())
        .map(|base| base.stream.as_str());
    Ok(dist_tag(DistTagInput {
        prefix: DIST_TAG_PREFIX,
        marking: base_stream,
        index: u64::try_from(index).unwrap_or(0),
        nsvc: Nsvc {
            name: &module.name,
            stream: &module.stream,
            version: parse_version(module)?,
            context: &module.context,
        },
        scratch: module.scratch,
    }))
}

/// Tags the batch's COMPLETE components that are not tagged yet: into the build tag (and, for
/// `module-build-macros`, into both buildroot groups) and, unless build-time only, into the
/// module's tag. Returns the ids of the batch's builds.
async fn tag_batch(tx: &Tx<'_>, change: Change, module: &mut Module, batch: i32) -> Result<Vec<i64>> {
    let mut build_ids = Vec::new();
    for component in module.components.iter_mut().filter(|c| c.batch == batch) {
        if component.state != Some(BuildState::Complete) {
            continue;
        }
        let nvr = component.nvr.clone().ok_or_else(|| {
            Error::Generic(format!(
                "component {} is COMPLETE without an NVR",
                component.package
            ))
        })?;
        let build = build_by_nvr(tx, &nvr).await?;
        build_ids.push(build.id);
        let final_tag = !component.build_time_only;
        if component.tagged && (component.tagged_in_final || !final_tag) {
            continue;
        }
        if !db::tagged::is_tagged(tx, build.id, module.build_tag.id).await? {
            tag_build_direct(tx, &module.build_tag, &build, change, false).await?;
        }
        if component.build_time_only {
            add_to_groups(tx, module.build_tag.id, &component.package, change).await?;
        }
        if final_tag && !db::tagged::is_tagged(tx, build.id, module.tag.id).await? {
            tag_build_direct(tx, &module.tag, &build, change, false).await?;
        }
        components::set_tagged(tx, component.id, true, final_tag).await?;
        component.tagged = true;
        component.tagged_in_final = final_tag;
    }
    Ok(build_ids)
}

async fn build_by_nvr(client: &db::Client, nvr: &str) -> Result<db::builds::BuildRow> {
    let mut parts = nvr.rsplitn(3, '-');
    let (Some(release), Some(version), Some(name)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(Error::Generic(format!("invalid NVR {nvr}")));
    };
    db::builds::get_by_nvr(client, name, version, release)
        .await?
        .ok_or_else(|| Error::Generic(format!("no build {nvr}")))
}

/// Adds a package to the build tag's `build` and `srpm-build` groups (unless listed).
async fn add_to_groups(tx: &Tx<'_>, tag_id: i64, package: &str, change: Change) -> Result<()> {
    let listed: BTreeSet<(i64, String)> = db::groups::packages(tx, &[tag_id], None)
        .await?
        .into_iter()
        .map(|row| (row.group_id, row.package))
        .collect();
    for group_name in ["build", "srpm-build"] {
        let group = db::names::ensure(tx, Registry::Group, group_name).await?;
        if listed.contains(&(group.id, package.to_owned())) {
            continue;
        }
        let entry = PackageSettings {
            blocked: false,
            kind: "mandatory".to_owned(),
            basearchonly: None,
            requires: None,
        };
        db::groups::set_package(tx, tag_id, group.id, package, &entry, change).await?;
    }
    Ok(())
}

/// Whether a READY repo of the build tag was made after these builds were tagged into it
/// (MBS's `buildroot_ready`).
async fn repo_covers(client: &db::Client, build_tag: &TagRow, build_ids: &[i64]) -> Result<bool> {
    let Some(tagged_at) = components::tagging_event(client, build_tag.id, build_ids).await? else {
        return Ok(false);
    };
    let filter = RepoFilter {
        tag_id: Some(build_tag.id),
        states: Some(vec![RepoState::Ready]),
        min_event: Some(tagged_at),
        limit: Some(1),
        ..RepoFilter::default()
    };
    Ok(!db::repos::query(client, &filter).await?.is_empty())
}

/// A repo request for the build tag at the batch's tagging event, reusing one that asks for
/// as much.
async fn request_repo(tx: &Tx<'_>, module: &Module, build_ids: &[i64]) -> Result<i64> {
    let min_event = components::tagging_event(tx, module.build_tag.id, build_ids)
        .await?
        .unwrap_or(0);
    ensure_request(tx, module, module.build_tag.id, min_event).await
}

async fn ensure_request(tx: &Tx<'_>, module: &Module, tag_id: i64, min_event: i64) -> Result<i64> {
    let filter = RequestFilter {
        tag_id: Some(tag_id),
        active: Some(true),
        opts: Some(Default::default()),
        min_event_at_least: Some(min_event),
        ..RequestFilter::default()
    };
    if let Some(existing) = db::repos::requests(tx, &filter).await?.into_iter().next() {
        return Ok(existing.id);
    }
    let owner = match module.row.owner_id {
        Some(owner) => owner,
        None => db::tasks::get(tx, module.task_id)
            .await?
            .map(|task| task.owner)
            .ok_or_else(|| Error::Generic(format!("task {} is missing", module.task_id)))?,
    };
    let new = NewRequest {
        owner,
        priority: i32::try_from(common::states::PRIO_DEFAULT).unwrap_or(20),
        tag_id,
        at_event: None,
        min_event: Some(min_event),
        opts: Default::default(),
    };
    db::repos::insert_request(tx, &new).await
}

/// Fails the module with `reason` (MBS's failed-handler): every unbuilt component gets the
/// module's reason and whatever still runs under the parent task is canceled.
async fn fail(tx: &Tx<'_>, module: &Module, reason: &str) -> Result<Step> {
    transition(tx, module.row.id, ModuleBuildState::Failed, Some(reason), None).await?;
    fail_unbuilt(tx, &module.components, reason).await?;
    crate::tasks::lifecycle::cancel_children(tx, module.task_id).await?;
    Ok(Step::Failed {
        reason: reason.to_owned(),
    })
}

/// Marks the unbuilt (unsubmitted or BUILDING) components FAILED with the module's reason.
pub async fn fail_unbuilt(tx: &Tx<'_>, components: &[ComponentBuildRow], reason: &str) -> Result<()> {
    for component in components
        .iter()
        .filter(|c| c.state.is_none() || c.state == Some(BuildState::Building))
    {
        components::set_state(
            tx,
            component.id,
            &ComponentUpdate {
                state: Some(BuildState::Failed),
                reason: Some(reason),
                ..ComponentUpdate::default()
            },
        )
        .await?;
    }
    Ok(())
}

/// The last batch is tagged: the module is done (and ready unless scratch); its metadata goes
/// to `topdir/repos/<tag>/modules.yaml` and a repo of the module's tag is requested, which
/// the parent waits for.
async fn finish(tx: &Tx<'_>, input: &StepInput, module: &Module) -> Result<Step> {
    let yaml = final_modulemd(tx, module).await?;
    let dir = crate::repos::layout::tag_dir(&input.topdir, &module.tag.name);
    tokio::task::spawn_blocking(move || write_atomically(&dir, "modules.yaml", yaml.as_bytes()))
        .await
        .map_err(|e| Error::Internal(format!("writing modules.yaml panicked: {e}")))??;
    transition(tx, module.row.id, ModuleBuildState::Done, None, None).await?;
    if !module.row.scratch {
        transition(tx, module.row.id, ModuleBuildState::Ready, None, None).await?;
    }
    let min_event = input.change.event_id;
    let request = ensure_request(tx, module, module.tag.id, min_event).await?;
    info!(
        module.id = module.row.id,
        "module build {} is built", module.row.id
    );
    Ok(Step::Repo {
        batch: 0,
        tag: module.tag.name.clone(),
        request,
    })
}

fn write_atomically(dir: &std::path::Path, name: &str, data: &[u8]) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, e))?;
    let temporary = dir.join(format!(".{name}.tmp"));
    std::fs::write(&temporary, data).map_err(|e| Error::io("write", &temporary, e))?;
    let path = dir.join(name);
    std::fs::rename(&temporary, &path).map_err(|e| Error::io("rename", &path, e))
}

/// The module's final modulemd: the stored document with `artifacts.rpms` listing every RPM
/// (sources included) of its non-build-time components, as `N-E:V-R.A`.
async fn final_modulemd(client: &db::Client, module: &Module) -> Result<String> {
    final_document(client, &module.stream, &module.components, None).await
}

/// MBS's `final-modulemd/<id>`: per arch of the module, its modulemd with `arch` set and the
/// artifacts of that arch (plus `noarch` and sources) of its COMPLETE components.
pub async fn final_modulemds(client: &db::Client, row: &ModuleBuildRow) -> Result<BTreeMap<String, String>> {
    let stream = parse_stream(&row.modulemd, ParseMode::Lenient).map_err(|e| {
        Error::Generic(format!(
            "module build {}: its modulemd does not parse: {e}",
            row.id
        ))
    })?;
    let components = modules::components_of(client, &[row.id]).await?;
    let mut documents = BTreeMap::new();
    for arch in &row.arches {
        let text = final_document(client, &stream, &components, Some(arch)).await?;
        documents.insert(arch.clone(), text);
    }
    Ok(documents)
}

async fn final_document(
    client: &db::Client,
    stream: &ModuleStream,
    components: &[ComponentBuildRow],
    arch: Option<&str>,
) -> Result<String> {
    let mut stream = stream.clone();
    let mut build_ids = Vec::new();
    for component in components {
        if component.build_time_only || component.state != Some(BuildState::Complete) {
            continue;
        }
        if let Some(nvr) = &component.nvr {
            build_ids.push(build_by_nvr(client, nvr).await?.id);
        }
    }
    let filter = db::rpms::RpmFilter {
        build_ids: Some(build_ids),
        ..db::rpms::RpmFilter::default()
    };
    let rpms = db::rpms::list(client, &filter, &db::query::QueryOpts::default()).await?;
    stream.artifacts.rpms = rpms
        .into_iter()
        .map(|(rpm, _)| rpm)
        .filter(|rpm| arch.is_none_or(|arch| [arch, "noarch", "src"].contains(&rpm.arch.as_str())))
        .map(|rpm| {
            format!(
                "{}-{}:{}-{}.{}",
                rpm.name,
                rpm.epoch.unwrap_or(0),
                rpm.version,
                rpm.release,
                rpm.arch
            )
        })
        .collect();
    if let Some(arch) = arch {
        stream.arch = Some(arch.to_owned());
    }
    stream
        .emit()
        .map_err(|e| Error::Generic(format!("the final modulemd does not validate: {e}")))
}

/// Reuses components of the new batch from an earlier `ready` build of the same name and
/// stream, per the module's rebuild strategy (mbs.md §1.6).
async fn reuse_components(tx: &Tx<'_>, module: &mut Module, batch: i32) -> Result<()> {
    let strategy = module.row.rebuild_strategy.clone();
    if strategy == "all" {
        return Ok(());
    }
    let previous_all_reused =
        batch - 1 <= 1 || module.batch(batch - 1).all(|c| c.reused_component_id.is_some());
    if strategy == "changed-and-after" && !previous_all_reused {
        return Ok(());
    }
    let source_id = match module.row.reused_module_id {
        Some(id) => Some(id),
        None => {
            components::reuse_source(
                tx,
                module.row.id,
                &module.row.name,
                &module.row.stream,
                module.row.build_context.as_deref(),
            )
            .await?
        }
    };
    let Some(source_id) = source_id else {
        return Ok(());
    };
    let Some(source) = modules::get(tx, source_id).await? else {
        return Ok(());
    };
    let old = modules::components_of(tx, &[source_id]).await?;
    if strategy == "changed-and-after" && !same_build_setup(module, &source, &old, batch) {
        return Ok(());
    }
    let old_by_package: BTreeMap<&str, &ComponentBuildRow> =
        old.iter().map(|c| (c.package.as_str(), c)).collect();
    let mut reused_any = false;
    for component in module.components.iter_mut().filter(|c| c.batch == batch) {
        if component.state.is_some() {
            continue;
        }
        let Some(previous) = old_by_package.get(component.package.as_str()) else {
            continue;
        };
        let same = previous.state == Some(BuildState::Complete)
            && previous.nvr.is_some()
            && previous.git_ref == component.git_ref
            && (strategy == "only-changed" || previous.batch == component.batch);
        if !same {
            continue;
        }
        let reason = "Reused component from previous module build";
        components::set_state(
            tx,
            component.id,
            &ComponentUpdate {
                state: Some(BuildState::Complete),
                reason: Some(reason),
                nvr: previous.nvr.as_deref(),
                task_id: previous.task_id,
                reused_component_id: Some(previous.id),
            },
        )
        .await?;
        component.state = Some(BuildState::Complete);
        component.state_reason = Some(reason.to_owned());
        component.nvr = previous.nvr.clone();
        component.task_id = previous.task_id;
        component.reused_component_id = Some(previous.id);
        reused_any = true;
    }
    if reused_any && module.row.reused_module_id.is_none() {
        components::set_reused_module(tx, module.row.id, source_id).await?;
        module.row.reused_module_id = Some(source_id);
    }
    Ok(())
}

/// `changed-and-after`'s condition: the same rpm macros and arches, and every batch before
/// `batch` (except the macros batch) holding the same (package, ref) pairs in both builds.
fn same_build_setup(module: &Module, source: &ModuleBuildRow, old: &[ComponentBuildRow], batch: i32) -> bool {
    let Ok(old_stream) = parse_stream(&source.modulemd, ParseMode::Lenient) else {
        return false;
    };
    let macros = |s: &ModuleStream| s.buildopts.as_ref().and_then(|b| b.rpm_macros.clone());
    if macros(&module.stream) != macros(&old_stream) || module.row.arches != source.arches {
        return false;
    }
    let pairs = |components: &[ComponentBuildRow], b: i32| -> BTreeSet<(String, Option<String>)> {
        components
            .iter()
            .filter(|c| c.batch == b)
            .map(|c| (c.package.clone(), c.git_ref.clone()))
            .collect()
    };
    (2..batch).all(|b| pairs(&module.components, b) == pairs(old, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_grow_with_past_build_time_up_to_six() {
        assert_eq!(weight_from_duration(None), 1.5);
        assert_eq!(weight_from_duration(Some(3600.0)), 2.25);
        assert_eq!(weight_from_duration(Some(100.0 * 3600.0)), 6.0);
        assert_eq!(weight_from_duration(Some(-5.0)), 1.5);
    }
}
