//! Repo commands: `regen-repo`, `request-repo`, `wait-repo`, over the repo request calls of
//! Koji 1.35+ (`repo.request`, `repo.checkRequest`, `repo.get`) as Koji's `RepoWatcher` makes
//! them; `regen-repo --make-task` creates a `newRepo` task directly.

use std::io::Write;
use std::time::{Duration, Instant};

use clap::Subcommand;
use common::xmlrpc::{Struct, Value};

use crate::commands::tags::get_tag;
use crate::commands::tasks::{state_name, watch_tasks};
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

/// The oldest event a repo may be from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MinEvent {
    /// Any.
    Unset,
    /// The tag's last change (`"last"`).
    Last,
    /// This event.
    At(i64),
}

/// Koji's `RepoWatcher`: a tag, the events a repo must match, polling and a time limit.
struct Watcher {
    tag_id: i64,
    tag_name: String,
    min_event: Option<i64>,
    at_event: Option<i64>,
    opts: Value,
    pause: Duration,
    timeout: Duration,
    start: Option<Instant>,
    verbose: bool,
}

impl Watcher {
    fn new(
        ctx: &Ctx,
        tag_id: i64,
        min_event: MinEvent,
        at_event: Option<i64>,
        opts: Value,
        timeout_minutes: u64,
        verbose: bool,
    ) -> Result<Watcher> {
        let tag = ctx.call_kw(
            "getTag",
            vec![Value::Int(tag_id)],
            vec![("strict", Value::Bool(true))],
        )?;
        let min_event = match min_event {
            MinEvent::Unset => None,
            MinEvent::At(event) => Some(event),
            MinEvent::Last => ctx.call("tagLastChangeEvent", vec![Value::Int(tag_id)])?.as_i64(),
        };
        Ok(Watcher {
            tag_id,
            tag_name: field_str(&tag, "name").to_owned(),
            min_event,
            at_event,
            opts,
            pause: Duration::from_secs(ctx.config().poll_interval.max(1)),
            timeout: Duration::from_secs(timeout_minutes * 60),
            start: None,
            verbose,
        })
    }

    fn info(&self, ctx: &mut Ctx, message: &str) -> Result<()> {
        if self.verbose {
            writeln!(ctx.out, "{message}")?;
            ctx.out.flush()?;
        }
        Ok(())
    }

    fn started(&mut self) -> Instant {
        *self.start.get_or_insert_with(Instant::now)
    }

    /// `koji.util.duration`: `M:SS` since the start.
    fn waited(&mut self) -> String {
        let secs = self.started().elapsed().as_secs();
        format!("{}:{:02}", secs / 60, secs % 60)
    }

    fn timed_out(&mut self) -> bool {
        self.started().elapsed() > self.timeout
    }

    fn request(&self, ctx: &mut Ctx, min_event: Option<i64>) -> Result<Value> {
        self.info(ctx, "Requesting a repo")?;
        ctx.call_kw(
            "repo.request",
            vec![Value::Int(self.tag_id)],
            vec![
                ("min_event", Value::from(min_event.or(self.min_event))),
                ("at_event", Value::from(self.at_event)),
                ("opts", self.opts.clone()),
            ],
        )
    }

    /// Whether a repo satisfies the watcher (tag, event, options).
    fn check_repo(&self, repo: &Value) -> bool {
        if field_i64(repo, "tag_id") != Some(self.tag_id) {
            return false;
        }
        let created = field_i64(repo, "create_event").unwrap_or_default();
        if let Some(at) = self.at_event {
            if created != at {
                return false;
            }
        } else if let Some(min) = self.min_event
            && created < min
        {
            return false;
        }
        if !self.opts.is_nil() && repo.get("opts") != Some(&self.opts) {
            return false;
        }
        true
    }

    /// Polls `repo.checkRequest` until the request has a repo.
    fn wait_request(&mut self, ctx: &mut Ctx, request: &Value) -> Result<Value> {
        const WATCHED: [&str; 5] = ["task_id", "task_state", "repo_id", "active", "tries"];
        self.started();
        let mut seen: Vec<Value> = WATCHED
            .iter()
            .map(|f| request.get(f).cloned().unwrap_or_default())
            .collect();
        let request_id = request.get("id").cloned().unwrap_or_default();
        loop {
            let check = ctx.call("repo.checkRequest", vec![request_id.clone()])?;
            if let Some(repo) = check.get("repo").filter(|r| r.truthy()) {
                return Ok(repo.clone());
            }
            let current = check.get("request").cloned().unwrap_or_default();
            for (field, old) in WATCHED.iter().zip(seen.iter_mut()) {
                let new = current.get(field).cloned().unwrap_or_default();
                if *old != new {
                    let show = |v: &Value| {
                        if *field == "task_state" && !v.is_nil() {
                            state_name(v.as_i64()).to_owned()
                        } else {
                            py_str(v)
                        }
                    };
                    let line = format!("Request updated: {field}: {} -> {}", show(old), show(&new));
                    self.info(ctx, &line)?;
                    *old = new;
                }
            }
            if self.timed_out() {
                let waited = self.waited();
                return Err(Error::Failed(format!(
                    "Failed to get repo -- Unsuccessfully waited {waited} for a new {} repo",
                    self.tag_name
                )));
            }
            if !current.get("active").is_some_and(Value::truthy) {
                let message = match current.get("task_id").filter(|t| t.truthy()) {
                    Some(task) => format!(
                        "Repo request inactive: task {} state is {}",
                        py_str(task),
                        state_name(field_i64(&current, "task_state"))
                    ),
                    None => "Repo request no longer active".to_owned(),
                };
                return Err(Error::Failed(format!("Failed to get repo -- {message}")));
            }
            std::thread::sleep(self.pause);
        }
    }

    /// `RepoWatcher.waitrepo`: anonymously polls `repo.get`; otherwise requests and waits.
    fn wait_repo(&mut self, ctx: &mut Ctx, anonymous: bool) -> Result<Value> {
        let line = format!("Waiting on repo for {}", self.tag_name);
        self.info(ctx, &line)?;
        self.started();
        let mut min_event = self.min_event;
        let mut request: Option<Value> = None;
        loop {
            if let Some(req) = request.take() {
                let repo = self.wait_request(ctx, &req)?;
                if self.check_repo(&repo) {
                    return Ok(repo);
                }
                min_event = ctx
                    .call("tagLastChangeEvent", vec![Value::Int(self.tag_id)])?
                    .as_i64();
                writeln!(ctx.out, "Repo request did not satisfy conditions")?;
            } else if anonymous {
                let repo = ctx.call_kw(
                    "repo.get",
                    vec![Value::Int(self.tag_id)],
                    vec![
                        ("min_event", Value::from(min_event)),
                        ("at_event", Value::from(self.at_event)),
                        ("opts", self.opts.clone()),
                    ],
                )?;
                if repo.truthy() && self.check_repo(&repo) {
                    return Ok(repo);
                }
            }
            if !anonymous {
                let check = self.request(ctx, min_event)?;
                match check.get("repo").filter(|r| r.truthy()) {
                    Some(repo) if self.check_repo(repo) => return Ok(repo.clone()),
                    Some(_) => {}
                    None => {
                        let req = check.get("request").cloned().unwrap_or_default();
                        let line = format!("Got request: {}", py_str(req.get("id").unwrap_or(&Value::Nil)));
                        self.info(ctx, &line)?;
                        if min_event.is_none() {
                            min_event = field_i64(&req, "min_event");
                        }
                        request = Some(req);
                    }
                }
            }
            if self.timed_out() {
                let waited = self.waited();
                return Err(Error::Failed(format!(
                    "Failed to get repo -- Unsuccessfully waited {waited} for a new {} repo",
                    self.tag_name
                )));
            }
            if request.is_none() {
                std::thread::sleep(self.pause);
            }
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
    if !args.builds.is_empty() {
        return Err(Error::Failed(
            "Error: wait-repo --build needs the hub's build calls, which Kiln does not have yet".into(),
        ));
    }
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
    let verbose = args.verbose && !quiet;
    let mut watcher = Watcher::new(
        ctx,
        tag_id,
        MinEvent::Last,
        None,
        Value::Nil,
        args.timeout,
        verbose,
    )?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn watcher(min_event: Option<i64>, at_event: Option<i64>, opts: Value) -> Watcher {
        Watcher {
            tag_id: 7,
            tag_name: "f40-build".into(),
            min_event,
            at_event,
            opts,
            pause: Duration::ZERO,
            timeout: Duration::ZERO,
            start: None,
            verbose: false,
        }
    }

    fn repo(tag_id: i64, create_event: i64, opts: Value) -> Value {
        Value::structure([
            ("id", Value::Int(3)),
            ("tag_id", Value::Int(tag_id)),
            ("create_event", Value::Int(create_event)),
            ("opts", opts),
        ])
    }

    #[test]
    fn repos_must_match_tag_events_and_options() {
        let plain = Value::structure([("debuginfo", Value::Bool(false))]);
        let w = watcher(Some(100), None, Value::Nil);
        assert!(w.check_repo(&repo(7, 100, plain.clone())));
        assert!(w.check_repo(&repo(7, 150, plain.clone())));
        assert!(!w.check_repo(&repo(7, 99, plain.clone())));
        assert!(!w.check_repo(&repo(8, 150, plain.clone())));
        let at = watcher(Some(1), Some(120), Value::Nil);
        assert!(at.check_repo(&repo(7, 120, plain.clone())));
        assert!(!at.check_repo(&repo(7, 121, plain.clone())));
        let debuginfo = Value::structure([("debuginfo", Value::Bool(true))]);
        let with_opts = watcher(None, None, debuginfo.clone());
        assert!(with_opts.check_repo(&repo(7, 1, debuginfo)));
        assert!(!with_opts.check_repo(&repo(7, 1, plain)));
    }
}
