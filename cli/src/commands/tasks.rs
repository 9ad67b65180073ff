//! Task commands: `list-tasks`, `taskinfo`, `watch-task`, `watch-logs`, `cancel`,
//! `make-task`.

use std::collections::HashMap;
use std::io::Write;
use std::time::Duration;

use base64::Engine;
use clap::Subcommand;
use common::xmlrpc::Value;

use crate::commands::args::{entry, is_nvr, multicall, parse_arches};
use crate::commands::taskinfo::{print_task_info, task_output};
use crate::commands::{field_i64, print_json};
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::output::table::py_str;
use crate::output::time::parse_time;
use crate::pyliteral::arg_filter;
use crate::watch::{self, Outcome, TaskSource, task_label};

/// Task commands.
#[derive(Debug, Subcommand)]
pub enum TaskCommand {
    /// Print the list of tasks
    ListTasks(ListTasksArgs),
    /// Show information about a task
    Taskinfo {
        /// Show children of this task as well
        #[arg(short = 'r', long)]
        recurse: bool,
        /// Be verbose
        #[arg(short = 'v', long)]
        verbose: bool,
        /// The tasks
        #[arg(required = true)]
        task_ids: Vec<String>,
    },
    /// Track progress of particular tasks
    WatchTask(WatchTaskArgs),
    /// Watch logs in realtime
    WatchLogs(WatchLogsArgs),
    /// Cancel tasks and/or builds
    Cancel {
        /// Do not cancel subtasks
        #[arg(long)]
        justone: bool,
        /// Full cancellation (admin only)
        #[arg(long)]
        full: bool,
        /// Allow subtasks with --full
        #[arg(long)]
        force: bool,
        /// Task ids or builds (n-v-r)
        #[arg(required = true)]
        items: Vec<String>,
    },
    /// Create an arbitrary task
    MakeTask(MakeTaskArgs),
}

/// Koji's task selection (`_list_tasks`), shared by `list-tasks` and `watch-task`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct TaskSelection {
    /// Just the tasks you own
    #[arg(long)]
    pub mine: bool,
    /// Only tasks for this user
    #[arg(long)]
    pub user: Option<String>,
    /// Only tasks for this architecture
    #[arg(long)]
    pub arch: Option<String>,
    /// Only tasks of this method
    #[arg(long)]
    pub method: Option<String>,
    /// Only tasks in this channel
    #[arg(long)]
    pub channel: Option<String>,
    /// Only tasks for this host
    #[arg(long)]
    pub host: Option<String>,
}

impl TaskSelection {
    fn any(&self) -> bool {
        self.mine
            || self.user.is_some()
            || self.arch.is_some()
            || self.method.is_some()
            || self.channel.is_some()
            || self.host.is_some()
    }
}

/// Arguments of `list-tasks`.
#[derive(Debug, clap::Args)]
pub struct ListTasksArgs {
    /// Which tasks.
    #[command(flatten)]
    pub selection: TaskSelection,
    /// Do not display the column headers
    #[arg(long)]
    pub quiet: bool,
    /// List tasks completed before this time (a timestamp or "YYYY-MM-DD HH:MM")
    #[arg(long)]
    pub before: Option<String>,
    /// List tasks completed after this time (same format as for --before)
    #[arg(long)]
    pub after: Option<String>,
    /// List also finished tasks (valid only with --after)
    #[arg(long)]
    pub all: bool,
    /// Print the tasks as JSON
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `watch-task`.
#[derive(Debug, clap::Args)]
pub struct WatchTaskArgs {
    /// Do not print the task information
    #[arg(long)]
    pub quiet: bool,
    /// Which tasks, instead of ids.
    #[command(flatten)]
    pub selection: TaskSelection,
    /// The tasks
    pub task_ids: Vec<String>,
}

/// Arguments of `watch-logs`.
#[derive(Debug, clap::Args)]
pub struct WatchLogsArgs {
    /// Watch only a specific log
    #[arg(long)]
    pub log: Option<String>,
    /// Watch logs for all your tasks, task_id arguments are forbidden in this case.
    #[arg(long)]
    pub mine: bool,
    /// Follow spawned child tasks
    #[arg(short = 'f', long)]
    pub follow: bool,
    /// The tasks
    pub task_ids: Vec<String>,
}

/// Arguments of `make-task`.
#[derive(Debug, clap::Args)]
pub struct MakeTaskArgs {
    /// set channel
    #[arg(long)]
    pub channel: Option<String>,
    /// set priority
    #[arg(long)]
    pub priority: Option<String>,
    /// watch the task
    #[arg(long)]
    pub watch: bool,
    /// set arch
    #[arg(long)]
    pub arch: Option<String>,
    /// The method
    pub method: String,
    /// Its arguments
    #[arg(allow_hyphen_values = true)]
    pub args: Vec<String>,
}

impl TaskCommand {
    /// Runs the command.
    pub fn run(self, ctx: &mut Ctx) -> Result<()> {
        match self {
            TaskCommand::ListTasks(args) => list_tasks(ctx, &args),
            TaskCommand::Taskinfo {
                recurse,
                verbose,
                task_ids,
            } => taskinfo(ctx, &task_ids, recurse, verbose),
            TaskCommand::WatchTask(args) => watch_task(ctx, &args),
            TaskCommand::WatchLogs(args) => watch_logs(ctx, &args),
            TaskCommand::Cancel {
                justone,
                full,
                force,
                items,
            } => cancel(ctx, &items, justone, full, force),
            TaskCommand::MakeTask(args) => make_task(ctx, &args),
        }
    }
}

/// Koji's `TASK_STATES` names.
pub fn state_name(code: Option<i64>) -> &'static str {
    match code {
        Some(0) => "FREE",
        Some(1) => "OPEN",
        Some(2) => "CLOSED",
        Some(3) => "CANCELED",
        Some(4) => "ASSIGNED",
        Some(5) => "FAILED",
        _ => "BADSTATE",
    }
}

/// Parses task ids as Koji does (`int(arg)`); anything else is a usage error.
fn task_ids(texts: &[String]) -> Result<Vec<i64>> {
    texts
        .iter()
        .map(|t| {
            t.trim()
                .parse::<i64>()
                .map_err(|_| Error::Usage("task id must be an integer".into()))
        })
        .collect()
}

/// Koji's `_list_tasks`: the open tasks (or all, with `all`) matching a selection, children
/// threaded under their parents.
fn select_tasks(
    ctx: &mut Ctx,
    selection: &TaskSelection,
    all: bool,
    after: Option<f64>,
    before: Option<f64>,
) -> Result<Vec<Value>> {
    let mut opts = vec![("decode".to_owned(), Value::Bool(true))];
    if !all {
        opts.push((
            "state".into(),
            Value::Array(vec![Value::Int(0), Value::Int(1), Value::Int(4)]),
        ));
    }
    if let Some(after) = after {
        opts.push(("startedAfter".into(), Value::Double(after)));
    }
    if let Some(before) = before {
        opts.push(("startedBefore".into(), Value::Double(before)));
    }
    let missing = |ctx: &mut Ctx, message: String| -> Result<Vec<Value>> {
        writeln!(ctx.out, "{message}")?;
        Err(Error::Exit(1))
    };
    if selection.mine {
        if selection.user.is_some() {
            return Err(Error::Failed(
                "GenericError: Can't specify 'mine' and 'user' in same time".into(),
            ));
        }
        let user = ctx.call("getLoggedInUser", vec![])?;
        if !user.truthy() {
            return missing(ctx, "Unable to determine user".into());
        }
        opts.push(("owner".into(), user.get("id").cloned().unwrap_or_default()));
    }
    if let Some(name) = &selection.user {
        let user = ctx.call("getUser", vec![Value::from(name.as_str())])?;
        if !user.truthy() {
            return missing(ctx, format!("No such user: {name}"));
        }
        opts.push(("owner".into(), user.get("id").cloned().unwrap_or_default()));
    }
    if let Some(arch) = &selection.arch {
        let arches = parse_arches(arch)?.into_iter().map(Value::from).collect();
        opts.push(("arch".into(), Value::Array(arches)));
    }
    if let Some(method) = &selection.method {
        opts.push(("method".into(), Value::from(method.as_str())));
    }
    if let Some(name) = &selection.channel {
        let channel = ctx.call("getChannel", vec![Value::from(name.as_str())])?;
        if !channel.truthy() {
            return missing(ctx, format!("No such channel: {name}"));
        }
        opts.push((
            "channel_id".into(),
            channel.get("id").cloned().unwrap_or_default(),
        ));
    }
    if let Some(name) = &selection.host {
        let host = ctx.call("getHost", vec![Value::from(name.as_str())])?;
        if !host.truthy() {
            return missing(ctx, format!("No such host: {name}"));
        }
        opts.push(("host_id".into(), host.get("id").cloned().unwrap_or_default()));
    }
    let query_opts = Value::structure([("order", Value::from("priority,create_time"))]);
    let tasks = ctx.call(
        "listTasks",
        vec![Value::Struct(opts.into_iter().collect()), query_opts],
    )?;
    Ok(tasks.as_array().unwrap_or_default().to_vec())
}

/// Koji's `print_task`: fixed columns, then the tree indent and the label.
fn task_line(task: &Value, depth: usize) -> String {
    let indent = if depth == 0 {
        String::new()
    } else {
        format!("{} +", "  ".repeat(depth - 1))
    };
    format!(
        "{:<8} {:<4} {:<20} {:<8} {:<10} {indent}{}",
        py_str(task.get("id").unwrap_or(&Value::Nil)),
        py_str(task.get("priority").unwrap_or(&Value::Nil)),
        py_str(task.get("owner_name").unwrap_or(&Value::Nil)),
        state_name(field_i64(task, "state")),
        py_str(task.get("arch").unwrap_or(&Value::Nil)),
        task_label(task),
    )
}

/// The listing's lines: each top-level task followed by its children (those in the list).
fn task_lines(tasks: &[Value]) -> Vec<String> {
    let ids: Vec<i64> = tasks.iter().filter_map(|t| field_i64(t, "id")).collect();
    let mut children: HashMap<i64, Vec<&Value>> = HashMap::new();
    let mut roots = Vec::new();
    for task in tasks {
        match field_i64(task, "parent").filter(|p| ids.contains(p)) {
            Some(parent) => children.entry(parent).or_default().push(task),
            None => roots.push(task),
        }
    }
    fn visit(task: &Value, depth: usize, children: &HashMap<i64, Vec<&Value>>, out: &mut Vec<String>) {
        out.push(task_line(task, depth));
        let id = field_i64(task, "id").unwrap_or_default();
        for child in children.get(&id).into_iter().flatten() {
            visit(child, depth + 1, children, out);
        }
    }
    let mut lines = Vec::new();
    for root in roots {
        visit(root, 0, &children, &mut lines);
    }
    lines
}

fn time_option(name: &str, text: Option<&str>) -> Result<Option<f64>> {
    text.map(|t| {
        parse_time(t)
            .ok_or_else(|| Error::Usage(format!("option --{name}: invalid time specification: '{t}'")))
    })
    .transpose()
}

fn list_tasks(ctx: &mut Ctx, args: &ListTasksArgs) -> Result<()> {
    if args.all && args.after.is_none() {
        return Err(Error::Usage("--all must be used with --after".into()));
    }
    let after = time_option("after", args.after.as_deref())?;
    let before = time_option("before", args.before.as_deref())?;
    ctx.connect_login()?;
    let tasks = select_tasks(ctx, &args.selection, args.all, after, before)?;
    if args.json {
        return print_json(ctx, &Value::Array(tasks));
    }
    if tasks.is_empty() {
        writeln!(ctx.out, "(no tasks)")?;
        return Ok(());
    }
    if !(args.quiet || ctx.options.quiet) {
        writeln!(
            ctx.out,
            "ID       Pri  Owner                State    Arch       Name"
        )?;
    }
    for line in task_lines(&tasks) {
        writeln!(ctx.out, "{line}")?;
    }
    Ok(())
}

fn taskinfo(ctx: &mut Ctx, ids: &[String], recurse: bool, verbose: bool) -> Result<()> {
    let ids = task_ids(ids)?;
    ctx.connect_anonymous()?;
    for id in ids {
        print_task_info(ctx, id, 0, recurse, verbose)?;
    }
    Ok(())
}

/// Watches tasks as `watch_tasks` does: a live tree on a terminal, Koji's lines otherwise.
pub fn watch_tasks(ctx: &mut Ctx, task_ids: &[i64], quiet: bool) -> Result<()> {
    if task_ids.is_empty() {
        return Ok(());
    }
    ctx.out.flush()?;
    let interval = Duration::from_secs(ctx.config().poll_interval.max(1));
    let mut view = watch::view_for_stdout(quiet);
    let top_url = ctx.config().topurl.clone();
    let mut source = TaskSource::new(ctx, task_ids).with_top_url(top_url);
    let outcome = watch::watch(&mut source, view.as_mut(), interval, &mut |d| {
        std::thread::sleep(d);
    })?;
    match outcome {
        Outcome::Success => Ok(()),
        Outcome::Failure => Err(Error::Exit(outcome.exit_code())),
    }
}

fn watch_task(ctx: &mut Ctx, args: &WatchTaskArgs) -> Result<()> {
    let selection = args.selection.any();
    if selection && !args.task_ids.is_empty() {
        return Err(Error::Usage(
            "Selection options cannot be combined with a task list".into(),
        ));
    }
    if args.selection.mine {
        ctx.connect_login()?;
    } else {
        ctx.connect_anonymous()?;
    }
    let ids = if selection {
        let ids: Vec<i64> = select_tasks(ctx, &args.selection, false, None, None)?
            .iter()
            .filter_map(|t| field_i64(t, "id"))
            .collect();
        if ids.is_empty() {
            writeln!(ctx.out, "(no tasks)")?;
            return Ok(());
        }
        ids
    } else {
        let ids = task_ids(&args.task_ids)?;
        if ids.is_empty() {
            return Err(Error::Usage("at least one task id must be specified".into()));
        }
        ids
    };
    let quiet = args.quiet || ctx.options.quiet;
    watch_tasks(ctx, &ids, quiet)
}

/// Koji's `watch_logs`: prints new log content of each task (and, with `follow`, of its
/// children) until every task has finished.
fn watch_logs(ctx: &mut Ctx, args: &WatchLogsArgs) -> Result<()> {
    let mut tasks = if args.mine {
        ctx.connect_login()?;
        if !args.task_ids.is_empty() {
            return Err(Error::Usage(
                "Selection options cannot be combined with a task list".into(),
            ));
        }
        let selection = TaskSelection {
            mine: true,
            ..TaskSelection::default()
        };
        let ids: Vec<i64> = select_tasks(ctx, &selection, false, None, None)?
            .iter()
            .filter_map(|t| field_i64(t, "id"))
            .collect();
        if ids.is_empty() {
            writeln!(ctx.out, "You've no active tasks.")?;
            return Ok(());
        }
        ids
    } else {
        ctx.connect_anonymous()?;
        task_ids(&args.task_ids)?
    };
    if tasks.is_empty() {
        return Err(Error::Usage("at least one task id must be specified".into()));
    }
    writeln!(ctx.out, "Watching logs (this may be safely interrupted)...")?;
    ctx.out.flush()?;
    let interval = Duration::from_secs(ctx.config().poll_interval.max(1));
    let mut offsets: HashMap<(i64, String, String), usize> = HashMap::new();
    let mut last_log: Option<String> = None;
    loop {
        for task_id in tasks.clone() {
            let info = ctx.call("getTaskInfo", vec![Value::Int(task_id)])?;
            if info.is_nil() {
                writeln!(ctx.out, "No such task id: {task_id}")?;
                return Err(Error::Exit(1));
            }
            if matches!(field_i64(&info, "state"), Some(2 | 3 | 5)) {
                tasks.retain(|t| *t != task_id);
            }
            for (file, volumes) in task_output(ctx, task_id)? {
                let wanted = match &args.log {
                    Some(log) => file == *log,
                    None => file.ends_with("log"),
                };
                if !wanted {
                    continue;
                }
                for volume in volumes {
                    let key = (task_id, file.clone(), volume.clone());
                    loop {
                        let offset = offsets.get(&key).copied().unwrap_or_default();
                        let mut keywords = vec![
                            ("offset", Value::Int(i64::try_from(offset).unwrap_or(i64::MAX))),
                            ("size", Value::Int(16384)),
                        ];
                        if volume != "DEFAULT" {
                            keywords.push(("volume", Value::from(volume.as_str())));
                        }
                        let encoded = ctx.call_kw(
                            "downloadTaskOutput",
                            vec![Value::Int(task_id), Value::from(file.as_str())],
                            keywords,
                        )?;
                        let contents = match &encoded {
                            Value::Base64(bytes) => bytes.clone(),
                            other => base64::engine::general_purpose::STANDARD
                                .decode(py_str(other).trim())
                                .map_err(|e| Error::Failed(format!("Error: bad log data: {e}")))?,
                        };
                        if contents.is_empty() {
                            break;
                        }
                        offsets.insert(key.clone(), offset + contents.len());
                        let current = format!("{task_id}:{volume}:{file}:");
                        if last_log.as_deref() != Some(current.as_str()) {
                            if last_log.is_some() {
                                writeln!(ctx.out)?;
                            }
                            writeln!(ctx.out, "==> {current} <==")?;
                            last_log = Some(current);
                        }
                        ctx.out.write_all(&contents)?;
                        ctx.out.flush()?;
                    }
                }
            }
            if args.follow {
                let children = ctx.call("getTaskChildren", vec![Value::Int(task_id)])?;
                for child in children.as_array().unwrap_or_default() {
                    if let Some(id) = field_i64(child, "id")
                        && !tasks.contains(&id)
                    {
                        tasks.push(id);
                    }
                }
            }
        }
        if tasks.is_empty() {
            return Ok(());
        }
        std::thread::sleep(interval);
    }
}

fn cancel(ctx: &mut Ctx, items: &[String], justone: bool, full: bool, force: bool) -> Result<()> {
    let mut tasks = Vec::new();
    let mut builds = Vec::new();
    for item in items {
        if let Ok(id) = item.trim().parse::<i64>() {
            tasks.push(id);
        } else if is_nvr(item) {
            builds.push(item.as_str());
        } else {
            return Err(Error::Usage(
                "please specify only task ids (integer) or builds (n-v-r)".into(),
            ));
        }
    }
    ctx.connect_login()?;
    let mut calls = Vec::new();
    for id in tasks {
        if justone {
            calls.push(entry(
                "cancelTask",
                vec![Value::Int(id)],
                vec![("recurse", Value::Bool(false))],
            ));
        } else if full {
            let keywords = if force {
                vec![("strict", Value::Bool(false))]
            } else {
                vec![]
            };
            calls.push(entry("cancelTaskFull", vec![Value::Int(id)], keywords));
        } else {
            calls.push(entry("cancelTask", vec![Value::Int(id)], vec![]));
        }
    }
    for build in builds {
        calls.push(entry(
            "cancelBuild",
            vec![Value::from(build)],
            vec![("strict", Value::Bool(true))],
        ));
    }
    let mut failed = false;
    while !calls.is_empty() {
        let rest = calls.split_off(calls.len().min(100));
        for result in multicall(ctx, calls)? {
            if let Err(fault) = result {
                crate::warn(&fault.message);
                failed = true;
            }
        }
        calls = rest;
    }
    if failed {
        return Err(Error::Exit(1));
    }
    Ok(())
}

fn make_task(ctx: &mut Ctx, args: &MakeTaskArgs) -> Result<()> {
    ctx.connect_login()?;
    let arglist = args
        .args
        .iter()
        .map(|a| arg_filter(a).map_err(|e| Error::Usage(e.0)))
        .collect::<Result<Vec<_>>>()?;
    let mut keywords = vec![
        ("method", Value::from(args.method.as_str())),
        ("arglist", Value::Array(arglist)),
    ];
    for (key, value) in [
        ("channel", &args.channel),
        ("priority", &args.priority),
        ("arch", &args.arch),
    ] {
        if let Some(value) = value {
            keywords.push((key, Value::from(value.as_str())));
        }
    }
    let task_id = ctx.call_kw("makeTask", vec![], keywords)?;
    let task_id = task_id.as_i64().unwrap_or_default();
    writeln!(ctx.out, "Created task id {task_id}")?;
    if !args.watch {
        return Ok(());
    }
    ctx.logout();
    let quiet = ctx.options.quiet;
    watch_tasks(ctx, &[task_id], quiet)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(id: i64, parent: Option<i64>, state: i64) -> Value {
        Value::structure([
            ("id", Value::Int(id)),
            ("parent", parent.map_or(Value::Nil, Value::Int)),
            ("priority", Value::Int(20)),
            ("owner_name", Value::from("admin")),
            ("state", Value::Int(state)),
            ("arch", Value::from("noarch")),
            ("method", Value::from("sleep")),
            ("request", Value::Array(vec![Value::Int(5)])),
        ])
    }

    #[test]
    fn listing_threads_children() {
        let lines = task_lines(&[task(1, None, 1), task(3, None, 0), task(2, Some(1), 4)]);
        assert_eq!(
            lines,
            [
                "1        20   admin                OPEN     noarch     sleep (noarch)",
                "2        20   admin                ASSIGNED noarch      +sleep (noarch)",
                "3        20   admin                FREE     noarch     sleep (noarch)",
            ]
        );
    }
}
