//! Koji's `build(src, target, opts=None)`, the parent of an RPM build: validates the target,
//! gets the SRPM (a `buildSRPMFromSCM` subtask for an SCM URL, or an uploaded SRPM), reads its
//! header for the name and arches, checks the package list of the destination tag, opens the
//! build (`host.initBuild`), runs one `buildArch` per arch, imports the result
//! (`host.completeBuild`, or `host.moveBuildToScratch` for scratch builds) and tags it with a
//! `tagBuild` subtask unless `skip_tag`. Any failure after `initBuild` fails the build
//! (`host.failBuild`) so no half-imported build is left.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::FaultCode;
use common::xmlrpc::{Params, Struct, Value};
use tracing::info;

use crate::buildtask::hubroot::tag_arches;
use crate::buildtask::{Args, bool_opt, fetch, int_opt, string_opt, work_url};
use crate::error::{Error, TaskError};
use crate::handler::{SubtaskOptions, TaskContext, TaskHandler, text};
use crate::scm::is_scm_url;
use crate::srpm::{SrpmHeader, choose_arches, read_header};

/// `build`.
#[derive(Debug)]
pub struct Build;

/// How often `build` looks for a repo of the build tag while none exists.
const REPO_POLL: Duration = Duration::from_secs(2);

fn call(
    cx: &TaskContext,
    method: &str,
    args: Vec<Value>,
    kwargs: Vec<(&str, Value)>,
) -> Result<Value, TaskError> {
    cx.session
        .call_kw(method, args, kwargs)
        .map_err(|e| TaskError::from(Error::hub(method, e)))
}

fn build_error(message: String) -> TaskError {
    TaskError::new(FaultCode::Build, message)
}

impl TaskHandler for Build {
    const METHOD: &'static str = "build";
    const WEIGHT: f64 = 0.2;

    fn run(cx: &mut TaskContext, params: Params) -> Result<Value, TaskError> {
        let args = Args::bind(&params, &["src", "target", "opts"], Self::METHOD)?;
        let src = args.string("src")?.to_owned();
        let target = args.required("target")?.clone();
        let opts = args.opts("opts")?;
        let scratch = bool_opt(&opts, "scratch");

        let target_info = call(cx, "getBuildTarget", vec![target.clone()], vec![])?;
        if target_info.is_nil() {
            let name = target.as_str().map_or_else(|| target.to_string(), str::to_owned);
            return Err(TaskError::new(
                FaultCode::Generic,
                format!("unknown build target: {name}"),
            ));
        }
        let build_tag = target_info.get("build_tag").cloned().unwrap_or(Value::Nil);
        let dest_tag = target_info.get("dest_tag").cloned().unwrap_or(Value::Nil);
        let dest = call(
            cx,
            "getTag",
            vec![dest_tag.clone()],
            vec![("strict", Value::Bool(true))],
        )?;
        if dest.get("locked").is_some_and(Value::truthy) && !scratch {
            return Err(build_error(format!(
                "destination tag {} is locked",
                text(&dest, "name")
            )));
        }
        let repo = find_repo(cx, &opts, &build_tag, &target_info)?;
        let repo_id = repo.get("id").and_then(Value::as_i64).unwrap_or_default();

        // The SRPM: built from the SCM URL by a subtask, or uploaded by the client.
        let mut source = None;
        let srpm = if is_scm_url(&src) {
            let mut srpm_opts = Struct::new();
            srpm_opts.insert("repo_id".into(), Value::Int(repo_id));
            srpm_opts.insert("scratch".into(), Value::Bool(scratch));
            let task_id = cx.subtask(
                "buildSRPMFromSCM",
                vec![
                    Value::from(src.as_str()),
                    build_tag.clone(),
                    Value::Struct(srpm_opts),
                ],
                SubtaskOptions {
                    label: Some("srpm".into()),
                    ..SubtaskOptions::default()
                },
            )?;
            let results = cx.wait(Some(&[task_id]), true, true, &[])?;
            let result = results
                .into_iter()
                .find(|(id, _)| *id == task_id)
                .map(|(_, result)| result)
                .unwrap_or(Value::Nil);
            source = result.get("source").cloned();
            text(&result, "srpm")
        } else {
            src.clone()
        };
        if srpm.is_empty() {
            return Err(build_error("could not find a srpm".into()));
        }
        let topurl = cx
            .build
            .as_ref()
            .and_then(|settings| settings.topurl.clone())
            .ok_or_else(|| {
                TaskError::new(
                    FaultCode::Generic,
                    "topurl is not set in the builder configuration",
                )
            })?;
        let local = cx.workdir.join(srpm.rsplit('/').next().unwrap_or("srpm.src.rpm"));
        fetch(&work_url(&topurl, &srpm), &local)?;
        let header = read_header(&local).map_err(build_error)?;

        let mut data = Struct::new();
        data.insert("name".into(), Value::from(header.name.as_str()));
        data.insert("version".into(), Value::from(header.version.as_str()));
        data.insert("release".into(), Value::from(header.release.as_str()));
        data.insert("epoch".into(), header.epoch.map_or(Value::Nil, Value::Int));
        data.insert("task_id".into(), Value::Int(cx.id()));
        if let Some(source) = &source {
            data.insert(
                "source".into(),
                source.get("source").cloned().unwrap_or(Value::Nil),
            );
            data.insert(
                "extra".into(),
                Value::structure([(
                    "source",
                    Value::structure([("original_url", source.get("url").cloned().unwrap_or(Value::Nil))]),
                )]),
            );
        }
        info!(task.id = cx.id(), build.nvr = %header.nvr(), "Reading package config for {}", header.name);
        let package_config = call(
            cx,
            "getPackageConfig",
            vec![dest_tag.clone(), Value::from(header.name.as_str())],
            vec![("event", repo.get("create_event").cloned().unwrap_or(Value::Nil))],
        )?;
        if !scratch {
            if package_config.is_nil() {
                return Err(build_error(format!(
                    "package {} not in list for tag {}",
                    header.name,
                    text(&target_info, "dest_tag_name")
                )));
            }
            if package_config.get("blocked").is_some_and(Value::truthy) {
                return Err(build_error(format!(
                    "package {} is blocked for tag {}",
                    header.name,
                    text(&target_info, "dest_tag_name")
                )));
            }
        }
        let buildconfig = call(
            cx,
            "getBuildConfig",
            vec![build_tag.clone()],
            vec![("event", repo.get("create_event").cloned().unwrap_or(Value::Nil))],
        )?;
        let arches = arch_list(
            &header,
            &tag_arches(&buildconfig),
            string_opt(&opts, "arch_override"),
            &buildconfig,
        )?;

        let build_id = if scratch {
            None
        } else {
            Some(call(cx, "host.initBuild", vec![Value::Struct(data)], vec![])?)
        };
        let outcome = run_builds(
            cx,
            &srpm,
            &build_tag,
            &arches,
            repo_id,
            scratch,
            build_id.as_ref(),
        );
        if let Err(e) = outcome {
            if let Some(build_id) = &build_id {
                let failed = call(
                    cx,
                    "host.failBuild",
                    vec![Value::Int(cx.id()), build_id.clone()],
                    vec![],
                );
                if let Err(fail_error) = failed {
                    tracing::warn!(task.id = cx.id(), "could not fail build {build_id}: {fail_error}");
                }
            }
            return Err(e);
        }
        if let Some(build_id) = build_id
            && !bool_opt(&opts, "skip_tag")
        {
            let tag_task = cx.subtask(
                "tagBuild",
                vec![
                    dest_tag,
                    build_id,
                    Value::Bool(false),
                    Value::Nil,
                    Value::Bool(true),
                ],
                SubtaskOptions {
                    label: Some("tag".into()),
                    arch: Some("noarch".into()),
                    ..SubtaskOptions::default()
                },
            )?;
            cx.wait(Some(&[tag_task]), true, true, &[])?;
        }
        Ok(Value::Nil)
    }
}

/// The repo to build against: `opts.repo_id` (which must belong to the build tag), else the
/// build tag's current repo, waiting a while for one to appear.
fn find_repo(cx: &TaskContext, opts: &Struct, build_tag: &Value, target: &Value) -> Result<Value, TaskError> {
    if let Some(repo_id) = int_opt(opts, "repo_id") {
        let repo = call(
            cx,
            "repoInfo",
            vec![Value::Int(repo_id)],
            vec![("strict", Value::Bool(true))],
        )?;
        if repo.get("tag_id") != Some(build_tag) {
            return Err(build_error(format!(
                "Repo/Target mismatch: {}/{}",
                text(&repo, "tag_name"),
                text(target, "build_tag_name")
            )));
        }
        return Ok(repo);
    }
    let patience = cx
        .build
        .as_ref()
        .map_or(600.0, |settings| settings.rpmbuild_timeout.min(600.0));
    let deadline = Instant::now() + Duration::from_secs_f64(patience);
    loop {
        let repo = call(cx, "getRepo", vec![build_tag.clone()], vec![])?;
        if !repo.is_nil() {
            return Ok(repo);
        }
        if Instant::now() >= deadline {
            return Err(build_error(format!(
                "no repo for tag {}",
                text(target, "build_tag_name")
            )));
        }
        std::thread::sleep(REPO_POLL);
    }
}

/// The arches to build: Koji's `getArchList` (or `arch_override`, within the tag's arches).
fn arch_list(
    header: &SrpmHeader,
    tag_arches: &[String],
    arch_override: Option<&str>,
    buildconfig: &Value,
) -> Result<Vec<String>, TaskError> {
    if tag_arches.is_empty() {
        return Err(build_error(format!(
            "No arches for tag {} [{}]",
            text(buildconfig, "name"),
            buildconfig.get("id").and_then(Value::as_i64).unwrap_or_default()
        )));
    }
    let arches = choose_arches(header, tag_arches).map_err(build_error)?;
    let Some(wanted) = arch_override else {
        return Ok(arches);
    };
    let wanted: Vec<&str> = wanted.split_whitespace().collect();
    let chosen: Vec<String> = arches
        .into_iter()
        .filter(|arch| arch == "noarch" || wanted.contains(&arch.as_str()))
        .collect();
    if chosen.is_empty() {
        return Err(build_error("No matching arches were found".into()));
    }
    Ok(chosen)
}

/// Koji's `runBuilds` plus the import: one `buildArch` per arch, all awaited (the first
/// failure cancels the rest), then `completeBuild` or `moveBuildToScratch`.
fn run_builds(
    cx: &TaskContext,
    srpm: &str,
    build_tag: &Value,
    arches: &[String],
    repo_id: i64,
    scratch: bool,
    build_id: Option<&Value>,
) -> Result<(), TaskError> {
    let mut subtasks: Vec<(String, i64)> = Vec::new();
    let mut keep_srpm = true;
    for arch in arches {
        let mut opts = Struct::new();
        opts.insert("repo_id".into(), Value::Int(repo_id));
        let task_id = cx.subtask(
            "buildArch",
            vec![
                Value::from(srpm),
                build_tag.clone(),
                Value::from(arch.as_str()),
                Value::Bool(keep_srpm),
                Value::Struct(opts),
            ],
            SubtaskOptions {
                label: Some(arch.clone()),
                arch: Some(arch.clone()),
                ..SubtaskOptions::default()
            },
        )?;
        keep_srpm = false;
        subtasks.push((arch.clone(), task_id));
    }
    let ids: Vec<i64> = subtasks.iter().map(|(_, id)| *id).collect();
    let results: BTreeMap<i64, Value> = cx.wait(Some(&ids), true, true, &[])?.into_iter().collect();
    let mut rpms: Vec<Value> = Vec::new();
    let mut brmap = Struct::new();
    let mut logs = Struct::new();
    let mut built_srpm: Option<String> = None;
    for (arch, task_id) in &subtasks {
        let result = results.get(task_id).cloned().unwrap_or(Value::Nil);
        let brootid = result.get("brootid").cloned().unwrap_or(Value::Nil);
        let strings = |key: &str| -> Vec<String> {
            result
                .get(key)
                .and_then(Value::as_array)
                .unwrap_or_default()
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        };
        for rpm in strings("rpms") {
            brmap.insert(rpm.clone(), brootid.clone());
            rpms.push(Value::from(rpm));
        }
        let arch_logs: Vec<Value> = strings("logs").into_iter().map(Value::from).collect();
        logs.insert(arch.clone(), Value::Array(arch_logs));
        if let Some(first) = strings("srpms").into_iter().next() {
            if built_srpm.is_some() {
                return Err(build_error(format!(
                    "multiple builds returned a srpm.  task {}",
                    cx.id()
                )));
            }
            brmap.insert(first.clone(), brootid.clone());
            built_srpm = Some(first);
        }
    }
    let Some(srpm) = built_srpm else {
        return Err(build_error("could not find a built srpm".into()));
    };
    let logs = Value::Struct(logs);
    match build_id {
        None => {
            call(
                cx,
                "host.moveBuildToScratch",
                vec![Value::Int(cx.id()), Value::from(srpm), Value::Array(rpms)],
                vec![("logs", logs)],
            )?;
        }
        Some(build_id) if !scratch => {
            call(
                cx,
                "host.completeBuild",
                vec![
                    Value::Int(cx.id()),
                    build_id.clone(),
                    Value::from(srpm),
                    Value::Array(rpms),
                    Value::Struct(brmap),
                ],
                vec![("logs", logs)],
            )?;
        }
        Some(_) => {}
    }
    Ok(())
}
