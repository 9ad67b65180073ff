//! Builds on a host (kojid's calls): `host.initBuild`, `host.completeBuild` (the import of a
//! build's SRPM, RPMs and logs in one transaction), `host.failBuild`,
//! `host.moveBuildToScratch`, `host.tagBuild`, `host.tagNotification`.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;

use common::signature;
use common::states::BuildState;
use common::xmlrpc::{Params, Signature, Struct, Value, to_value};
use tracing::info;

use crate::db::builds::NewBuild;
use crate::db::names::Registry;
use crate::db::{self, Tx};
use crate::error::{Error, Result};
use crate::files::packages::{self, RpmHeader};
use crate::host::Host;
use crate::root::builds::{build_info, require_build, state_name};
use crate::root::lookup::py_str;
use crate::root::rpms::{check_filename, insert_rpm};
use crate::root::tagging::{assert_tag_access, tag_build_direct, tag_by_value, untag_build_direct};
use crate::rpc::call::Call;
use crate::tasks::lifecycle;

fn field<'a>(data: &'a Struct, key: &str) -> Result<&'a Value> {
    data.get(key)
        .ok_or_else(|| Error::Generic(format!("initBuild: missing {key} in build data")))
}

/// `host.initBuild(data)`: creates the build BUILDING for the task's owner, or recycles a
/// FAILED or CANCELED build of the same NVR that was never tagged and has no rpms.
pub async fn init_build(cx: &mut Call<'_>, host: Host, params: Params) -> Result<Value> {
    let mut b = params.bind(&signature!("initBuild", ["data"], []))?;
    let data = b.next_raw();
    let Value::Struct(data) = data else {
        return Err(Error::InvalidValue("initBuild: data must be a struct".into()));
    };
    let task_id = field(&data, "task_id")?
        .as_i64()
        .ok_or_else(|| Error::InvalidValue("initBuild: task_id must be an integer".into()))?;
    let task = lifecycle::assert_host(&cx.tx()?, task_id, host.id).await?;
    let name = py_str(field(&data, "name")?);
    let version = py_str(field(&data, "version")?);
    let release = py_str(field(&data, "release")?);
    let epoch = match data.get("epoch") {
        None | Some(Value::Nil) => None,
        Some(v) => Some(
            v.as_i64()
                .and_then(|e| i32::try_from(e).ok())
                .ok_or_else(|| Error::InvalidValue(format!("Invalid epoch: {v}")))?,
        ),
    };
    let source = data.get("source").and_then(Value::as_str).map(str::to_owned);
    let extra = match data.get("extra") {
        None | Some(Value::Nil) => None,
        Some(v) => {
            Some(serde_json::to_string(v).map_err(|e| Error::InvalidValue(format!("Invalid extra: {e}")))?)
        }
    };
    crate::root::lookup::validate_name(&name)?;
    let event_id = cx.event().await?;
    let tx = cx.tx()?;
    let new = NewBuild {
        package_id: 0,
        version: &version,
        release: &release,
        epoch,
        state: BuildState::Building.code(),
        task_id: Some(task_id),
        owner_id: task.owner,
        source: source.as_deref(),
        extra: extra.as_deref(),
        event_id,
    };
    let mut described = data.clone();
    described.insert("owner".into(), Value::Int(task.owner));
    described.insert("state".into(), Value::Int(i64::from(BuildState::Building.code())));
    let build_id = new_build(&tx, &name, new, &Value::Struct(described)).await?;
    info!(
        task.id = task_id,
        build.id = build_id,
        "build {name}-{version}-{release} is building"
    );
    Ok(Value::Int(build_id))
}

/// Koji's `new_build` + `recycle_build`: a new build, or the old one of the same NVR reused.
pub(crate) async fn new_build(
    tx: &Tx<'_>,
    name: &str,
    mut new: NewBuild<'_>,
    described: &Value,
) -> Result<i64> {
    let package = db::names::ensure(tx, Registry::Package, name).await?;
    new.package_id = package.id;
    let Some(old) = db::builds::get_by_nvr(tx, name, new.version, new.release).await? else {
        return db::builds::insert(tx, &new).await;
    };
    let old = db::builds::get_for_update(tx, old.id).await?.unwrap_or(old);
    match BuildState::from_code(old.state) {
        Some(BuildState::Building) => {
            if new.state == old.state && new.task_id == old.task_id {
                return Ok(old.id);
            }
            return Err(Error::Generic(format!(
                "Build already in progress (task {})",
                old.task_id.unwrap_or_default()
            )));
        }
        Some(BuildState::Failed | BuildState::Canceled) => {}
        _ => {
            return Err(Error::Generic(format!(
                "Build already exists (id={}, state={}): {described}",
                old.id,
                state_name(old.state)
            )));
        }
    }
    let (tagged, has_rpms) = db::builds::has_history(tx, old.id).await?;
    if tagged {
        return Err(Error::Generic(
            "Build already exists. Unable to recycle, has tag history".into(),
        ));
    }
    if has_rpms {
        return Err(Error::Generic(
            "Build already exists. Unable to recycle, has rpm data".into(),
        ));
    }
    db::builds::recycle(tx, old.id, &new).await?;
    Ok(old.id)
}

/// Reads a list of relative paths.
fn paths(value: &Value, what: &str) -> Result<Vec<String>> {
    match value {
        Value::Nil => Ok(Vec::new()),
        Value::Array(items) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| Error::InvalidValue(format!("Invalid {what} entry: {v}")))
            })
            .collect(),
        other => Err(Error::InvalidValue(format!("Invalid {what}: {other}"))),
    }
}

/// Reads `logs`: `{arch: [relpaths]}`.
fn logs_arg(value: &Value) -> Result<BTreeMap<String, Vec<String>>> {
    match value {
        Value::Nil => Ok(BTreeMap::new()),
        Value::Struct(members) => members
            .iter()
            .map(|(arch, files)| Ok((arch.clone(), paths(files, "logs")?)))
            .collect(),
        other => Err(Error::InvalidValue(format!("Invalid logs: {other}"))),
    }
}

fn basename(relpath: &str) -> &str {
    relpath.rsplit('/').next().unwrap_or(relpath)
}

/// Koji's `check_noarch_rpms`: the same noarch rpm built on several arches is imported once.
fn collapse_noarch(rpms: Vec<String>) -> Vec<String> {
    let mut seen = HashSet::new();
    rpms.into_iter()
        .filter(|relpath| {
            let name = basename(relpath);
            !name.ends_with(".noarch.rpm") || seen.insert(name.to_owned())
        })
        .collect()
}

/// An rpm to import: where it is and what its header says.
struct Staged {
    relpath: String,
    file: PathBuf,
    header: RpmHeader,
}

async fn stage(topdir: &std::path::Path, relpath: &str) -> Result<Staged> {
    let file = packages::work_file(topdir, relpath)?;
    let header = packages::read_header_async(file.clone()).await?;
    check_filename(&header, basename(relpath))?;
    Ok(Staged {
        relpath: relpath.to_owned(),
        file,
        header,
    })
}

/// `host.completeBuild(task_id, build_id, srpm, rpms, brmap=None, logs=None)`: imports the
/// build's files (paths relative to `topdir/work`), completes it and returns it. Every check
/// runs before anything is written, and the database writes share the call's transaction,
/// so a failure leaves nothing half-imported; files are linked into place, never moved away.
pub async fn complete_build(cx: &mut Call<'_>, host: Host, params: Params) -> Result<Value> {
    const SIG: Signature = signature!(
        "completeBuild",
        ["task_id", "build_id", "srpm", "rpms"],
        ["brmap", "logs"]
    );
    let mut b = params.bind(&SIG)?;
    let task_id: i64 = b.arg()?;
    let build_id: i64 = b.arg()?;
    let srpm: String = b.arg()?;
    let rpms = collapse_noarch(paths(&b.next_raw(), "rpms")?);
    let brmap = b.next_raw();
    let logs = logs_arg(&b.next_raw())?;
    lifecycle::assert_host(&cx.tx()?, task_id, host.id).await?;
    let topdir = cx.ctx.config.topdir.clone();
    let source = stage(&topdir, &srpm).await?;
    if !source.header.source {
        return Err(Error::Import(format!("not a source package: {srpm}")));
    }
    let mut binaries = Vec::with_capacity(rpms.len());
    for relpath in &rpms {
        binaries.push(stage(&topdir, relpath).await?);
    }
    let mut log_files = Vec::new();
    for (arch, files) in &logs {
        for relpath in files {
            log_files.push((arch.clone(), packages::work_file(&topdir, relpath)?));
        }
    }
    let buildroot_of = |relpath: &str| -> Result<Option<i64>> {
        match brmap.get(relpath) {
            None | Some(Value::Nil) => Ok(None),
            Some(v) => v
                .as_i64()
                .map(Some)
                .ok_or_else(|| Error::InvalidValue(format!("Invalid buildroot id for {relpath}: {v}"))),
        }
    };
    let tx = cx.tx()?;
    for staged in std::iter::once(&source).chain(binaries.iter()) {
        if let Some(br) = buildroot_of(&staged.relpath)?
            && db::buildroots::get_standard(&tx, br).await?.is_none()
        {
            return Err(Error::Generic(format!("no buildroot with ID: {br}")));
        }
    }
    let build = db::builds::get_for_update(&tx, build_id)
        .await?
        .ok_or_else(|| Error::NoSuchBuild {
            build: build_id.to_string(),
        })?;
    let h = &source.header;
    let mismatches = [
        ("name", build.package_name.clone(), h.name.clone()),
        ("version", build.version.clone(), h.version.clone()),
        ("release", build.release.clone(), h.release.clone()),
        (
            "epoch",
            build.epoch.map_or("None".into(), |e| e.to_string()),
            h.epoch.map_or("None".into(), |e| e.to_string()),
        ),
        (
            "task_id",
            build.task_id.map_or("None".into(), |t| t.to_string()),
            task_id.to_string(),
        ),
    ];
    for (key, expected, got) in mismatches {
        if expected != got {
            return Err(Error::Import(format!(
                "Unable to complete build: {key} mismatch (build: {expected}, rpm: {got})"
            )));
        }
    }
    if build.state != BuildState::Building.code() {
        return Err(Error::Import(format!(
            "Unable to complete build: state is {}",
            state_name(build.state)
        )));
    }
    let srpm_name = h.expected_filename();
    for staged in &binaries {
        if staged.header.source || staged.header.sourcerpm.as_deref() != Some(srpm_name.as_str()) {
            return Err(Error::Import(format!(
                "srpm mismatch for {}: {} (expected {srpm_name})",
                staged.relpath,
                staged.header.sourcerpm.as_deref().unwrap_or("None")
            )));
        }
    }
    db::builds::set_state(&tx, build.id, BuildState::Complete.code()).await?;
    for staged in std::iter::once(&source).chain(binaries.iter()) {
        insert_rpm(
            &tx,
            &topdir,
            &build,
            &staged.header,
            &staged.file,
            buildroot_of(&staged.relpath)?,
        )
        .await?;
    }
    let build_rel = packages::build_rel(&build.package_name, &build.version, &build.release);
    for (arch, file) in &log_files {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        // Logs without an arch go straight into data/logs, as Koji's import_build_log does.
        let dir = if arch.is_empty() {
            format!("{build_rel}/data/logs")
        } else {
            packages::logs_rel(&build_rel, arch)
        };
        packages::place(&topdir, file, &format!("{dir}/{name}"))?;
    }
    let done = db::builds::get(&tx, build.id)
        .await?
        .ok_or_else(|| Error::Internal(format!("build {} vanished", build.id)))?;
    info!(
        task.id = task_id,
        build.id = build.id,
        build.nvr = %done.nvr(),
        n_rpms = binaries.len() + 1,
        "imported build {}",
        done.nvr()
    );
    Ok(to_value(&build_info(&done))?)
}

/// `host.failBuild(task_id, build_id)`: the task's BUILDING build becomes FAILED.
pub async fn fail_build(cx: &mut Call<'_>, host: Host, params: Params) -> Result<Value> {
    let mut b = params.bind(&signature!("failBuild", ["task_id", "build_id"], []))?;
    let task_id: i64 = b.arg()?;
    let build_id: i64 = b.arg()?;
    let tx = cx.tx()?;
    lifecycle::assert_host(&tx, task_id, host.id).await?;
    let build = db::builds::get_for_update(&tx, build_id)
        .await?
        .ok_or_else(|| Error::NoSuchBuild {
            build: build_id.to_string(),
        })?;
    if build.task_id != Some(task_id) {
        return Err(Error::Generic(format!(
            "Task {task_id} is not the owner of build {build_id}"
        )));
    }
    if build.state != BuildState::Building.code() {
        return Err(Error::Generic(format!(
            "Build {build_id} is not building (state {})",
            state_name(build.state)
        )));
    }
    db::builds::set_state(&tx, build_id, BuildState::Failed.code()).await?;
    info!(
        task.id = task_id,
        build.id = build_id,
        "build {} failed",
        build.nvr()
    );
    Ok(Value::Nil)
}

/// `host.moveBuildToScratch(task_id, srpm, rpms, logs=None)`: a scratch build's files go to
/// `topdir/scratch/<owner>/task_<id>/` (logs under `logs/<arch>/`); nothing is imported.
pub async fn move_build_to_scratch(cx: &mut Call<'_>, host: Host, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("moveBuildToScratch", ["task_id", "srpm", "rpms"], ["logs"]);
    let mut b = params.bind(&SIG)?;
    let task_id: i64 = b.arg()?;
    let srpm: String = b.arg()?;
    let rpms = collapse_noarch(paths(&b.next_raw(), "rpms")?);
    let logs = logs_arg(&b.next_raw())?;
    let task = lifecycle::assert_host(&cx.tx()?, task_id, host.id).await?;
    let topdir = cx.ctx.config.topdir.clone();
    let owner = db::users::get_by_id(cx.db(), task.owner)
        .await?
        .ok_or_else(|| Error::Internal(format!("task {task_id} has no owner")))?;
    let dir = packages::scratch_rel(&owner.name, task_id);
    let mut moves = Vec::new();
    for relpath in std::iter::once(&srpm).chain(rpms.iter()) {
        let file = packages::work_file(&topdir, relpath)?;
        moves.push((file, format!("{dir}/{}", basename(relpath))));
    }
    for (arch, files) in &logs {
        for relpath in files {
            let file = packages::work_file(&topdir, relpath)?;
            let sub = if arch.is_empty() {
                "logs".to_owned()
            } else {
                format!("logs/{arch}")
            };
            moves.push((file, format!("{dir}/{sub}/{}", basename(relpath))));
        }
    }
    for (file, dest) in &moves {
        packages::place(&topdir, file, dest)?;
    }
    info!(task.id = task_id, "scratch build results in {dir}");
    Ok(Value::Nil)
}

/// `host.tagBuild(task_id, tag, build, force=False, fromtag=None)`: the tagging a `tagBuild`
/// task asked for, done as the task's owner (untagging from `fromtag` first for a move).
pub async fn tag_build(cx: &mut Call<'_>, host: Host, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("tagBuild", ["task_id", "tag", "build"], ["force", "fromtag"]);
    let mut b = params.bind(&SIG)?;
    let task_id: i64 = b.arg()?;
    let tag = b.next_raw();
    let build = b.next_raw();
    let force: bool = b.arg()?;
    let fromtag = b.next_raw();
    let task = lifecycle::assert_host(&cx.tx()?, task_id, host.id).await?;
    let tag = tag_by_value(cx.db(), &tag).await?;
    let build = require_build(cx.db(), &build).await?;
    assert_tag_access(cx.db(), &tag, task.owner, force).await?;
    let change = db::versioned::Change {
        event_id: cx.event().await?,
        user_id: task.owner,
    };
    let tx = cx.tx()?;
    if !fromtag.is_nil() {
        let from = tag_by_value(&tx, &fromtag).await?;
        assert_tag_access(&tx, &from, task.owner, force).await?;
        untag_build_direct(&tx, &from, &build, change, true).await?;
    }
    tag_build_direct(&tx, &tag, &build, change, force).await?;
    Ok(Value::Nil)
}

/// `host.tagNotification(is_successful, tag_id, from_id, build_id, user_id,
/// ignore_success=False, failure_msg='')`: accepted; Kiln sends no notification mail.
pub async fn tag_notification(_cx: &mut Call<'_>, _host: Host, params: Params) -> Result<Value> {
    const SIG: Signature = signature!(
        "tagNotification",
        ["is_successful", "tag_id", "from_id", "build_id", "user_id"],
        ["ignore_success", "failure_msg"]
    );
    params.bind(&SIG)?;
    Ok(Value::Nil)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noarch_rpms_are_imported_once() {
        let rpms = vec![
            "tasks/1/1/a-1-1.noarch.rpm".to_owned(),
            "tasks/2/2/a-1-1.noarch.rpm".to_owned(),
            "tasks/1/1/b-1-1.x86_64.rpm".to_owned(),
        ];
        assert_eq!(
            collapse_noarch(rpms),
            ["tasks/1/1/a-1-1.noarch.rpm", "tasks/1/1/b-1-1.x86_64.rpm"]
        );
    }
}
