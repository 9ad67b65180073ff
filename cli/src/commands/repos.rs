//! Repo commands: `regen-repo`, `request-repo`, `wait-repo`, over the repo request calls of
//! Koji 1.35+ (`repo.request`, `repo.checkRequest`, `repo.get`) as Koji's `RepoWatcher`
//! (`repo_watch`) makes them; `regen-repo --make-task` creates a `newRepo` task directly.
//! `wait-repo --build` waits until the builds are tagged and a repo made after that holds them.

use std::io::Write;

use clap::Subcommand;
use common::xmlrpc::{Struct, Value};

use crate::commands::repo_watch::{MinEvent, Nvr, Watcher};
use crate::commands::tags::get_tag;
use crate::commands::tasks::watch_tasks;
use crate::commands::{field_i64, field_str};
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::output::table::py_str;

/// Repo commands.
#[derive(Debug, Subcommand)]
pub enum RepoCommand {
    /// Generate a current repo if there is not one
    RegenRepo(RegenRepoArgs),
    /// Request a repo for a tag
    RequestRepo(RequestRepoArgs),
    /// Wait for a repo to be regenerated
    WaitRepo(WaitRepoArgs),
}

/// Options `regen-repo` and `request-repo` share.
#[derive(Debug, Clone, clap::Args)]
#[expect(clippy::struct_excessive_bools, reason = "one field per Koji flag")]
pub struct RepoRequestOptions {
    /// The tag (or target, with --target)
    pub tag: String,
    /// Interpret the argument as a build target name
    #[arg(long)]
    pub target: bool,
    /// Wait on for regen to finish, even if running in the background
    #[arg(long, conflicts_with = "nowait")]
    pub wait: bool,
    /// Don't wait on for regen to finish
    #[arg(long)]
    pub nowait: bool,
    /// Include debuginfo rpms in repo
    #[arg(long)]
    pub debuginfo: bool,
    /// Include source rpms in each of repos
    #[arg(long, visible_alias = "src")]
    pub source: bool,
    /// Include source rpms in separate src repo
    #[arg(long, visible_alias = "separate-src")]
    pub separate_source: bool,
    /// Wait timeout (default: 120)
    #[arg(long, default_value_t = 120)]
    pub timeout: u64,
    /// More verbose output
    #[arg(short = 'v', long)]
    pub verbose: bool,
    /// Reduced output
    #[arg(long)]
    pub quiet: bool,
}

/// Arguments of `regen-repo`.
#[derive(Debug, clap::Args)]
pub struct RegenRepoArgs {
    /// The shared options.
    #[command(flatten)]
    pub request: RepoRequestOptions,
    /// Directly create a newRepo task
    #[arg(long)]
    pub make_task: bool,
}

/// Arguments of `request-repo`.
#[derive(Debug, clap::Args)]
pub struct RequestRepoArgs {
    /// The shared options.
    #[command(flatten)]
    pub request: RepoRequestOptions,
    /// Minimum event id for repo
    #[arg(long)]
    pub min_event: Option<i64>,
    /// Specific event id for repo
    #[arg(long)]
    pub at_event: Option<i64>,
    /// Use current event for tag
    #[arg(long, visible_alias = "last")]
    pub current: bool,
}

/// Arguments of `wait-repo`.
#[derive(Debug, clap::Args)]
pub struct WaitRepoArgs {
    /// The tag (or target, with --target)
    pub tag: String,
    /// Check that the given build is in the newly-generated repo (may be used multiple times)
    #[arg(long = "build", value_name = "NVR")]
    pub builds: Vec<String>,
    /// Interpret the argument as a build target name
    #[arg(long)]
    pub target: bool,
    /// Create a repo request (requires auth)
    #[arg(long, conflicts_with = "no_request")]
    pub request: bool,
    /// Do not create a repo request (the default)
    #[arg(long)]
    pub no_request: bool,
    /// Amount of time to wait (in minutes) before giving up (default: 120)
    #[arg(long, default_value_t = 120)]
    pub timeout: u64,
    /// Be verbose
    #[arg(short = 'v', long)]
    pub verbose: bool,
    /// Suppress output, success or failure will be indicated by the return value only
    #[arg(long)]
    pub quiet: bool,
}

impl RepoCommand {
    /// Runs the command.
    pub fn run(self, ctx: &mut Ctx) -> Result<()> {
        match self {
            RepoCommand::RegenRepo(args) if args.make_task => make_task(ctx, &args.request),
            RepoCommand::RegenRepo(args) => request_repo(ctx, &args.request, MinEvent::Last, None),
            RepoCommand::RequestRepo(args) => {
                let min_event = match (args.at_event, args.current, args.min_event) {
                    (Some(_), true, _) | (Some(_), _, Some(_)) => {
                        return Err(Error::Usage("Cannot specify both min-event and at-event".into()));
                    }
                    (None, true, Some(_)) => {
                        return Err(Error::Usage("Cannot specify both min-event and current".into()));
                    }
                    (None, true, None) => MinEvent::Last,
                    (None, false, Some(event)) => MinEvent::At(event),
                    _ => MinEvent::Unset,
                };
                request_repo(ctx, &args.request, min_event, args.at_event)
            }
            RepoCommand::WaitRepo(args) => wait_repo(ctx, &args),
        }
    }
}

/// The tag a repo command is about: the argument, or the build tag of a target.
fn resolve_tag(ctx: &Ctx, name: &str, target: bool) -> Result<Value> {
    if target {
        let info = ctx.call("getBuildTarget", vec![Value::from(name)])?;
        if !info.truthy() {
            return Err(Error::Usage(format!("No such build target: {name}")));
        }
        return ctx.call_kw(
            "getTag",
            vec![info.get("build_tag").cloned().unwrap_or_default()],
            vec![("strict", Value::Bool(true))],
        );
    }
    get_tag(ctx, name)?.ok_or_else(|| Error::Usage(format!("No such tag: {name}")))
}

fn repo_opts(options: &RepoRequestOptions) -> Value {
    let mut opts = Vec::new();
    if options.debuginfo {
        opts.push(("debuginfo", Value::Bool(true)));
    }
    if options.source {
        opts.push(("src", Value::Bool(true)));
    }
    if options.separate_source {
        opts.push(("separate_src", Value::Bool(true)));
    }
    if opts.is_empty() {
        Value::Nil
    } else {
        Value::structure(opts)
    }
}

fn print_repo(ctx: &mut Ctx, repo: &Value) -> Result<()> {
    let id = field_i64(repo, "id").unwrap_or_default();
    writeln!(ctx.out, "Got repo {id}")?;
    writeln!(
        ctx.out,
        "Repo info: {}/repoinfo?repoID={id}",
        ctx.options.config.weburl
    )?;
    Ok(())
}

/// `request-repo` (and `regen-repo`, its `--current` alias on 1.35+ hubs).
fn request_repo(
    ctx: &mut Ctx,
    options: &RepoRequestOptions,
    min_event: MinEvent,
    at_event: Option<i64>,
) -> Result<()> {
    ctx.connect_login()?;
    let tag = resolve_tag(ctx, &options.tag, options.target)?;
    if !tag.get("arches").is_some_and(Value::truthy) {
        crate::warn(&format!("Tag {} has an empty arch list", field_str(&tag, "name")));
    }
    let tag_id = field_i64(&tag, "id").unwrap_or_default();
    let verbose = options.verbose && !(options.quiet || ctx.options.quiet);
    let mut watcher = Watcher::new(
        ctx,
        tag_id,
        min_event,
        at_event,
        repo_opts(options),
        options.timeout,
        verbose,
    )?;
    let check = watcher.request(ctx, None)?;
    if let Some(repo) = check.get("repo").filter(|r| r.truthy()) {
        return print_repo(ctx, repo);
    }
    let request = check.get("request").cloned().unwrap_or_default();
    if !options.wait {
        writeln!(
            ctx.out,
            "Got request: {}",
            py_str(request.get("id").unwrap_or(&Value::Nil))
        )?;
        if let Some(task) = request.get("task_id").filter(|t| t.truthy()) {
            writeln!(ctx.out, "Got task: {}", py_str(task))?;
            writeln!(
                ctx.out,
                "Task info: {}/taskinfo?taskID={}",
                ctx.options.config.weburl,
                py_str(task)
            )?;
        }
        return Ok(());
    }
    let repo = watcher.wait_request(ctx, &request)?;
    print_repo(ctx, &repo)
}

/// `regen-repo --make-task`: a `newRepo` task, watched unless `--nowait` or not on a terminal.
fn make_task(ctx: &mut Ctx, options: &RepoRequestOptions) -> Result<()> {
    ctx.connect_login()?;
    let mut tag = options.tag.clone();
    let info = if options.target {
        let target = ctx.call("getBuildTarget", vec![Value::from(tag.as_str())])?;
        if !target.truthy() {
            return Err(Error::Usage(format!("No such build target: {tag}")));
        }
        tag = field_str(&target, "build_tag_name").to_owned();
        ctx.call_kw(
            "getTag",
            vec![Value::from(tag.as_str())],
            vec![("strict", Value::Bool(true))],
        )?
    } else {
        let info = get_tag(ctx, &tag)?.ok_or_else(|| Error::Usage(format!("No such tag: {tag}")))?;
        tag = field_str(&info, "name").to_owned();
        let targets = ctx.call_kw(
            "getBuildTargets",
            vec![],
            vec![("buildTagID", info.get("id").cloned().unwrap_or_default())],
        )?;
        if !targets.truthy() {
            crate::warn(&format!("{tag} is not a build tag"));
        }
        info
    };
    if !info.get("arches").is_some_and(Value::truthy) {
        crate::warn(&format!(
            "Tag {} has an empty arch list",
            field_str(&info, "name")
        ));
    }
    let keywords = match repo_opts(options) {
        Value::Struct(members) => members,
        _ => Struct::new(),
    };
    let task_id = ctx.call_params("newRepo", vec![Value::from(tag.as_str())], keywords)?;
    let task_id = task_id.as_i64().unwrap_or_default();
    writeln!(ctx.out, "Regenerating repo for tag: {tag}")?;
    writeln!(ctx.out, "Created task: {task_id}")?;
    writeln!(
        ctx.out,
        "Task info: {}/taskinfo?taskID={task_id}",
        ctx.options.config.weburl
    )?;
    let wait = options.wait || (!options.nowait && !crate::commands::builds::running_in_background());
    if !wait {
        return Ok(());
    }
    ctx.logout();
    let quiet = ctx.options.quiet;
    watch_tasks(ctx, &[task_id], quiet)
}

fn wait_repo(ctx: &mut Ctx, args: &WaitRepoArgs) -> Result<()> {
    let builds = args
        .builds
        .iter()
        .map(|text| Nvr::parse(text))
        .collect::<Result<Vec<Nvr>>>()?;
    let quiet = args.quiet || ctx.options.quiet;
    if args.request {
        ctx.connect_login()?;
    } else {
        if !args.no_request {
            crate::warn("The --request option is recommended for faster results");
        }
        ctx.connect_anonymous()?;
    }
    let tag = if args.target {
        resolve_tag(ctx, &args.tag, true)?
    } else {
        let tag = resolve_tag(ctx, &args.tag, false)?;
        let tag_id = tag.get("id").cloned().unwrap_or_default();
        let targets = ctx.call_kw("getBuildTargets", vec![], vec![("buildTagID", tag_id.clone())])?;
        if !targets.truthy() {
            crate::warn(&format!(
                "{} is not a build tag for any target",
                field_str(&tag, "name")
            ));
            let targets = ctx.call_kw("getBuildTargets", vec![], vec![("destTagID", tag_id)])?;
            let mut names: Vec<&str> = targets
                .as_array()
                .unwrap_or_default()
                .iter()
                .map(|t| field_str(t, "build_tag_name"))
                .collect();
            names.sort_unstable();
            names.dedup();
            if !names.is_empty() {
                crate::warn(&format!("Suggested tags: {}", names.join(", ")));
            }
        }
        tag
    };
    if !args.request
        && !tag
            .get("extra")
            .and_then(|e| e.get("repo.auto"))
            .is_some_and(Value::truthy)
    {
        crate::warn("This tag is not configured for automatic regeneration");
    }
    let tag_id = field_i64(&tag, "id").unwrap_or_default();
    let tag_name = field_str(&tag, "name").to_owned();
    for build in &builds {
        let latest = ctx.call_kw(
            "getLatestBuilds",
            vec![Value::Int(tag_id)],
            vec![("package", Value::from(build.name.as_str()))],
        )?;
        match latest.as_array().unwrap_or_default().first() {
            None => crate::warn(&format!("No {} builds in tag {tag_name}", build.name)),
            Some(present) if field_str(present, "nvr") != build.text_without_epoch() => {
                crate::warn(&format!(
                    "nvr {} is not current in tag {tag_name}\n  latest build is {}",
                    build.text_without_epoch(),
                    field_str(present, "nvr")
                ));
            }
            Some(_) => {}
        }
    }
    let verbose = args.verbose && !quiet;
    // With builds the repo need not be current, only hold them.
    let min_event = if builds.is_empty() {
        MinEvent::Last
    } else {
        MinEvent::Unset
    };
    let mut watcher =
        Watcher::new(ctx, tag_id, min_event, None, Value::Nil, args.timeout, verbose)?.with_builds(builds);
    let repo = match watcher.wait_repo(ctx, !args.request) {
        Ok(repo) => repo,
        Err(Error::Failed(_)) if quiet => return Err(Error::Exit(1)),
        Err(e) => return Err(e),
    };
    if !quiet {
        print_repo(ctx, &repo)?;
    }
    Ok(())
}
