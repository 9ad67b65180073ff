//! Koji's `createrepo(repo_id, arch, oldrepo)`: runs `createrepo_c` on one arch of a repo the
//! hub initialized, reading `pkglist` (lines `toplink/packages/…`, so the repodata points
//! through the repo's `toplink` at the files under `topdir/packages`) and the repo's
//! `groups/comps.xml` from the shared topdir; adds `groups/modules.yaml` with `modifyrepo_c
//! --mdtype=modules` when the hub placed one there; uploads the repodata to the task's
//! directory and returns `[uploadpath, [files]]` for the parent's `host.repoDone`.

use std::path::Path;
use std::process::Command;

use common::FaultCode;
use common::xmlrpc::{Params, Value};
use tracing::info;

use crate::error::TaskError;
use crate::handler::{TaskContext, TaskHandler, check_keywords, common_task_dir, int_arg};
use crate::handlers::new_repo::require_topdir;

/// `createrepo`.
#[derive(Debug)]
pub struct Createrepo;

fn run_tool(cx: &TaskContext, command: &mut Command, what: &str) -> Result<(), TaskError> {
    let output = command
        .output()
        .map_err(|e| TaskError::new(FaultCode::Generic, format!("cannot run {what}: {e}")))?;
    let log = cx.workdir.join(format!("{what}.log"));
    let mut text = output.stdout.clone();
    text.extend_from_slice(&output.stderr);
    let _ = std::fs::write(&log, &text);
    let _ = cx.upload_file(&log, None);
    if !output.status.success() {
        let tail: String = String::from_utf8_lossy(&output.stderr)
            .lines()
            .rev()
            .take(3)
            .collect::<Vec<_>>()
            .join(" / ");
        return Err(TaskError::new(
            FaultCode::Generic,
            format!("{what} failed ({}): {tail}", output.status),
        ));
    }
    Ok(())
}

impl TaskHandler for Createrepo {
    const METHOD: &'static str = "createrepo";
    const WEIGHT: f64 = 1.5;

    fn run(cx: &mut TaskContext, params: Params) -> Result<Value, TaskError> {
        check_keywords(&params.keywords, &["repo_id", "arch", "oldrepo"], Self::METHOD)?;
        let repo_id = int_arg(&params, 0, "repo_id", Self::METHOD)?
            .ok_or_else(|| TaskError::new(FaultCode::Parameter, "createrepo() needs a repo_id"))?;
        let arch = params
            .positional
            .get(1)
            .or_else(|| params.keywords.get("arch"))
            .and_then(Value::as_str)
            .ok_or_else(|| TaskError::new(FaultCode::Parameter, "createrepo() needs an arch"))?
            .to_owned();
        let topdir = require_topdir(cx, Self::METHOD)?;
        let repo = cx.hub_call(
            "repoInfo",
            vec![Value::Int(repo_id)],
            vec![("strict", Value::Bool(true))],
        )?;
        if repo.get("state").and_then(Value::as_i64) != Some(0) {
            return Err(TaskError::new(
                FaultCode::Generic,
                format!("Repo {repo_id} not in INIT state"),
            ));
        }
        let tag_name = repo.get("tag_name").and_then(Value::as_str).unwrap_or_default();
        let dir = topdir.join("repos").join(tag_name).join(repo_id.to_string());
        let repodir = dir.join(&arch);
        let pkglist = repodir.join("pkglist");
        if !pkglist.is_file() {
            return Err(TaskError::new(
                FaultCode::Generic,
                format!("no package list for arch {arch} in {}", dir.display()),
            ));
        }
        let outdir = cx.workdir.join("repo").join(&arch);
        let _ = std::fs::remove_dir_all(&outdir);
        std::fs::create_dir_all(&outdir).map_err(|e| {
            TaskError::new(
                FaultCode::Generic,
                format!("cannot create {}: {e}", outdir.display()),
            )
        })?;
        let mut command = Command::new("createrepo_c");
        command
            .arg("--error-exit-val")
            .arg("--no-database")
            .arg("-o")
            .arg(&outdir)
            .arg("-i")
            .arg(&pkglist);
        let comps = dir.join("groups/comps.xml");
        if comps.is_file() {
            command.arg("-g").arg(&comps);
        }
        command.arg(&repodir);
        run_tool(cx, &mut command, "createrepo")?;
        let repodata = outdir.join("repodata");
        let modules = dir.join("groups/modules.yaml");
        if modules.is_file() {
            let mut command = Command::new("modifyrepo_c");
            command.arg("--mdtype=modules").arg(&modules).arg(&repodata);
            run_tool(cx, &mut command, "modifyrepo")?;
        }
        let files = upload_dir(cx, &repodata)?;
        info!(
            task.id = cx.id(),
            repo.id = repo_id,
            "createrepo for {arch} of repo {repo_id}: {} files",
            files.len()
        );
        Ok(Value::Array(vec![
            Value::from(common_task_dir(cx.id())),
            Value::Array(files.into_iter().map(Value::from).collect()),
        ]))
    }
}

/// Uploads every file of `dir` to the task's directory; returns their names.
fn upload_dir(cx: &TaskContext, dir: &Path) -> Result<Vec<String>, TaskError> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| TaskError::new(FaultCode::Generic, format!("cannot read {}: {e}", dir.display())))?;
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry
            .map_err(|e| TaskError::new(FaultCode::Generic, format!("cannot read {}: {e}", dir.display())))?;
        if entry.path().is_file() {
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    names.sort();
    for name in &names {
        cx.upload_file(&dir.join(name), Some(name))?;
    }
    Ok(names)
}
