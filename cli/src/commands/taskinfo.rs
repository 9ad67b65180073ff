//! `taskinfo`'s details and the task output paths other commands share: Koji's
//! `_printTaskInfo`, `_parseTaskParams` for the methods Kiln runs, `listTaskOutput` with all
//! volumes and the `topdir`/`topurl` layout of task directories.

use std::io::Write;

use common::xmlrpc::Value;

use crate::commands::args::as_f64;
use crate::commands::tasks::state_name;
use crate::commands::{field_i64, field_str};
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::output::table::py_str;
use crate::output::time::{asctime, format_time_long};

/// `koji.pathinfo.work(volume)`: `topdir/work` or `topdir/vol/V/work`.
pub fn work_dir(top: &str, volume: &str) -> String {
    if volume == "DEFAULT" || volume.is_empty() {
        format!("{top}/work")
    } else {
        format!("{top}/vol/{volume}/work")
    }
}

/// `koji.pathinfo.taskrelpath(task_id)`.
pub fn task_rel_path(task_id: i64) -> String {
    format!("tasks/{}/{task_id}", task_id % 10000)
}

/// A task's output files, each with the volumes holding it.
pub type TaskFiles = Vec<(String, Vec<String>)>;

/// `listTaskOutput(id, all_volumes=True)` as (file, volumes) pairs, falling back to the plain
/// call on hubs without the keyword.
pub fn task_output(ctx: &Ctx, task_id: i64) -> Result<TaskFiles> {
    let output = match ctx.call_kw(
        "listTaskOutput",
        vec![Value::Int(task_id)],
        vec![("all_volumes", Value::Bool(true))],
    ) {
        Err(e) if e.to_string().contains("got an unexpected keyword argument") => {
            let files = ctx.call("listTaskOutput", vec![Value::Int(task_id)])?;
            return Ok(files
                .as_array()
                .unwrap_or_default()
                .iter()
                .map(|f| (py_str(f), vec!["DEFAULT".to_owned()]))
                .collect());
        }
        other => other?,
    };
    Ok(output
        .as_struct()
        .into_iter()
        .flatten()
        .map(|(name, volumes)| {
            let volumes = volumes
                .as_array()
                .unwrap_or_default()
                .iter()
                .map(py_str)
                .collect();
            (name.clone(), volumes)
        })
        .collect())
}

/// Koji's `_parseTaskParams` for the methods Kiln runs; others print nothing.
fn request_lines(ctx: &Ctx, method: &str, task_id: i64) -> Result<Vec<String>> {
    let params = ctx.call("getTaskRequest", vec![Value::Int(task_id)])?;
    let params = params.as_array().unwrap_or_default();
    let param = |i: usize| params.get(i).map(py_str).unwrap_or_default();
    let options = |lines: &mut Vec<String>, index: usize| {
        if let Some(opts) = params
            .get(index)
            .and_then(Value::as_struct)
            .filter(|o| !o.is_empty())
        {
            lines.push("Options:".into());
            for (key, value) in opts {
                if key != "__starstar" {
                    lines.push(format!("  {key}: {}", py_str(value)));
                }
            }
        }
    };
    let tag_name = |value: Option<&Value>| -> Result<Option<String>> {
        let tag = ctx.call("getTag", vec![value.cloned().unwrap_or_default()])?;
        Ok((!tag.is_nil()).then(|| field_str(&tag, "name").to_owned()))
    };
    let mut lines = Vec::new();
    match method {
        "buildSRPMFromSCM" => lines.push(format!("SCM URL: {}", param(0))),
        "buildArch" => {
            lines.push(format!("SRPM: {}/work/{}", ctx.config().topdir, param(0)));
            let tag = tag_name(params.get(1))?.unwrap_or_else(|| format!("{} (deleted)", param(1)));
            lines.push(format!("Build Tag: {tag}"));
            lines.push(format!("Build Arch: {}", param(2)));
            lines.push(format!(
                "SRPM Kept: {}",
                params.get(3).map(crate::output::pprint::repr).unwrap_or_default()
            ));
            options(&mut lines, 4);
        }
        "build" => {
            lines.push(format!("Source: {}", param(0)));
            lines.push(format!("Build Target: {}", param(1)));
            options(&mut lines, 2);
        }
        "newRepo" => {
            if let Some(tag) = tag_name(params.first())? {
                lines.push(format!("Tag: {tag}"));
            }
        }
        "createrepo" => {
            lines.push(format!("Repo ID: {}", param(0)));
            lines.push(format!("Arch: {}", param(1)));
            if let Some(old) = params.get(2).filter(|o| o.truthy()) {
                lines.push(format!(
                    "Old Repo ID: {}",
                    field_i64(old, "id").unwrap_or_default()
                ));
                let created = old.get("create_ts").and_then(as_f64).unwrap_or_default();
                lines.push(format!("Old Repo Creation: {}", format_time_long(created)));
            }
        }
        "waitrepo" => {
            lines.push(format!("Build Target: {}", param(0)));
            if params.get(1).is_some_and(Value::truthy) {
                lines.push(format!("Newer Than: {}", param(1)));
            }
            if let Some(nvrs) = params.get(2).and_then(Value::as_array).filter(|n| !n.is_empty()) {
                let nvrs: Vec<String> = nvrs.iter().map(py_str).collect();
                lines.push(format!("NVRs: {}", nvrs.join(", ")));
            }
        }
        _ => {}
    }
    Ok(lines)
}

/// Koji's `_printTaskInfo`.
pub fn print_task_info(
    ctx: &mut Ctx,
    task_id: i64,
    level: usize,
    recurse: bool,
    verbose: bool,
) -> Result<()> {
    const BUILDDIR: &str = "/var/lib/mock";
    let indent = "  ".repeat(level);
    let info = ctx.call("getTaskInfo", vec![Value::Int(task_id)])?;
    if info.is_nil() {
        return Err(Error::Failed(format!("GenericError: No such task: {task_id}")));
    }
    let host = match info.get("host_id").filter(|h| h.truthy()) {
        Some(host_id) => Some(ctx.call("getHost", vec![host_id.clone()])?),
        None => None,
    };
    let buildroots = ctx.call_kw("listBuildroots", vec![], vec![("taskID", Value::Int(task_id))])?;
    let builds = ctx.call_kw("listBuilds", vec![], vec![("taskID", Value::Int(task_id))])?;
    let top = ctx.config().topdir.clone();
    let mut logs = Vec::new();
    let mut outputs = Vec::new();
    for (file, volumes) in task_output(ctx, task_id)? {
        let target = if file.ends_with(".log") {
            &mut logs
        } else {
            &mut outputs
        };
        for volume in volumes {
            target.push(format!(
                "{}/{}/{file}",
                work_dir(&top, &volume),
                task_rel_path(task_id)
            ));
        }
    }
    let owner = ctx.call("getUser", vec![info.get("owner").cloned().unwrap_or_default()])?;
    let mut lines = vec![
        format!("Task: {task_id}"),
        format!("Type: {}", field_str(&info, "method")),
    ];
    if verbose {
        lines.push("Request Parameters:".into());
        for line in request_lines(ctx, field_str(&info, "method"), task_id)? {
            lines.push(format!("  {line}"));
        }
    }
    lines.push(format!("Owner: {}", field_str(&owner, "name")));
    lines.push(format!(
        "State: {}",
        state_name(field_i64(&info, "state")).to_lowercase()
    ));
    let time = |key: &str| info.get(key).and_then(as_f64).filter(|t| *t != 0.0);
    lines.push(format!(
        "Created: {}",
        asctime(time("create_ts").unwrap_or_default())
    ));
    if let Some(ts) = time("start_ts") {
        lines.push(format!("Started: {}", asctime(ts)));
    }
    if let Some(ts) = time("completion_ts") {
        lines.push(format!("Finished: {}", asctime(ts)));
    }
    if let Some(host) = host.filter(Value::truthy) {
        lines.push(format!("Host: {}", field_str(&host, "name")));
    }
    if let Some(build) = builds.as_array().and_then(<[Value]>::first) {
        lines.push(format!(
            "Build: {} ({})",
            field_str(build, "nvr"),
            field_i64(build, "build_id").unwrap_or_default()
        ));
    }
    let buildroots = buildroots.as_array().unwrap_or_default();
    if !buildroots.is_empty() {
        lines.push("Buildroots:".into());
        for root in buildroots {
            lines.push(format!(
                "  {BUILDDIR}/{}-{}-{}/",
                field_str(root, "tag_name"),
                field_i64(root, "id").unwrap_or_default(),
                field_i64(root, "repo_id").unwrap_or_default()
            ));
        }
    }
    for (title, files) in [("Log Files:", &logs), ("Output:", &outputs)] {
        lines.push(title.into());
        if files.is_empty() {
            lines.push("  No outputs reported [1]".into());
        }
        for file in files {
            lines.push(format!("  {file}"));
        }
    }
    if logs.is_empty() || outputs.is_empty() {
        lines.push(
            "[1] Not all tasks produce outputs, and task outputs are not retained indefinitely.".into(),
        );
    }
    for line in lines {
        writeln!(ctx.out, "{indent}{line}")?;
    }
    writeln!(ctx.out)?;
    if recurse {
        let children = ctx.call_kw(
            "getTaskChildren",
            vec![Value::Int(task_id)],
            vec![("request", Value::Bool(true))],
        )?;
        let mut ids: Vec<i64> = children
            .as_array()
            .unwrap_or_default()
            .iter()
            .filter_map(|c| field_i64(c, "id"))
            .collect();
        ids.sort_unstable();
        for child in ids {
            // Koji's recursion passes recurse=True down by default.
            print_task_info(ctx, child, level + 1, true, verbose)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(work_dir("/mnt/koji", "DEFAULT"), "/mnt/koji/work");
        assert_eq!(work_dir("/mnt/koji", "vol2"), "/mnt/koji/vol/vol2/work");
        assert_eq!(task_rel_path(123_456), "tasks/3456/123456");
    }
}
