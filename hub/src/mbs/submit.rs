//! `POST module-builds/`: MBS's submission checks in order (mbs.md §3.2), reading the module at
//! its commit, stream expansion, component ref resolution, and recording the builds in `init`
//! (or resuming a failed one, §1.5).

use std::collections::BTreeMap;

use common::modulemd::mbs::{
    ExpandedBuild, Nsvc, PlanError, ResolvedModule, SubmissionInfo, SubmitError, apply_overrides,
    apply_scm_identity, apply_yaml_identity, check_document, expand_simple, fill_component_defaults,
    koji_tag, load_modulemd, plan_batches, static_context_streams, version_from_time,
};
use common::modulemd::{MbsXmd, ModuleStream, ParseMode, XmdRpm, XmdValue, parse_stream};
use common::states::ModuleBuildState;
use serde_json::Value;

use super::auth::Caller;
use super::error::ApiError;
use super::scm::{self, ScmUrl};
use super::state;
use crate::ctx::Ctx;
use crate::db::modules::{self, ModuleBuildRow, NewComponentBuild, NewModuleBuild};
use crate::db::{Client, Tx};
use crate::tasks::create::TaskSpec;

/// The keys a submission may carry.
/// The method of the backend's parent task that builds a module (Kiln's `moduleBuild` handler).
pub const MODULE_BUILD_METHOD: &str = "moduleBuild";

const ACCEPTED_KEYS: &[&str] = &[
    "scmurl",
    "branch",
    "modulemd",
    "module_name",
    "module_stream",
    "owner",
    "scratch",
    "srpms",
    "rebuild_strategy",
    "reuse_components_from",
    "buildrequire_overrides",
    "require_overrides",
    "rpm_component_ref_overrides",
    "side_tag",
];

/// A submission's parameters after MBS's parameter checks.
#[derive(Debug, Clone, Default)]
pub struct SubmitRequest {
    /// The module SCM URL (SCM submissions).
    pub scm: Option<ScmUrl>,
    /// The branch (SCM submissions).
    pub branch: Option<String>,
    /// The document (YAML submissions).
    pub modulemd: Option<String>,
    /// `module_name` (YAML submissions).
    pub module_name: Option<String>,
    /// `module_stream` (YAML submissions).
    pub module_stream: Option<String>,
    /// A scratch build.
    pub scratch: bool,
    /// The rebuild strategy asked for, if any.
    pub rebuild_strategy: Option<String>,
    /// `buildrequire_overrides`.
    pub buildrequire_overrides: BTreeMap<String, Vec<String>>,
    /// `require_overrides`.
    pub require_overrides: BTreeMap<String, Vec<String>>,
    /// `rpm_component_ref_overrides`.
    pub ref_overrides: BTreeMap<String, String>,
}

fn bool_param(value: &Value) -> bool {
    match value {
        Value::Bool(flag) => *flag,
        Value::String(text) => text.eq_ignore_ascii_case("true") || text == "1",
        Value::Number(number) => number.as_i64() == Some(1),
        _ => false,
    }
}

fn string_param(body: &serde_json::Map<String, Value>, key: &str) -> Option<String> {
    match body.get(key) {
        Some(Value::String(text)) => Some(text.clone()),
        Some(Value::Number(number)) => Some(number.to_string()),
        _ => None,
    }
}

fn streams_overrides(
    body: &serde_json::Map<String, Value>,
    key: &str,
) -> Result<BTreeMap<String, Vec<String>>, ApiError> {
    let Some(value) = body.get(key) else {
        return Ok(BTreeMap::new());
    };
    let invalid = || {
        ApiError::bad_request(format!(
            "The \"{key}\" parameter must be an object with the keys as module names and the values as arrays of streams"
        ))
    };
    let object = value.as_object().ok_or_else(invalid)?;
    let mut overrides = BTreeMap::new();
    for (name, streams) in object {
        let list = streams.as_array().ok_or_else(invalid)?;
        let streams = list
            .iter()
            .map(|s| s.as_str().map(str::to_owned).ok_or_else(invalid))
            .collect::<Result<Vec<_>, _>>()?;
        overrides.insert(name.clone(), streams);
    }
    Ok(overrides)
}

/// MBS's parameter checks (§3.2 steps 1–4), in order.
pub fn check_params(ctx: &Ctx, caller: &Caller, body: &Value) -> Result<SubmitRequest, ApiError> {
    let config = &ctx.config.mbs;
    let body = body
        .as_object()
        .ok_or_else(|| ApiError::bad_request("Invalid JSON submitted"))?;
    let mut unknown: Vec<&str> = body
        .keys()
        .map(String::as_str)
        .filter(|key| !ACCEPTED_KEYS.contains(key))
        .collect();
    if !unknown.is_empty() {
        unknown.sort_unstable();
        return Err(ApiError::bad_request(format!(
            "The request contains invalid parameters: {}",
            unknown.join(", ")
        )));
    }
    let scratch = body.get("scratch").is_some_and(bool_param);
    if scratch && !config.modules_allow_scratch {
        return Err(ApiError::forbidden("Scratch builds are not enabled"));
    }
    if let Some(srpms) = body.get("srpms") {
        if !scratch {
            return Err(ApiError::forbidden(
                "srpms may only be specified for scratch builds",
            ));
        }
        if !srpms.is_array() {
            return Err(ApiError::bad_request("srpms must be specified as a list"));
        }
        return Err(ApiError::bad_request(
            "Custom SRPMs are not supported by this server yet",
        ));
    }
    let yaml = body.contains_key("modulemd");
    if yaml && !scratch && !config.yaml_submit_allowed && !caller.is_admin(ctx) {
        return Err(ApiError::forbidden("YAML submission is not enabled"));
    }
    if let Some(permission) = &config.submit_permission
        && !caller.has(permission)
    {
        return Err(caller.not_in(permission));
    }
    let mut request = SubmitRequest {
        scratch,
        ..SubmitRequest::default()
    };
    if yaml {
        let Some(text) = string_param(body, "modulemd") else {
            return Err(ApiError::bad_request("Invalid file submitted"));
        };
        request.modulemd = Some(text);
        request.module_name = string_param(body, "module_name");
        request.module_stream = string_param(body, "module_stream");
    } else {
        let Some(url) = string_param(body, "scmurl") else {
            return Err(ApiError::bad_request("Missing scmurl"));
        };
        if !config.allow_custom_scmurls
            && !config
                .scmurls
                .iter()
                .any(|prefix| url.starts_with(prefix.as_str()))
        {
            return Err(ApiError::forbidden(format!(
                "The submitted scmurl {url} is not allowed"
            )));
        }
        let scm = scm::parse_scmurl(&url)?;
        let Some(branch) = string_param(body, "branch").filter(|b| !b.is_empty()) else {
            return Err(ApiError::bad_request("Missing branch"));
        };
        if body.contains_key("module_name") {
            return Err(ApiError::bad_request(
                "Module name override is only allowed when a YAML file is submitted",
            ));
        }
        if body.contains_key("module_stream") {
            return Err(ApiError::bad_request(
                "Stream name override is only allowed when a YAML file is submitted",
            ));
        }
        request.scm = Some(scm);
        request.branch = Some(branch);
    }
    if body.contains_key("owner") {
        return Err(ApiError::bad_request(
            "The request contains 'owner' parameter, however NO_AUTH is not allowed",
        ));
    }
    if let Some(strategy) = string_param(body, "rebuild_strategy") {
        if !config.rebuild_strategy_allow_override {
            return Err(ApiError::bad_request(
                "The request contains the \"rebuild_strategy\" parameter but overriding the default isn't allowed",
            ));
        }
        if !config.strategy_allowed(&strategy) {
            return Err(ApiError::bad_request(format!(
                "The rebuild method of \"{strategy}\" is not allowed. Choose from: {}",
                config.rebuild_strategies_allowed.join(", ")
            )));
        }
        request.rebuild_strategy = Some(strategy);
    }
    request.buildrequire_overrides = streams_overrides(body, "buildrequire_overrides")?;
    request.require_overrides = streams_overrides(body, "require_overrides")?;
    if let Some(value) = body.get("rpm_component_ref_overrides") {
        let invalid = || {
            ApiError::bad_request(
                "The \"rpm_component_ref_overrides\" parameter must be an object with the keys as component names and the values as strings of refs",
            )
        };
        for (package, git_ref) in value.as_object().ok_or_else(invalid)? {
            let git_ref = git_ref.as_str().ok_or_else(invalid)?;
            request.ref_overrides.insert(package.clone(), git_ref.to_owned());
        }
    }
    if body.contains_key("reuse_components_from") {
        return Err(ApiError::bad_request(
            "The \"reuse_components_from\" parameter is not supported by this server yet",
        ));
    }
    if body.contains_key("side_tag") {
        return Err(ApiError::bad_request(
            "The \"side_tag\" parameter is not supported by this server yet",
        ));
    }
    Ok(request)
}

/// One module build ready to be recorded.
struct Prepared {
    expanded: ExpandedBuild,
    /// `(package, repository, ref asked for, buildorder, batch, buildonly)`.
    components: Vec<(String, String, String, i64, i32, bool)>,
    /// Resolved commits by package.
    resolved: BTreeMap<String, String>,
    /// Ids of the module builds it was built against.
    buildrequire_ids: Vec<i64>,
}

/// Reads, checks and expands the submitted document into the streams to record.
async fn read_streams(
    ctx: &Ctx,
    request: &SubmitRequest,
) -> Result<(Vec<ModuleStream>, u64, SubmissionInfo, Option<String>), ApiError> {
    let config = ctx.config.mbs.submit_config();
    let (text, file, base_version, info) = match (&request.scm, &request.modulemd) {
        (Some(scm), _) => {
            let scm = scm.clone();
            let branch = request.branch.clone().unwrap_or_default();
            let fetched = tokio::task::spawn_blocking(move || scm::fetch_module(&scm, &branch))
                .await
                .map_err(|e| ApiError::new(500, format!("the git worker failed: {e}")))??;
            let info = SubmissionInfo {
                scmurl: request.scm.as_ref().map(|s| s.url.clone()).unwrap_or_default(),
                commit: fetched.commit.clone(),
                branch: request.branch.clone(),
            };
            (
                fetched.text,
                Some(fetched.file_name),
                version_from_time(fetched.commit_time),
                info,
            )
        }
        (None, Some(text)) => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
            let info = SubmissionInfo {
                scmurl: String::new(),
                commit: String::new(),
                branch: request.branch.clone(),
            };
            (text.clone(), None, version_from_time(now), info)
        }
        (None, None) => return Err(ApiError::bad_request("Invalid file submitted")),
    };
    let loaded = load_modulemd(&text, file.as_deref())?;
    let mut streams = Vec::new();
    for mut stream in loaded.streams {
        stream.validate().map_err(|error| SubmitError::InvalidModulemd {
            file: file.clone(),
            error,
        })?;
        match &request.scm {
            Some(scm) => {
                let branch = request.branch.as_deref().unwrap_or_default();
                apply_scm_identity(&mut stream, &scm.repo_name, branch, base_version, &config)?;
            }
            None => apply_yaml_identity(
                &mut stream,
                request.module_name.as_deref(),
                request.module_stream.as_deref(),
                None,
                base_version,
                &config,
            )?,
        }
        check_document(&stream, &config)?;
        apply_overrides(
            &mut stream,
            &request.buildrequire_overrides,
            &request.require_overrides,
        )?;
        match static_context_streams(&stream)? {
            Some(contexts) => streams.extend(contexts),
            None => streams.push(stream),
        }
    }
    Ok((streams, base_version, info, Some(text)))
}

/// The `ready` builds a module's build dependencies resolve to, and their run-time requires,
/// transitively (one stream each; others are the expansion's business).
async fn resolve_dependencies(
    client: &Client,
    stream: &ModuleStream,
) -> Result<BTreeMap<(String, String), (Vec<ResolvedModule>, Vec<i64>)>, ApiError> {
    let mut resolved = BTreeMap::new();
    for entry in &stream.dependencies {
        for (name, streams) in &entry.buildrequires {
            let [single] = streams.iter().collect::<Vec<_>>()[..] else {
                continue;
            };
            let mut builds = Vec::new();
            let mut ids = Vec::new();
            let mut queue = vec![(name.clone(), single.clone())];
            while let Some((module_name, module_stream)) = queue.pop() {
                if builds.iter().any(|b: &ResolvedModule| b.name == module_name) || builds.len() > 100 {
                    continue;
                }
                let Some(row) = modules::latest_ready(client, &module_name, &module_stream).await? else {
                    if builds.is_empty() {
                        break;
                    }
                    continue;
                };
                let parsed = parse_stream(&row.modulemd, ParseMode::Lenient).ok();
                if let Some(parsed) = &parsed {
                    for dependency in &parsed.dependencies {
                        for (required, required_streams) in &dependency.requires {
                            if let [only] = required_streams.iter().collect::<Vec<_>>()[..] {
                                queue.push((required.clone(), only.clone()));
                            }
                        }
                    }
                }
                let git_ref = parsed
                    .as_ref()
                    .and_then(MbsXmd::from_stream)
                    .and_then(|xmd| xmd.commit)
                    .or_else(|| row.scm_commit.clone());
                ids.push(row.id);
                builds.push(ResolvedModule {
                    name: row.name.clone(),
                    stream: row.stream.clone(),
                    version: row.version.parse().unwrap_or(0),
                    context: row.context.clone(),
                    git_ref,
                    koji_tag: row.koji_tag.clone(),
                    filtered_rpms: Vec::new(),
                });
            }
            if !builds.is_empty() {
                resolved.insert((name.clone(), single.clone()), (builds, ids));
            }
        }
    }
    Ok(resolved)
}

/// Fills component defaults, plans batches and resolves every component ref to a commit.
async fn prepare(
    ctx: &Ctx,
    request: &SubmitRequest,
    mut expanded: ExpandedBuild,
    buildrequire_ids: Vec<i64>,
) -> Result<Prepared, ApiError> {
    let config = ctx.config.mbs.submit_config();
    fill_component_defaults(&mut expanded.stream, request.branch.as_deref(), &config)?;
    let plan = plan_batches(&expanded.stream, &BTreeMap::new()).map_err(|error| match error {
        PlanError::Init(init) => ApiError::from(init),
        PlanError::Invalid(error) => ApiError::from(SubmitError::InvalidModulemd { file: None, error }),
        PlanError::IncludedModuleMissing { module } => ApiError::bad_request(format!(
            "Included modules are not supported by this server yet: {module}"
        )),
        PlanError::Cycle { .. } => ApiError::bad_request(error.to_string()),
    })?;
    let mut components = Vec::new();
    for (package, component) in &expanded.stream.rpm_components {
        let batch = plan.batch_of(package).unwrap_or(2);
        let git_ref = request
            .ref_overrides
            .get(package)
            .cloned()
            .or_else(|| component.git_ref.clone())
            .unwrap_or_else(|| ctx.config.mbs.default_branch.clone());
        components.push((
            package.clone(),
            component.repository.clone().unwrap_or_default(),
            git_ref,
            component.buildorder,
            i32::try_from(batch).unwrap_or(i32::MAX),
            component.buildonly,
        ));
    }
    let lookups: Vec<_> = components
        .iter()
        .map(|(package, repository, git_ref, ..)| {
            let (package, repository, git_ref) = (package.clone(), repository.clone(), git_ref.clone());
            tokio::task::spawn_blocking(move || {
                let commit = scm::resolve_ref(&repository, &git_ref);
                (package, repository, git_ref, commit)
            })
        })
        .collect();
    let mut resolved = BTreeMap::new();
    let mut unresolved = Vec::new();
    for lookup in lookups {
        let (package, repository, git_ref, commit) = lookup
            .await
            .map_err(|e| ApiError::new(500, format!("the git worker failed: {e}")))?;
        match commit {
            Some(commit) => {
                resolved.insert(package, commit);
            }
            None => unresolved.push((repository, git_ref)),
        }
    }
    if !unresolved.is_empty() {
        return Err(common::modulemd::mbs::InitError::RefsNotResolved { unresolved }.into());
    }
    if common::modulemd::mbs::wants_auto_order(&expanded.stream) {
        auto_order(&mut components, &resolved).await?;
    }
    let mut xmd = MbsXmd::from_stream(&expanded.stream).unwrap_or_default();
    for (package, commit) in &resolved {
        xmd.rpms.insert(
            package.clone(),
            XmdRpm {
                git_ref: Some(commit.clone()),
                other: BTreeMap::new(),
            },
        );
    }
    xmd.store(&mut expanded.stream);
    Ok(Prepared {
        expanded,
        components,
        resolved,
        buildrequire_ids,
    })
}

/// Kiln's `buildorder: auto` (`xmd.kiln.buildorder: auto`): batches from what each component's
/// spec (`<package>.spec` at its resolved commit, read without evaluating it) BuildRequires
/// and provides, replacing the `buildorder` batches.
async fn auto_order(
    components: &mut [(String, String, String, i64, i32, bool)],
    resolved: &BTreeMap<String, String>,
) -> Result<(), ApiError> {
    let reads: Vec<_> = components
        .iter()
        .map(|(package, repository, ..)| {
            let package = package.clone();
            let repository = repository.clone();
            let commit = resolved.get(&package).cloned().unwrap_or_default();
            tokio::task::spawn_blocking(move || {
                let spec = scm::read_file_at(&repository, &commit, &format!("{package}.spec"));
                (package, spec)
            })
        })
        .collect();
    let mut specs = Vec::new();
    for read in reads {
        let (package, spec) = read
            .await
            .map_err(|e| ApiError::new(500, format!("the git worker failed: {e}")))?;
        specs.push(common::modulemd::mbs::spec_component(&package, &spec?));
    }
    let plan =
        common::modulemd::mbs::auto_batches(&specs).map_err(|e| ApiError::bad_request(e.to_string()))?;
    for (package, _, _, _, batch, _) in components.iter_mut() {
        if let Some(number) = plan.batch_of(package) {
            *batch = i32::try_from(number).unwrap_or(i32::MAX);
        }
    }
    Ok(())
}

/// What a submission recorded: the ids of the builds to show, in order.
#[derive(Debug, Clone, Default)]
pub struct Submitted {
    /// Module build ids (new, resumed, and existing ones skipped when others were new).
    pub module_ids: Vec<i64>,
}

/// Runs a submission after [`check_params`]: reads and expands the document, resolves refs
/// (before any transaction), then records everything in one transaction on `client`.
pub async fn submit(
    ctx: &Ctx,
    client: &Client,
    caller: &Caller,
    request: &SubmitRequest,
) -> Result<Submitted, ApiError> {
    let config = ctx.config.mbs.submit_config();
    let (streams, base_version, info, submitted_text) = read_streams(ctx, request).await?;
    let mut prepared = Vec::new();
    for stream in streams {
        let dependencies = resolve_dependencies(client, &stream).await?;
        let ids: Vec<i64> = dependencies.values().flat_map(|(_, ids)| ids.clone()).collect();
        let expanded = expand_simple(&stream, base_version, &info, &config, |name, module_stream| {
            dependencies
                .get(&(name.to_owned(), module_stream.to_owned()))
                .map(|(builds, _)| builds.clone())
        })?;
        prepared.push((expanded, ids));
    }
    // Existing builds first: a resubmission of a failed build resumes it; others are skipped.
    let mut plan = Vec::new();
    let mut skipped: Vec<ModuleBuildRow> = Vec::new();
    for (expanded, ids) in prepared {
        let stream = &expanded.stream;
        let (name, module_stream) = (
            stream.name.clone().unwrap_or_default(),
            stream.stream.clone().unwrap_or_default(),
        );
        let version = stream.version.unwrap_or(0).to_string();
        let context = stream.context.clone().unwrap_or_default();
        let existing = if request.scratch {
            None
        } else {
            modules::get_by_nsvc(client, &name, &module_stream, &version, &context).await?
        };
        match existing {
            Some(row) if row.state == ModuleBuildState::Failed => plan.push((expanded, ids, Some(row))),
            Some(row) => skipped.push(row),
            None => plan.push((expanded, ids, None)),
        }
    }
    if plan.is_empty() {
        let state = skipped.first().map_or(0, |row| row.state.code());
        return Err(ApiError::conflict(format!(
            "Module (state={state}) already exists. Only a new build, resubmission of a failed build or build against new buildrequirements is allowed."
        )));
    }
    let mut ready = Vec::new();
    for (expanded, ids, existing) in plan {
        if let Some(row) = &existing
            && let Some(strategy) = &request.rebuild_strategy
            && *strategy != row.rebuild_strategy
        {
            return Err(ApiError::bad_request(
                "You cannot change the module's \"rebuild_strategy\" when resuming a module build",
            ));
        }
        let prepared = prepare(ctx, request, expanded, ids).await?;
        ready.push((prepared, existing));
    }

    client.batch_execute("BEGIN").await?;
    let tx = Tx::assume_begun(client);
    let recorded = record(ctx, &tx, caller, request, submitted_text.as_deref(), ready).await;
    match recorded {
        Ok(mut ids) => {
            client.batch_execute("COMMIT").await?;
            ids.extend(skipped.iter().map(|row| row.id));
            Ok(Submitted { module_ids: ids })
        }
        Err(error) => {
            client.batch_execute("ROLLBACK").await?;
            Err(error)
        }
    }
}

async fn record(
    ctx: &Ctx,
    tx: &Tx<'_>,
    caller: &Caller,
    request: &SubmitRequest,
    submitted_text: Option<&str>,
    ready: Vec<(Prepared, Option<ModuleBuildRow>)>,
) -> Result<Vec<i64>, ApiError> {
    let mut ids = Vec::new();
    for (prepared, existing) in ready {
        if let Some(row) = existing {
            ids.push(resume(tx, caller, &row, &prepared).await?);
            continue;
        }
        ids.push(insert_new(ctx, tx, caller, request, submitted_text, prepared).await?);
    }
    Ok(ids)
}

async fn resume(
    tx: &Tx<'_>,
    caller: &Caller,
    row: &ModuleBuildRow,
    prepared: &Prepared,
) -> Result<i64, ApiError> {
    modules::reset_unfinished_components(tx, row.id).await?;
    // What is rebuilt is rebuilt from the branch heads resolved for this submission, so a
    // fixed package is picked up; COMPLETE components keep what they were built from.
    for (package, repository, ..) in &prepared.components {
        if let Some(commit) = prepared.resolved.get(package) {
            let scmurl = format!("{repository}?#{commit}");
            modules::repoint_unbuilt_component(tx, row.id, package, &scmurl, commit).await?;
        }
    }
    let trace = modules::module_traces(tx, &[row.id]).await?;
    let to = state::resume_state(&trace);
    let batch = (to == ModuleBuildState::Wait).then_some(0);
    let reason = format!("Resubmitted by {}", caller.name);
    state::transition(tx, row.id, to, Some(&reason), batch).await?;
    // A parent task that is still unfinished carries on with the resumed build.
    let running = match row.task_id {
        Some(task_id) => crate::db::tasks::get(tx, task_id)
            .await?
            .is_some_and(|task| !task.state.is_finished()),
        None => false,
    };
    if !running {
        start_backend(tx, caller, row.id).await?;
    }
    Ok(row.id)
}

/// Creates the backend's `moduleBuild` parent task for a module build (owner: the submitter,
/// channel `default`) and records it on the build.
async fn start_backend(tx: &Tx<'_>, caller: &Caller, module_id: i64) -> Result<i64, ApiError> {
    let spec = TaskSpec {
        method: MODULE_BUILD_METHOD.to_owned(),
        args: vec![common::xmlrpc::Value::Int(module_id)],
        owner: Some(caller.user_id),
        ..TaskSpec::default()
    };
    let task_id = crate::tasks::create::create(tx, Some(caller.user_id), spec).await?;
    modules::set_task_id(tx, module_id, task_id).await?;
    Ok(task_id)
}

async fn insert_new(
    ctx: &Ctx,
    tx: &Tx<'_>,
    caller: &Caller,
    request: &SubmitRequest,
    submitted_text: Option<&str>,
    prepared: Prepared,
) -> Result<i64, ApiError> {
    let mut stream = prepared.expanded.stream;
    let contexts = prepared.expanded.contexts;
    let name = stream.name.clone().unwrap_or_default();
    let module_stream = stream.stream.clone().unwrap_or_default();
    let version = stream.version.unwrap_or(0);
    let mut context = stream.context.clone().unwrap_or_default();
    if request.scratch {
        let taken =
            modules::count_scratch_contexts(tx, &name, &module_stream, &version.to_string(), &context)
                .await?;
        context = format!("{context}_{}", taken + 1);
        stream.context = Some(context.clone());
    }
    let modulemd = stream
        .emit()
        .map_err(|error| ApiError::from(SubmitError::CouldNotValidate { error }))?;
    let nsvc = Nsvc {
        name: &name,
        stream: &module_stream,
        version,
        context: &context,
    };
    let new = NewModuleBuild {
        name: name.clone(),
        stream: module_stream.clone(),
        version: version.to_string(),
        context: context.clone(),
        owner: caller.name.clone(),
        owner_id: Some(caller.user_id),
        scmurl: request.scm.as_ref().map(|s| s.url.clone()),
        scm_commit: MbsXmd::from_stream(&stream)
            .and_then(|x| x.commit)
            .filter(|c| !c.is_empty()),
        branch: request.branch.clone(),
        modulemd_submitted: submitted_text.map(str::to_owned),
        modulemd,
        koji_tag: (!request.scratch).then(|| koji_tag(nsvc, None)),
        rebuild_strategy: request
            .rebuild_strategy
            .clone()
            .unwrap_or_else(|| ctx.config.mbs.rebuild_strategy.clone()),
        scratch: request.scratch,
        build_context: Some(contexts.build_context),
        build_context_no_bms: Some(contexts.build_context_no_bms),
        runtime_context: Some(contexts.runtime_context),
        stream_version: None,
        virtual_streams: Vec::new(),
        arches: ctx.config.mbs.arches.clone(),
    };
    let module_id = match modules::insert(tx, &new, ModuleBuildState::Init).await {
        Ok(id) => id,
        Err(crate::error::Error::Database(error))
            if error.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION) =>
        {
            return Err(ApiError::conflict(format!(
                "Module (state={}) already exists. Only a new build, resubmission of a failed build or build against new buildrequirements is allowed.",
                ModuleBuildState::Init.code()
            )));
        }
        Err(error) => return Err(error.into()),
    };
    modules::insert_trace(tx, module_id, ModuleBuildState::Init, None).await?;
    start_backend(tx, caller, module_id).await?;
    if request.scratch {
        let id = u64::try_from(module_id).unwrap_or(0);
        modules::set_koji_tag(tx, module_id, &koji_tag(nsvc, Some(id))).await?;
    }
    for buildrequire_id in &prepared.buildrequire_ids {
        modules::add_buildrequire(tx, module_id, *buildrequire_id).await?;
    }
    for (package, repository, _asked, buildorder, batch, buildonly) in &prepared.components {
        let commit = prepared.resolved.get(package).cloned();
        let new_component = NewComponentBuild {
            package: package.clone(),
            scmurl: commit.as_ref().map(|c| format!("{repository}?#{c}")),
            git_ref: commit,
            buildorder: *buildorder,
            batch: *batch,
            buildonly: *buildonly,
            build_time_only: false,
            weight: 1.5,
        };
        modules::insert_component(tx, module_id, &new_component).await?;
    }
    Ok(module_id)
}

/// `xmd.mbs` reading helper for imports: the value of `key` as a string.
pub fn xmd_string(xmd: &MbsXmd, key: &str) -> Option<String> {
    xmd.other.get(key).and_then(XmdValue::as_str).map(str::to_owned)
}
