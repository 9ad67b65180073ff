//! Build commands: `build`, `list-builds`, `buildinfo`, `latest-build`, `list-tagged`,
//! `tag-build`, `untag-build`.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::path::Path;

use clap::Subcommand;
use common::xmlrpc::{Struct, Value};
use rand::Rng;

use crate::commands::args::{EventArgs, announce_event, as_f64, entry, multicall_strict};
use crate::commands::tags::get_tag;
use crate::commands::tasks::watch_tasks;
use crate::commands::{field_i64, field_str, print_json};
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::output::pprint::repr;
use crate::output::table::py_str;
use crate::output::time::{format_time_long, parse_time};
use crate::watch::task_label;

/// Build commands.
#[derive(Debug, Subcommand)]
pub enum BuildCommand {
    /// Build a package from source
    Build(BuildArgs),
    /// Print the build listing
    ListBuilds(ListBuildsArgs),
    /// Print basic information about a build
    Buildinfo {
        /// Show the changelog for the build
        #[arg(long)]
        changelog: bool,
        /// The builds (N-V-R or id)
        #[arg(required = true)]
        builds: Vec<String>,
    },
    /// Print the latest builds for a tag
    LatestBuild(LatestBuildArgs),
    /// List the builds or rpms in a tag
    ListTagged(ListTaggedArgs),
    /// Apply a tag to one or more builds
    TagBuild {
        /// force operation
        #[arg(long)]
        force: bool,
        /// Wait on task, even if running in the background
        #[arg(long, conflicts_with = "nowait")]
        wait: bool,
        /// Do not wait on task
        #[arg(long)]
        nowait: bool,
        /// The tag
        tag: String,
        /// The builds
        #[arg(required = true)]
        builds: Vec<String>,
    },
    /// Remove a tag from one or more builds
    UntagBuild(UntagBuildArgs),
}

/// Arguments of `build`.
#[derive(Debug, clap::Args)]
#[expect(clippy::struct_excessive_bools, reason = "one field per Koji flag")]
pub struct BuildArgs {
    /// The build target
    pub target: String,
    /// An SRPM file or an SCM URL
    pub source: String,
    /// Skip tagging
    #[arg(long)]
    pub skip_tag: bool,
    /// Perform a scratch build
    #[arg(long)]
    pub scratch: bool,
    /// Wait on the build, even if running in the background
    #[arg(long, conflicts_with = "nowait")]
    pub wait: bool,
    /// Don't wait on build
    #[arg(long)]
    pub nowait: bool,
    /// Wait for the actual buildroot repo of given target
    #[arg(long)]
    pub wait_repo: bool,
    /// Run the build at a lower priority
    #[arg(long)]
    pub background: bool,
    /// Do not display progress of the upload
    #[arg(long)]
    pub noprogress: bool,
    /// Do not print the task information
    #[arg(long)]
    pub quiet: bool,
    /// Override build arches (scratch builds only)
    #[arg(long)]
    pub arch_override: Option<String>,
    /// Cancel the build as soon as one of its subtasks fails
    #[arg(long)]
    pub fail_fast: bool,
}

/// Arguments of `list-builds`.
#[derive(Debug, clap::Args)]
pub struct ListBuildsArgs {
    /// List builds for this package
    #[arg(long)]
    pub package: Option<String>,
    /// List specific build from ID or nvr
    #[arg(long)]
    pub buildid: Option<String>,
    /// List builds built before this time
    #[arg(long)]
    pub before: Option<String>,
    /// List builds built after this time
    #[arg(long)]
    pub after: Option<String>,
    /// List builds in this state
    #[arg(long)]
    pub state: Option<String>,
    /// List builds for this task
    #[arg(long)]
    pub task: Option<String>,
    /// List builds of this type.
    #[arg(long = "type")]
    pub build_type: Option<String>,
    /// Only builds starting with this prefix
    #[arg(long)]
    pub prefix: Option<String>,
    /// Only list builds matching this GLOB pattern
    #[arg(long)]
    pub pattern: Option<String>,
    /// Only builds where the source field matches (glob pattern)
    #[arg(long)]
    pub source: Option<String>,
    /// List builds built by this owner
    #[arg(long)]
    pub owner: Option<String>,
    /// Sort the list by the named field (build_id, owner_name, state)
    #[arg(short = 'k', long = "sort-key")]
    pub sort_keys: Vec<String>,
    /// Print the list in reverse order
    #[arg(short = 'r', long)]
    pub reverse: bool,
    /// Do not print the header information
    #[arg(long)]
    pub quiet: bool,
    /// Print the builds as JSON
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `latest-build`.
#[derive(Debug, clap::Args)]
pub struct LatestBuildArgs {
    /// The tag
    pub tag: String,
    /// The packages
    pub packages: Vec<String>,
    /// List all of the latest packages for this tag
    #[arg(long)]
    pub all: bool,
    /// List all of the latest packages for this arch
    #[arg(long)]
    pub arch: Option<String>,
    /// Do not print the header information
    #[arg(long)]
    pub quiet: bool,
    /// Show the file paths
    #[arg(long)]
    pub paths: bool,
    /// Show builds of the given type only
    #[arg(long = "type")]
    pub build_type: Option<String>,
    /// Print the builds as JSON
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `list-tagged`.
#[derive(Debug, clap::Args)]
#[expect(clippy::struct_excessive_bools, reason = "one field per Koji flag")]
pub struct ListTaggedArgs {
    /// The tag
    pub tag: String,
    /// Only this package
    pub package: Option<String>,
    /// List rpms for this arch
    #[arg(long)]
    pub arch: Option<String>,
    /// Show rpms, not builds
    #[arg(long)]
    pub rpms: bool,
    /// Show signatures
    #[arg(long)]
    pub sigs: bool,
    /// Follow inheritance
    #[arg(long)]
    pub inherit: bool,
    /// Only show the latest builds/rpms
    #[arg(long)]
    pub latest: bool,
    /// Only show the latest N builds/rpms
    #[arg(long)]
    pub latest_n: Option<i64>,
    /// Do not print the header information
    #[arg(long)]
    pub quiet: bool,
    /// Show builds of the given type only
    #[arg(long = "type")]
    pub build_type: Option<String>,
    /// When to look.
    #[command(flatten)]
    pub event: EventArgs,
    /// Print the builds (or rpms) as JSON
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `untag-build`.
#[derive(Debug, clap::Args)]
pub struct UntagBuildArgs {
    /// The tag
    pub tag: String,
    /// Builds (N-V-R), or package names with --all or --non-latest
    pub builds: Vec<String>,
    /// untag all versions of the package in this tag, pkg is package name
    #[arg(long)]
    pub all: bool,
    /// untag all versions of the package in this tag except the latest, pkg is package name
    #[arg(long)]
    pub non_latest: bool,
    /// test mode
    #[arg(short = 'n', long)]
    pub test: bool,
    /// print details
    #[arg(short = 'v', long)]
    pub verbose: bool,
    /// force operation
    #[arg(long)]
    pub force: bool,
}

impl BuildCommand {
    /// Runs the command.
    pub fn run(self, ctx: &mut Ctx) -> Result<()> {
        match self {
            BuildCommand::Build(args) => build(ctx, &args),
            BuildCommand::ListBuilds(args) => list_builds(ctx, &args),
            BuildCommand::Buildinfo { changelog, builds } => buildinfo(ctx, &builds, changelog),
            BuildCommand::LatestBuild(args) => latest_build(ctx, &args),
            BuildCommand::ListTagged(args) => list_tagged(ctx, &args),
            BuildCommand::TagBuild {
                force,
                wait,
                nowait,
                tag,
                builds,
            } => tag_build(ctx, &tag, &builds, force, wait_wanted(wait, nowait)),
            BuildCommand::UntagBuild(args) => untag_build(ctx, &args),
        }
    }
}

/// Koji's `_running_in_bg`: without a terminal on stdin the client does not wait by default.
pub fn running_in_background() -> bool {
    !std::io::stdin().is_terminal()
}

fn wait_wanted(wait: bool, nowait: bool) -> bool {
    wait || (!nowait && !running_in_background())
}

/// Koji's `BUILD_STATES` names.
fn build_state(code: Option<i64>) -> &'static str {
    match code {
        Some(0) => "BUILDING",
        Some(1) => "COMPLETE",
        Some(2) => "DELETED",
        Some(3) => "FAILED",
        Some(4) => "CANCELED",
        _ => "BADSTATE",
    }
}

fn build_state_code(name: &str) -> Option<i64> {
    (0..=4).find(|code| build_state(Some(*code)) == name)
}

/// `koji.pathinfo.build(info)`: where a build's files live under `top`.
fn build_dir(top: &str, build: &Value) -> String {
    let volume = build
        .get("volume_name")
        .and_then(Value::as_str)
        .unwrap_or("DEFAULT");
    let base = if volume == "DEFAULT" {
        top.to_owned()
    } else {
        format!("{top}/vol/{volume}")
    };
    format!(
        "{base}/packages/{}/{}/{}",
        field_str(build, "name"),
        field_str(build, "version"),
        field_str(build, "release")
    )
}

/// `koji.pathinfo.rpm(rpm)`.
fn rpm_path(rpm: &Value) -> String {
    let arch = field_str(rpm, "arch");
    format!(
        "{arch}/{}-{}-{}.{arch}.rpm",
        field_str(rpm, "name"),
        field_str(rpm, "version"),
        field_str(rpm, "release")
    )
}

fn build(ctx: &mut Ctx, args: &BuildArgs) -> Result<()> {
    if args.arch_override.is_some() && !args.scratch {
        return Err(Error::Usage(
            "--arch_override is only allowed for --scratch builds".into(),
        ));
    }
    ctx.connect_login()?;
    let target = ctx.call("getBuildTarget", vec![Value::from(args.target.as_str())])?;
    if !target.truthy() {
        return Err(Error::Usage(format!("No such build target: {}", args.target)));
    }
    let dest = ctx.call(
        "getTag",
        vec![target.get("dest_tag").cloned().unwrap_or_default()],
    )?;
    if !dest.truthy() {
        return Err(Error::Usage(format!(
            "No such destination tag: {}",
            field_str(&target, "dest_tag_name")
        )));
    }
    if dest.get("locked").is_some_and(Value::truthy) && !args.scratch {
        return Err(Error::Usage(format!(
            "Destination tag {} is locked",
            field_str(&dest, "name")
        )));
    }
    let mut opts = Struct::new();
    if let Some(arches) = &args.arch_override {
        let arches = crate::commands::args::parse_arches(arches)?.join(" ");
        opts.insert("arch_override".into(), Value::from(arches));
    }
    for (key, set) in [
        ("skip_tag", args.skip_tag),
        ("scratch", args.scratch),
        ("fail_fast", args.fail_fast),
        ("wait_repo", args.wait_repo),
    ] {
        if set {
            opts.insert(key.into(), Value::Bool(true));
        }
    }
    opts.insert("wait_builds".into(), Value::Array(Vec::new()));
    opts.insert("custom_user_metadata".into(), Value::Struct(Struct::new()));
    let mut source = args.source.clone();
    if !source.contains("://") {
        if !args.quiet {
            writeln!(ctx.out, "Uploading srpm: {source}")?;
            ctx.out.flush()?;
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        let letters: String = {
            let mut rng = rand::rng();
            (0..8)
                .map(|_| char::from(rng.random_range(b'a'..=b'z')))
                .collect()
        };
        let server_dir = format!("cli-build/{now:.6}.{letters}");
        let path = Path::new(&source);
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| Error::Usage(format!("not a file: {source}")))?;
        ctx.session()?.upload_file(path, &server_dir, &name, 1 << 20)?;
        writeln!(ctx.out)?;
        source = format!("{server_dir}/{name}");
    }
    let priority = if args.background {
        Value::Int(5)
    } else {
        Value::Nil
    };
    let task_id = ctx.call_kw(
        "build",
        vec![
            Value::from(source),
            Value::from(args.target.as_str()),
            Value::Struct(opts),
        ],
        vec![("priority", priority)],
    )?;
    let task_id = task_id.as_i64().unwrap_or_default();
    if !args.quiet {
        writeln!(ctx.out, "Created task: {task_id}")?;
        writeln!(
            ctx.out,
            "Task info: {}/taskinfo?taskID={task_id}",
            ctx.options.config.weburl
        )?;
    }
    if !wait_wanted(args.wait, args.nowait) {
        return Ok(());
    }
    ctx.logout();
    watch_tasks(ctx, &[task_id], args.quiet || ctx.options.quiet)
}

fn list_builds(ctx: &mut Ctx, args: &ListBuildsArgs) -> Result<()> {
    ctx.connect_anonymous()?;
    let mut keywords: Vec<(&str, Value)> = Vec::new();
    for (key, value) in [
        ("type", &args.build_type),
        ("prefix", &args.prefix),
        ("pattern", &args.pattern),
    ] {
        if let Some(value) = value {
            keywords.push((key, Value::from(value.as_str())));
        }
    }
    if let Some(package) = &args.package {
        let id = match package.parse::<i64>() {
            Ok(id) => Value::Int(id),
            Err(_) => {
                let id = ctx.call("getPackageID", vec![Value::from(package.as_str())])?;
                if id.is_nil() {
                    return Err(Error::Usage(format!("No such package: {package}")));
                }
                id
            }
        };
        keywords.push(("packageID", id));
    }
    if let Some(owner) = &args.owner {
        let id = match owner.parse::<i64>() {
            Ok(id) => Value::Int(id),
            Err(_) => {
                let user = ctx.call("getUser", vec![Value::from(owner.as_str())])?;
                if user.is_nil() {
                    return Err(Error::Usage(format!("No such user: {owner}")));
                }
                user.get("id").cloned().unwrap_or_default()
            }
        };
        keywords.push(("userID", id));
    }
    if let Some(state) = &args.state {
        let code = match state.parse::<i64>() {
            Ok(code) if (0..=4).contains(&code) => code,
            Ok(_) => return Err(Error::Usage(format!("Invalid state: {state}"))),
            Err(_) => {
                build_state_code(state).ok_or_else(|| Error::Usage(format!("Invalid state: {state}")))?
            }
        };
        keywords.push(("state", Value::Int(code)));
    }
    for (key, name, text) in [
        ("completeBefore", "before", &args.before),
        ("completeAfter", "after", &args.after),
    ] {
        if let Some(text) = text {
            let ts = parse_time(text).ok_or_else(|| {
                Error::Usage(format!("option --{name}: invalid time specification: '{text}'"))
            })?;
            keywords.push((key, Value::Double(ts)));
        }
    }
    if let Some(task) = &args.task {
        let id = task
            .parse::<i64>()
            .map_err(|_| Error::Usage("Task id must be an integer".into()))?;
        keywords.push(("taskID", Value::Int(id)));
    }
    if let Some(source) = &args.source {
        keywords.push(("source", Value::from(source.as_str())));
    }
    let mut builds = if let Some(build) = &args.buildid {
        let key = build
            .parse::<i64>()
            .map_or_else(|_| Value::from(build.as_str()), Value::Int);
        let info = ctx.call("getBuild", vec![key])?;
        if info.is_nil() {
            return Err(Error::Usage(format!("No such build: '{build}'")));
        }
        vec![info]
    } else if keywords.is_empty() {
        return Err(Error::Usage("Filter must be provided for list".into()));
    } else {
        let builds = ctx.call_kw("listBuilds", vec![], keywords)?;
        builds.as_array().unwrap_or_default().to_vec()
    };
    let sort_keys: Vec<String> = if args.sort_keys.is_empty() {
        vec!["build_id".into()]
    } else {
        for key in &args.sort_keys {
            if !["build_id", "owner_name", "state"].contains(&key.as_str()) {
                crate::warn(&format!("Invalid sort_key: {key}."));
            }
        }
        args.sort_keys.clone()
    };
    // Python's sorted(reverse=True) keeps equal items in their original order.
    builds.sort_by(|a, b| {
        for key in &sort_keys {
            let order = compare(a.get(key), b.get(key));
            if order != std::cmp::Ordering::Equal {
                return if args.reverse { order.reverse() } else { order };
            }
        }
        std::cmp::Ordering::Equal
    });
    if args.json {
        return print_json(ctx, &Value::Array(builds));
    }
    if !(args.quiet || ctx.options.quiet) {
        writeln!(ctx.out, "{:<55}  {:<16}  State", "Build", "Built by")?;
        writeln!(
            ctx.out,
            "{}  {}  {}",
            "-".repeat(55),
            "-".repeat(16),
            "-".repeat(16)
        )?;
    }
    for build in &builds {
        writeln!(
            ctx.out,
            "{:<55}  {:<16}  {}",
            field_str(build, "nvr"),
            field_str(build, "owner_name"),
            build_state(field_i64(build, "state"))
        )?;
    }
    Ok(())
}

/// Orders values as Python orders them for sorting (numbers, then strings).
fn compare(a: Option<&Value>, b: Option<&Value>) -> std::cmp::Ordering {
    match (a, b) {
        (Some(Value::Int(x)), Some(Value::Int(y))) => x.cmp(y),
        (Some(x), Some(y)) => match (as_f64(x), as_f64(y)) {
            (Some(x), Some(y)) => x.total_cmp(&y),
            _ => py_str(x).cmp(&py_str(y)),
        },
        (None, Some(_)) => std::cmp::Ordering::Less,
        (Some(_), None) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    }
}

fn buildinfo(ctx: &mut Ctx, builds: &[String], changelog: bool) -> Result<()> {
    ctx.connect_anonymous()?;
    let top = ctx.config().topdir.clone();
    let mut missing = false;
    for build in builds {
        let key = if build.chars().all(|c| c.is_ascii_digit()) {
            build
                .parse::<i64>()
                .map_or_else(|_| Value::from(build.as_str()), Value::Int)
        } else {
            Value::from(build.as_str())
        };
        let info = ctx.call("getBuild", vec![key.clone()])?;
        if info.is_nil() {
            crate::warn(&format!("No such build: {build}\n"));
            missing = true;
            continue;
        }
        let build_id = field_i64(&info, "id").unwrap_or_default();
        let task_id = info
            .get("task_id")
            .filter(|t| !t.is_nil())
            .cloned()
            .or_else(|| {
                info.get("extra")
                    .and_then(|e| e.get("container_koji_task_id"))
                    .cloned()
            })
            .filter(Value::truthy);
        let task = match task_id {
            Some(id) => Some(ctx.call_kw("getTaskInfo", vec![id], vec![("request", Value::Bool(true))])?),
            None => None,
        };
        let tags = ctx.call("listTags", vec![key])?;
        let tag_names: Vec<&str> = tags
            .as_array()
            .unwrap_or_default()
            .iter()
            .map(|t| field_str(t, "name"))
            .collect();
        let state = build_state(field_i64(&info, "state"));
        let mut lines = vec![format!(
            "BUILD: {}-{}-{} [{build_id}]",
            field_str(&info, "name"),
            field_str(&info, "version"),
            field_str(&info, "release")
        )];
        if info.get("draft").is_some_and(Value::truthy) {
            lines.push("Draft: YES".into());
        }
        lines.push(format!("State: {state}"));
        if state == "BUILDING" {
            lines.push(format!(
                "Reserved by: {}",
                py_str(info.get("cg_name").unwrap_or(&Value::Nil))
            ));
        }
        lines.push(format!("Built by: {}", field_str(&info, "owner_name")));
        if let Some(source) = info.get("source").filter(|s| !s.is_nil()) {
            lines.push(format!("Source: {}", py_str(source)));
        }
        if let Some(volume) = info.get("volume_name") {
            lines.push(format!("Volume: {}", py_str(volume)));
        }
        match task.filter(Value::truthy) {
            Some(task) => lines.push(format!(
                "Task: {} {}",
                field_i64(&task, "id").unwrap_or_default(),
                task_label(&task)
            )),
            None => lines.push("Task: none".into()),
        }
        let finished = info
            .get("completion_ts")
            .and_then(as_f64)
            .map(format_time_long)
            .unwrap_or_default();
        lines.push(format!("Finished: {finished}"));
        if let Some(promoted) = info.get("promotion_ts").and_then(as_f64).filter(|t| *t != 0.0) {
            lines.push(format!("Promoted by: {}", field_str(&info, "promoter_name")));
            lines.push(format!("Promoted at: {}", format_time_long(promoted)));
        }
        let maven = ctx.call("getMavenBuild", vec![Value::Int(build_id)])?;
        if maven.truthy() {
            lines.push(format!("Maven groupId: {}", field_str(&maven, "group_id")));
            lines.push(format!("Maven artifactId: {}", field_str(&maven, "artifact_id")));
            lines.push(format!("Maven version: {}", field_str(&maven, "version")));
        }
        let win = ctx.call("getWinBuild", vec![Value::Int(build_id)])?;
        if win.truthy() {
            lines.push(format!("Windows build platform: {}", field_str(&win, "platform")));
        }
        lines.push(format!("Tags: {}", tag_names.join(" ")));
        if let Some(extra) = info.get("extra").filter(|e| e.truthy()) {
            lines.push(format!("Extra: {}", repr(extra)));
        }
        let archives = |ctx: &Ctx, kind: Option<&str>| -> Result<Vec<Value>> {
            let mut keywords = vec![("buildID", Value::Int(build_id))];
            if let Some(kind) = kind {
                keywords.push(("type", Value::from(kind)));
            }
            Ok(ctx
                .call_kw("listArchives", vec![], keywords)?
                .as_array()
                .unwrap_or_default()
                .to_vec())
        };
        let mut seen = Vec::new();
        for kind in ["maven", "win", "image"] {
            for archive in archives(ctx, Some(kind))? {
                seen.push(field_i64(&archive, "id"));
            }
        }
        let mut by_type: Vec<(String, Vec<Value>)> = Vec::new();
        for archive in archives(ctx, None)? {
            if seen.contains(&field_i64(&archive, "id")) {
                continue;
            }
            let btype = field_str(&archive, "btype").to_owned();
            match by_type.iter_mut().find(|(t, _)| *t == btype) {
                Some((_, list)) => list.push(archive),
                None => by_type.push((btype, vec![archive])),
            }
        }
        let dir = build_dir(&top, &info);
        for (btype, list) in &by_type {
            let mut title: Vec<char> = btype.to_lowercase().chars().collect();
            if let Some(first) = title.first_mut() {
                *first = first.to_ascii_uppercase();
            }
            lines.push(format!("{} Archives:", title.into_iter().collect::<String>()));
            for archive in list {
                lines.push(format!("{dir}/files/{btype}/{}", field_str(archive, "filename")));
            }
        }
        let rpms = ctx.call_kw("listRPMs", vec![], vec![("buildID", Value::Int(build_id))])?;
        let rpms = rpms.as_array().unwrap_or_default();
        if !rpms.is_empty() {
            let calls = rpms
                .iter()
                .map(|r| {
                    entry(
                        "queryRPMSigs",
                        vec![r.get("id").cloned().unwrap_or_default()],
                        vec![],
                    )
                })
                .collect();
            let sigs = multicall_strict(ctx, calls)?;
            lines.push("RPMs:".into());
            for (rpm, sigs) in rpms.iter().zip(&sigs) {
                let mut line = format!("{dir}/{}", rpm_path(rpm));
                let mut keys: Vec<&str> = sigs
                    .as_array()
                    .unwrap_or_default()
                    .iter()
                    .map(|s| field_str(s, "sigkey"))
                    .filter(|k| !k.is_empty())
                    .collect();
                keys.sort_unstable();
                if !keys.is_empty() {
                    line.push_str(&format!("\tSignatures: {}", keys.join(", ")));
                }
                lines.push(line);
            }
        }
        for line in lines {
            writeln!(ctx.out, "{line}")?;
        }
        if changelog {
            let entries = ctx.call("getChangelogEntries", vec![Value::Int(build_id)])?;
            let entries = entries.as_array().unwrap_or_default();
            if !entries.is_empty() {
                writeln!(ctx.out, "Changelog:")?;
                let text: Vec<String> = entries
                    .iter()
                    .map(|e| {
                        let date = field_str(e, "date");
                        let day = date.split(' ').next().unwrap_or(date);
                        format!(
                            "* {} {}\n{}\n\n",
                            changelog_date(day),
                            field_str(e, "author"),
                            field_str(e, "text")
                        )
                    })
                    .collect();
                writeln!(ctx.out, "{}", text.concat())?;
            }
        }
    }
    if missing {
        return Err(Error::Exit(1));
    }
    Ok(())
}

/// `YYYY-MM-DD` as `Wed Jan 03 2024`, the changelog's date form.
fn changelog_date(day: &str) -> String {
    let Some(ts) = parse_time(&format!("{day} 12:00:00")) else {
        return day.to_owned();
    };
    let civil = crate::output::time::Civil::in_zone(ts, &tz::TimeZone::utc());
    let long = civil.long();
    // "Wed, 03 Jan 2024 12:00:00 UTC" → "Wed Jan 03 2024".
    let parts: Vec<&str> = long.split([',', ' ']).filter(|p| !p.is_empty()).collect();
    match parts.as_slice() {
        [weekday, dayno, month, year, ..] => format!("{weekday} {month} {dayno} {year}"),
        _ => day.to_owned(),
    }
}

fn latest_build(ctx: &mut Ctx, args: &LatestBuildArgs) -> Result<()> {
    ctx.connect_anonymous()?;
    let packages: Vec<Value> = if args.all {
        if !args.packages.is_empty() {
            return Err(Error::Usage(
                "A package name may not be combined with --all".into(),
            ));
        }
        vec![Value::Nil]
    } else {
        if args.packages.is_empty() {
            return Err(Error::Usage(
                "A tag name and package name must be specified".into(),
            ));
        }
        args.packages.iter().map(|p| Value::from(p.as_str())).collect()
    };
    let top = ctx.config().topdir.clone();
    let mut quiet = args.quiet || ctx.options.quiet;
    let mut everything = Vec::new();
    for package in packages {
        let lines: Vec<String> = if let Some(arch) = &args.arch {
            let result = ctx.call_kw(
                "getLatestRPMS",
                vec![Value::from(args.tag.as_str())],
                vec![("package", package), ("arch", Value::from(arch.as_str()))],
            )?;
            let rpms = result
                .as_array()
                .and_then(|r| r.first())
                .cloned()
                .unwrap_or_default();
            everything.push(result.clone());
            rpms.as_array()
                .unwrap_or_default()
                .iter()
                .map(|rpm| {
                    format!(
                        "{}-{}-{}.{}",
                        field_str(rpm, "name"),
                        field_str(rpm, "version"),
                        field_str(rpm, "release"),
                        field_str(rpm, "arch")
                    )
                })
                .collect()
        } else {
            let mut keywords = vec![("package", package)];
            if let Some(kind) = &args.build_type {
                keywords.push(("type", Value::from(kind.as_str())));
            }
            let builds = ctx.call_kw("getLatestBuilds", vec![Value::from(args.tag.as_str())], keywords)?;
            everything.push(builds.clone());
            if !quiet && !args.json {
                writeln!(ctx.out, "{:<40}  {:<20}  Built by", "Build", "Tag")?;
                writeln!(
                    ctx.out,
                    "{}  {}  {}",
                    "-".repeat(40),
                    "-".repeat(20),
                    "-".repeat(16)
                )?;
                quiet = true;
            }
            builds
                .as_array()
                .unwrap_or_default()
                .iter()
                .map(|b| {
                    let first = if args.paths {
                        build_dir(&top, b)
                    } else {
                        field_str(b, "nvr").to_owned()
                    };
                    format!(
                        "{first:<40}  {:<20}  {}",
                        field_str(b, "tag_name"),
                        field_str(b, "owner_name")
                    )
                })
                .collect()
        };
        if args.json {
            continue;
        }
        let mut lines = lines;
        lines.sort();
        for line in lines {
            writeln!(ctx.out, "{line}")?;
        }
    }
    if args.json {
        return print_json(ctx, &Value::Array(everything));
    }
    Ok(())
}

fn list_tagged(ctx: &mut Ctx, args: &ListTaggedArgs) -> Result<()> {
    ctx.connect_anonymous()?;
    let quiet = args.quiet || ctx.options.quiet;
    let latest = match (args.latest_n, args.latest) {
        (Some(n), _) => Value::Int(n),
        (None, true) => Value::Bool(true),
        (None, false) => Value::Nil,
    };
    let mut keywords = vec![
        ("latest", latest),
        (
            "inherit",
            if args.inherit {
                Value::Bool(true)
            } else {
                Value::Nil
            },
        ),
    ];
    if let Some(package) = &args.package {
        keywords.push(("package", Value::from(package.as_str())));
    }
    let rpms = args.rpms || args.arch.is_some() || args.sigs;
    if let Some(arch) = &args.arch {
        keywords.push(("arch", Value::from(arch.as_str())));
    }
    if args.sigs {
        keywords.push(("rpmsigs", Value::Bool(true)));
    }
    if let Some(kind) = &args.build_type {
        keywords.push(("type", Value::from(kind.as_str())));
    }
    let event = if quiet {
        args.event.resolve(ctx)?
    } else {
        announce_event(ctx, &args.event)?
    };
    if let Some(event) = &event {
        keywords.push(("event", Value::Int(event.id)));
    }
    let event_id = event.as_ref().map_or(Value::Nil, |e| Value::Int(e.id));
    let tag = ctx.call_kw(
        "getTag",
        vec![Value::from(args.tag.as_str())],
        vec![("event", event_id)],
    )?;
    if !tag.truthy() {
        return Err(Error::Usage(format!("No such tag: {}", args.tag)));
    }
    let mut lines: Vec<String> = Vec::new();
    if rpms {
        let result = ctx.call_kw("listTaggedRPMS", vec![Value::from(args.tag.as_str())], keywords)?;
        if args.json {
            return print_json(ctx, &result);
        }
        let rpms = result
            .as_array()
            .and_then(|r| r.first())
            .cloned()
            .unwrap_or_default();
        for rpm in rpms.as_array().unwrap_or_default() {
            let draft = if rpm.get("draft").is_some_and(Value::truthy) {
                format!(" (,draft_{})", field_i64(rpm, "build_id").unwrap_or_default())
            } else {
                String::new()
            };
            let mut line = format!(
                "{}-{}-{}.{}{draft}",
                field_str(rpm, "name"),
                field_str(rpm, "version"),
                field_str(rpm, "release"),
                field_str(rpm, "arch")
            );
            if args.sigs {
                line = format!("{} {line}", py_str(rpm.get("sigkey").unwrap_or(&Value::Nil)));
            }
            lines.push(line);
        }
    } else {
        let builds = ctx.call_kw("listTagged", vec![Value::from(args.tag.as_str())], keywords)?;
        if args.json {
            return print_json(ctx, &builds);
        }
        for build in builds.as_array().unwrap_or_default() {
            lines.push(format!(
                "{:<40}  {:<20}  {}",
                field_str(build, "nvr"),
                field_str(build, "tag_name"),
                field_str(build, "owner_name")
            ));
        }
        if !quiet {
            writeln!(ctx.out, "{:<40}  {:<20}  Built by", "Build", "Tag")?;
            writeln!(
                ctx.out,
                "{}  {}  {}",
                "-".repeat(40),
                "-".repeat(20),
                "-".repeat(16)
            )?;
        }
    }
    lines.sort();
    for line in lines {
        writeln!(ctx.out, "{line}")?;
    }
    Ok(())
}

fn tag_build(ctx: &mut Ctx, tag: &str, builds: &[String], force: bool, wait: bool) -> Result<()> {
    ctx.connect_login()?;
    let mut tasks = Vec::new();
    for build in builds {
        let task_id = ctx.call_kw(
            "tagBuild",
            vec![Value::from(tag), Value::from(build.as_str())],
            vec![("force", if force { Value::Bool(true) } else { Value::Nil })],
        )?;
        let task_id = task_id.as_i64().unwrap_or_default();
        writeln!(ctx.out, "Created task {task_id}")?;
        tasks.push(task_id);
    }
    if !wait {
        return Ok(());
    }
    ctx.logout();
    let quiet = ctx.options.quiet;
    watch_tasks(ctx, &tasks, quiet)
}

/// `name-version-release` of a `tag_listing` history row.
fn listing_nvr(row: &Value) -> String {
    format!(
        "{}-{}-{}",
        field_str(row, "name"),
        field_str(row, "version"),
        field_str(row, "release")
    )
}

fn untag_build(ctx: &mut Ctx, args: &UntagBuildArgs) -> Result<()> {
    if !(args.non_latest && args.force) && args.builds.is_empty() {
        return Err(Error::Usage(
            "This command takes at least two arguments: a tag name/ID and one or more package n-v-r's or package names"
                .into(),
        ));
    }
    ctx.connect_login()?;
    let tag = get_tag(ctx, &args.tag)?.ok_or_else(|| Error::Usage(format!("No such tag: {}", args.tag)))?;
    let history = |ctx: &Ctx, key: &str, names: &[String]| -> Result<Vec<Value>> {
        let calls = names
            .iter()
            .map(|name| {
                entry(
                    "queryHistory",
                    vec![],
                    vec![
                        ("tag", Value::from(args.tag.as_str())),
                        (key, Value::from(name.as_str())),
                        ("active", Value::Bool(true)),
                    ],
                )
            })
            .collect();
        Ok(multicall_strict(ctx, calls)?
            .iter()
            .flat_map(|r| {
                r.get("tag_listing")
                    .and_then(Value::as_array)
                    .unwrap_or_default()
                    .to_vec()
            })
            .collect())
    };
    let mut builds: Vec<Value> = if args.all {
        history(ctx, "package", &args.builds)?
    } else if args.non_latest {
        let mut tagged = if args.force && args.builds.is_empty() {
            let all = ctx.call_kw(
                "queryHistory",
                vec![],
                vec![
                    ("tag", Value::from(args.tag.as_str())),
                    ("active", Value::Bool(true)),
                ],
            )?;
            all.get("tag_listing")
                .and_then(Value::as_array)
                .unwrap_or_default()
                .to_vec()
        } else {
            history(ctx, "package", &args.builds)?
        };
        tagged.sort_by_key(|row| std::cmp::Reverse(field_i64(row, "create_event")));
        let mut seen: HashMap<String, ()> = HashMap::new();
        let mut older = Vec::new();
        for row in tagged {
            let name = field_str(&row, "name").to_owned();
            if seen.contains_key(&name) {
                older.push(row);
            } else if args.verbose {
                writeln!(
                    ctx.out,
                    "Leaving latest build for package {name}: {}",
                    listing_nvr(&row)
                )?;
            }
            seen.insert(name, ());
        }
        older
    } else {
        let mut names: Vec<String> = args
            .builds
            .iter()
            .map(|nvr| nvr.rsplitn(3, '-').nth(2).unwrap_or(nvr).to_owned())
            .collect();
        names.sort();
        names.dedup();
        let tagged = history(ctx, "pkg", &names)?;
        let mut found = Vec::new();
        for nvr in &args.builds {
            match tagged.iter().find(|row| listing_nvr(row) == *nvr) {
                Some(row) => found.push(row.clone()),
                None => {
                    let info = ctx.call("getBuild", vec![Value::from(nvr.as_str())])?;
                    if info.is_nil() {
                        crate::warn(&format!("No such build: {nvr}"));
                    } else {
                        crate::warn(&format!("Build {nvr} not in tag {}", field_str(&tag, "name")));
                    }
                    if !args.force {
                        return Err(Error::Exit(1));
                    }
                }
            }
        }
        found
    };
    builds.reverse();
    let mut calls = Vec::new();
    for row in &builds {
        let nvr = listing_nvr(row);
        if args.test {
            writeln!(ctx.out, "would have untagged {nvr}")?;
            continue;
        }
        if args.verbose {
            writeln!(ctx.out, "untagging {nvr}")?;
        }
        calls.push(entry(
            "untagBuild",
            vec![Value::from(field_str(&tag, "name")), Value::from(nvr)],
            vec![("force", if args.force { Value::Bool(true) } else { Value::Nil })],
        ));
    }
    multicall_strict(ctx, calls)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_states() {
        let build = Value::structure([
            ("name", Value::from("foo")),
            ("version", Value::from("1")),
            ("release", Value::from("2.fc40")),
            ("volume_name", Value::from("DEFAULT")),
        ]);
        assert_eq!(build_dir("/mnt/koji", &build), "/mnt/koji/packages/foo/1/2.fc40");
        let rpm = Value::structure([
            ("name", Value::from("foo")),
            ("version", Value::from("1")),
            ("release", Value::from("2.fc40")),
            ("arch", Value::from("noarch")),
        ]);
        assert_eq!(rpm_path(&rpm), "noarch/foo-1-2.fc40.noarch.rpm");
        assert_eq!(build_state_code("COMPLETE"), Some(1));
        assert_eq!(build_state(Some(4)), "CANCELED");
        assert_eq!(changelog_date("2024-01-03"), "Wed Jan 03 2024");
    }
}
