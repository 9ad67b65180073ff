//! Kiln's `moduleBuild(module_build_id)`: the parent task of a module build (MBS's backend).
//! It asks the hub what to do next (`host.moduleStep`, which decides from the database alone:
//! see the hub's `mbs::backend`) and does it: the init and wait steps (`host.moduleInit`), the
//! `module-build-macros` SRPM, waiting on the component `build` tasks the hub made under this
//! task, waiting on a repo request; until the module is built or failed. A run that starts
//! again after its host was lost carries on where the database says the module is.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::FaultCode;
use common::xmlrpc::{Params, Value};
use tracing::info;

use crate::error::TaskError;
use crate::handler::{TaskContext, TaskHandler, check_keywords, common_task_dir, int_arg, text};

/// `moduleBuild`.
#[derive(Debug)]
pub struct ModuleBuild;

const KEYWORDS: &[&str] = &["module_build_id"];

/// How often a repo request is checked while the parent waits on it.
const REPO_POLL: Duration = Duration::from_millis(200);

impl TaskHandler for ModuleBuild {
    const METHOD: &'static str = "moduleBuild";
    const WEIGHT: f64 = 0.1;

    fn run(cx: &mut TaskContext, params: Params) -> Result<Value, TaskError> {
        check_keywords(&params.keywords, KEYWORDS, Self::METHOD)?;
        let module_id = int_arg(&params, 0, "module_build_id", Self::METHOD)?.ok_or_else(|| {
            TaskError::new(
                FaultCode::Parameter,
                "moduleBuild() missing required argument: 'module_build_id'",
            )
        })?;
        let mut macros_srpm: Option<String> = None;
        let mut setup = Value::Nil;
        loop {
            let kwargs = match macros_srpm.take() {
                Some(path) => vec![("macros_srpm", Value::from(path))],
                None => Vec::new(),
            };
            let step = cx.hub_call("host.moduleStep", vec![Value::Int(module_id)], kwargs)?;
            match text(&step, "action").as_str() {
                "init" => {
                    setup = cx.hub_call("host.moduleInit", vec![Value::Int(module_id)], vec![])?;
                    info!(
                        task.id = cx.id(),
                        "module build {module_id} initialised: tag {}, target {}",
                        text(&setup, "koji_tag"),
                        text(&setup, "target")
                    );
                }
                "macros" => {
                    let path = build_macros_srpm(cx, &step)?;
                    info!(task.id = cx.id(), "built the module-build-macros SRPM {path}");
                    macros_srpm = Some(path);
                }
                "wait" => {
                    let tasks: Vec<i64> = step
                        .get("tasks")
                        .and_then(Value::as_array)
                        .unwrap_or_default()
                        .iter()
                        .filter_map(Value::as_i64)
                        .collect();
                    if tasks.is_empty() {
                        let poll = match step.get("poll") {
                            Some(Value::Double(seconds)) => *seconds,
                            _ => 1.0,
                        };
                        std::thread::sleep(Duration::from_secs_f64(poll.clamp(0.05, 30.0)));
                    } else {
                        cx.wait_any(&tasks)?;
                    }
                }
                "repo" => {
                    let request = step.get("request").and_then(Value::as_i64).unwrap_or_default();
                    info!(
                        task.id = cx.id(),
                        "waiting for a repo of {} (request {request})",
                        text(&step, "tag")
                    );
                    wait_for_repo(cx, request)?;
                }
                "done" => {
                    info!(
                        task.id = cx.id(),
                        "module build {module_id} is {}",
                        text(&step, "state")
                    );
                    return Ok(Value::structure([
                        ("module_build_id", Value::Int(module_id)),
                        ("state", Value::from(text(&step, "state"))),
                        ("koji_tag", setup.get("koji_tag").cloned().unwrap_or(Value::Nil)),
                    ]));
                }
                "failed" => {
                    return Err(TaskError::new(
                        FaultCode::Build,
                        format!("module build {module_id} failed: {}", text(&step, "reason")),
                    ));
                }
                other => {
                    return Err(TaskError::new(
                        FaultCode::Generic,
                        format!("host.moduleStep answered an unknown action {other:?}"),
                    ));
                }
            }
        }
    }
}

/// Waits (up to the task's longest wait) until the repo request is fulfilled or given up.
fn wait_for_repo(cx: &TaskContext, request: i64) -> Result<(), TaskError> {
    let deadline = Instant::now() + Duration::from_secs_f64(cx.wait_seconds.max(1.0));
    while Instant::now() < deadline {
        let answer = cx.hub_call("repo.checkRequest", vec![Value::Int(request)], vec![])?;
        let fulfilled = answer.get("repo").is_some_and(|repo| !repo.is_nil());
        let active = answer
            .get("request")
            .and_then(|r| r.get("active"))
            .is_some_and(Value::truthy);
        if fulfilled || !active {
            return Ok(());
        }
        std::thread::sleep(REPO_POLL);
    }
    Ok(())
}

/// Writes the hub's `module-build-macros` sources, runs `rpmbuild -bs` on them and uploads the
/// SRPM into this task's directory; returns its path under `work/`. The spec is generated by
/// the hub from the module's identity; one carrying shell or Lua expansions is refused, so
/// building it outside a buildroot runs nothing of the packager's.
fn build_macros_srpm(cx: &TaskContext, step: &Value) -> Result<String, TaskError> {
    let spec = text(step, "spec");
    let macros = text(step, "macros");
    let spec_name = text(step, "spec_file_name");
    let expands = ["%(", "%{lua", "%[", "%{expand", "%<"];
    if let Some(found) = expands.iter().find(|e| spec.contains(*e)) {
        return Err(TaskError::new(
            FaultCode::Build,
            format!("the module-build-macros spec holds {found:?}; refusing to build it"),
        ));
    }
    if spec_name.is_empty() || spec_name.contains('/') {
        return Err(TaskError::new(
            FaultCode::Build,
            format!("invalid spec file name {spec_name:?}"),
        ));
    }
    let top = cx.workdir.join("macros");
    let io = |action: &str, path: &Path, e: std::io::Error| {
        TaskError::new(
            FaultCode::Generic,
            format!("cannot {action} {}: {e}", path.display()),
        )
    };
    for dir in ["SOURCES", "SPECS", "SRPMS", "BUILD", "RPMS"] {
        let path = top.join(dir);
        std::fs::create_dir_all(&path).map_err(|e| io("create", &path, e))?;
    }
    let source = top
        .join("SOURCES")
        .join(common::modulemd::mbs::MACROS_SOURCE_NAME);
    std::fs::write(&source, macros).map_err(|e| io("write", &source, e))?;
    let spec_path = top.join("SPECS").join(&spec_name);
    std::fs::write(&spec_path, spec).map_err(|e| io("write", &spec_path, e))?;
    let output = Command::new("rpmbuild")
        .arg("-bs")
        .arg("--define")
        .arg(format!("_topdir {}", top.display()))
        .arg(&spec_path)
        .env("HOME", &top)
        .output()
        .map_err(|e| io("run rpmbuild for", &spec_path, e))?;
    let log = top.join("macros-build.log");
    let mut log_text = output.stdout.clone();
    log_text.extend_from_slice(&output.stderr);
    std::fs::write(&log, &log_text).map_err(|e| io("write", &log, e))?;
    cx.upload_file(&log, Some("macros-build.log"))?;
    if !output.status.success() {
        return Err(TaskError::new(
            FaultCode::Build,
            format!(
                "rpmbuild -bs of module-build-macros failed ({}); see macros-build.log",
                output.status
            ),
        ));
    }
    let srpm = find_srpm(&top.join("SRPMS"))?;
    let name = srpm
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    cx.upload_file(&srpm, None)?;
    Ok(format!("{}/{name}", common_task_dir(cx.id())))
}

fn find_srpm(dir: &Path) -> Result<PathBuf, TaskError> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| TaskError::new(FaultCode::Generic, format!("cannot list {}: {e}", dir.display())))?;
    entries
        .flatten()
        .map(|entry| entry.path())
        .find(|path| path.to_string_lossy().ends_with(".src.rpm"))
        .ok_or_else(|| TaskError::new(FaultCode::Build, "rpmbuild -bs made no SRPM"))
}
