//! Koji's `newRepo(tag, event=None, src=None, debuginfo=None, separate_src=None, opts=None)`:
//! asks the hub for a repo snapshot (`host.repoInit`, which writes the skeleton under
//! `topdir/repos/<tag>/<repo id>/`), runs one `createrepo` subtask per arch in the
//! `createrepo` channel, and hands their repodata to `host.repoDone`, which makes the repo
//! READY only when every arch succeeded. Returns `[repo_id, event_id]`.

use std::path::{Path, PathBuf};

use common::FaultCode;
use common::xmlrpc::{Params, Struct, Value};
use tracing::info;

use crate::error::TaskError;
use crate::handler::{SubtaskOptions, TaskContext, TaskHandler, check_keywords, int_arg};

/// `newRepo`.
#[derive(Debug)]
pub struct NewRepo;

/// The topdir this host mounts, with its `repos/` directory; repo tasks need it.
pub fn require_topdir(cx: &TaskContext, method: &str) -> Result<PathBuf, TaskError> {
    let topdir = cx.topdir.clone().ok_or_else(|| {
        TaskError::new(
            FaultCode::Generic,
            format!("{method} needs the hub's topdir: set topdir in this builder's configuration"),
        )
    })?;
    let repos = topdir.join("repos");
    if !repos.is_dir() {
        return Err(TaskError::new(
            FaultCode::Generic,
            format!("{method}: repos directory {} is missing", repos.display()),
        ));
    }
    Ok(topdir)
}

fn arg<'a>(params: &'a Params, index: usize, name: &str) -> Option<&'a Value> {
    params.positional.get(index).or_else(|| params.keywords.get(name))
}

/// The arch directories a repo's `repo.json` lists.
fn repo_arches(dir: &Path) -> Result<Vec<String>, TaskError> {
    let path = dir.join("repo.json");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| TaskError::new(FaultCode::Generic, format!("cannot read {}: {e}", path.display())))?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        TaskError::new(
            FaultCode::Generic,
            format!("cannot parse {}: {e}", path.display()),
        )
    })?;
    Ok(value
        .get("arches")
        .and_then(serde_json::Value::as_array)
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
        .unwrap_or_default())
}

impl TaskHandler for NewRepo {
    const METHOD: &'static str = "newRepo";
    const WEIGHT: f64 = 0.1;

    fn run(cx: &mut TaskContext, params: Params) -> Result<Value, TaskError> {
        check_keywords(
            &params.keywords,
            &["tag", "event", "src", "debuginfo", "separate_src", "opts"],
            Self::METHOD,
        )?;
        let tag = arg(&params, 0, "tag").cloned().ok_or_else(|| {
            TaskError::new(
                FaultCode::Parameter,
                "newRepo() missing 1 required positional argument: 'tag'",
            )
        })?;
        let event = int_arg(&params, 1, "event", Self::METHOD)?;
        let topdir = require_topdir(cx, Self::METHOD)?;
        let mut tag_kwargs = vec![("strict", Value::Bool(true))];
        if let Some(event) = event {
            tag_kwargs.push(("event", Value::Int(event)));
        }
        let tag_info = cx.hub_call("getTag", vec![tag], tag_kwargs)?;
        let tag_id = tag_info.get("id").and_then(Value::as_i64).unwrap_or(0);
        let tag_name = tag_info
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let opts = match arg(&params, 5, "opts") {
            Some(opts @ Value::Struct(_)) => opts.clone(),
            _ => {
                let mut opts = Struct::new();
                for (index, name) in [(2, "src"), (3, "debuginfo"), (4, "separate_src")] {
                    if let Some(value) = arg(&params, index, name).filter(|v| !v.is_nil()) {
                        opts.insert(name.to_owned(), Value::Bool(value.truthy()));
                    }
                }
                Value::Struct(opts)
            }
        };
        let mut init_kwargs = vec![("task_id", Value::Int(cx.id())), ("opts", opts)];
        if let Some(event) = event {
            init_kwargs.push(("event", Value::Int(event)));
        }
        let init = cx.hub_call("host.repoInit", vec![Value::Int(tag_id)], init_kwargs)?;
        let (repo_id, event_id) = match init.as_array() {
            Some([repo, event]) => (repo.as_i64().unwrap_or(0), event.as_i64().unwrap_or(0)),
            _ => {
                return Err(TaskError::new(
                    FaultCode::Generic,
                    format!("host.repoInit returned {init}, not [repo_id, event_id]"),
                ));
            }
        };
        let dir = topdir.join("repos").join(&tag_name).join(repo_id.to_string());
        let arches = repo_arches(&dir)?;
        info!(
            task.id = cx.id(),
            repo.id = repo_id,
            "repo {repo_id} of {tag_name}: createrepo for {arches:?}"
        );
        let mut children = Vec::new();
        for arch in &arches {
            let child = cx.subtask(
                "createrepo",
                vec![Value::Int(repo_id), Value::from(arch.clone()), Value::Nil],
                SubtaskOptions {
                    label: Some(arch.clone()),
                    arch: Some("noarch".into()),
                    ..SubtaskOptions::default()
                },
            )?;
            children.push((child, arch.clone()));
        }
        let ids: Vec<i64> = children.iter().map(|(id, _)| *id).collect();
        let results = cx.wait(Some(&ids), true, true, &[])?;
        let mut data = Struct::new();
        for (child, result) in results {
            if let Some((_, arch)) = children.iter().find(|(id, _)| *id == child) {
                data.insert(arch.clone(), result);
            }
        }
        cx.hub_call(
            "host.repoDone",
            vec![Value::Int(repo_id), Value::Struct(data)],
            vec![],
        )?;
        Ok(Value::Array(vec![Value::Int(repo_id), Value::Int(event_id)]))
    }
}
