//! The hub's repo loop, doing what kojira and Koji's `repo.checkQueue` do, one hub at a time
//! (an advisory lock):
//!
//! - automatic requests: a tag that is the build tag of a target (or has `repo.auto`) and has
//!   changed, itself or through its inheritance, since its newest repo gets a request; while
//!   such a request waits for a task, newer changes only raise its `min_event`;
//! - the queue: finished tasks are checked (a failed or canceled one is retried up to
//!   `retries` times, and its INIT repo marked PROBLEM); waiting requests get `newRepo` tasks,
//!   at most one unfinished task per tag and options, at most `max_tasks` at once, and
//!   automatic requests only once their tag has been quiet for `debounce_seconds` (or they
//!   have waited `max_delay_seconds`). A task made for a request also serves every other
//!   request of the same tag and options waiting then; requests made while it runs get
//!   exactly one follow-up task;
//! - housekeeping: `end_event` of current repos, expiring READY repos older than the newest
//!   `keep_ready`, deleting EXPIRED and PROBLEM ones after `delete_after_seconds` (keeping the
//!   newest `keep_newest` of each tag and any a live buildroot uses), forgetting fulfilled
//!   requests after `request_clean_seconds`.
//!
//! The loop wakes on `kiln_tag_content` and `kiln_repo_work` notifications, and polls every
//! `check_interval_seconds` in case one was missed.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::states::{RepoState, TaskState};
use common::xmlrpc::{STARSTAR, Value};
use tracing::{info, warn};

use crate::config::RepoConfig;
use crate::ctx::Ctx;
use crate::db::repos::{NewRequest, RepoFilter, RepoOpts, RequestFilter, RequestRow};
use crate::db::{self, Tx};
use crate::error::Result;
use crate::repos::layout;
use crate::root::inheritance::tag_and_ancestors;
use crate::rpc::run::Conn;
use crate::tasks::create::{TaskSpec, create};

/// The advisory lock key of the repo loop.
const REPO_LOCK_KEY: i64 = 0x6b69_6c6e_5245_5031;

/// The priority of automatic requests (Koji: 20 + 5).
const AUTO_PRIORITY: i32 = 25;

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    /// Another hub held the lock; nothing was done.
    pub skipped: bool,
    /// Automatic requests made.
    pub requests_made: usize,
    /// newRepo tasks made.
    pub tasks_made: Vec<i64>,
    /// Requests retried after their task failed.
    pub retried: usize,
    /// Repos expired.
    pub expired: usize,
    /// Repos deleted.
    pub deleted: usize,
    /// Seconds until a waiting request's debounce ends, if one is waiting for that.
    pub next_due_seconds: Option<f64>,
}

/// Runs the loop until the task is aborted.
pub async fn run(ctx: Arc<Ctx>) {
    let config = ctx.config.repos.clone();
    if !config.enabled {
        return;
    }
    let mut work = ctx.wakeups.repo_work();
    let poll = Duration::from_secs_f64(config.check_interval_seconds);
    loop {
        let wait = match check_once(&ctx).await {
            Ok(report) => report.next_due_seconds.map_or(poll, |s| {
                Duration::from_secs_f64(s.clamp(0.05, config.check_interval_seconds))
            }),
            Err(e) => {
                warn!(error = %e, "the repo check failed: {e}");
                poll
            }
        };
        tokio::select! {
            _ = work.changed() => {
                // Let a burst of changes settle a little before looking again.
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            () = tokio::time::sleep(wait) => {}
        }
    }
}

/// Runs one pass in its own transaction.
pub async fn check_once(ctx: &Ctx) -> Result<Report> {
    let mut conn = Conn::get(ctx).await?;
    conn.begin().await?;
    let tx = Tx::assume_begun(conn.client()?);
    let result = pass(ctx, &tx).await;
    match result {
        Ok((report, removed)) => {
            conn.commit().await?;
            let topdir = ctx.config.topdir.clone();
            let _ = tokio::task::spawn_blocking(move || {
                for (repo_id, tag_name) in removed {
                    if let Err(e) = layout::remove(&topdir, &tag_name, repo_id) {
                        warn!(repo.id = repo_id, error = %e, "cannot remove repo {repo_id}: {e}");
                    }
                }
            })
            .await;
            Ok(report)
        }
        Err(e) => {
            conn.rollback().await;
            Err(e)
        }
    }
}

fn now_seconds() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

type Removed = Vec<(i64, String)>;

async fn pass(ctx: &Ctx, tx: &Tx<'_>) -> Result<(Report, Removed)> {
    let config = &ctx.config.repos;
    if !db::scheduler::try_lock(tx, REPO_LOCK_KEY).await? {
        return Ok((
            Report {
                skipped: true,
                ..Report::default()
            },
            Vec::new(),
        ));
    }
    let mut queue_user = QueueUser {
        name: &config.queue_user,
        id: db::repos::user_id(tx, &config.queue_user).await?,
    };
    let mut report = Report::default();
    mark_failed_repos(tx).await?;
    report.requests_made = auto_requests(tx, &mut queue_user).await?;
    check_queue(tx, config, &mut queue_user, &mut report).await?;
    update_end_events(tx).await?;
    for repo_id in db::repos::expirable(tx, config.keep_ready).await? {
        db::repos::set_state(tx, repo_id, RepoState::Expired).await?;
        report.expired += 1;
    }
    let removed = db::repos::deletable(tx, config.delete_after_seconds, config.keep_newest).await?;
    for (repo_id, tag_name) in &removed {
        db::repos::set_state(tx, *repo_id, RepoState::Deleted).await?;
        info!(repo.id = repo_id, tag.name = %tag_name, "deleted repo {repo_id} of {tag_name}");
    }
    report.deleted = removed.len();
    db::repos::clean_requests(tx, config.request_clean_seconds).await?;
    Ok((report, removed))
}

/// The user the loop's requests and tasks belong to, created the first time it is needed
/// (so a hub that never makes a repo has no such user).
struct QueueUser<'a> {
    name: &'a str,
    id: Option<i64>,
}

impl QueueUser<'_> {
    async fn get(&mut self, tx: &Tx<'_>) -> Result<i64> {
        if let Some(id) = self.id {
            return Ok(id);
        }
        let id = db::repos::create_queue_user(tx, self.name).await?;
        self.id = Some(id);
        Ok(id)
    }
}

/// INIT repos whose task failed or was canceled will never be finished: PROBLEM.
async fn mark_failed_repos(tx: &Tx<'_>) -> Result<()> {
    let filter = RepoFilter {
        states: Some(vec![RepoState::Init]),
        ..RepoFilter::default()
    };
    for repo in db::repos::query(tx, &filter).await? {
        let failed = repo
            .task_state
            .is_some_and(|s| s == TaskState::Failed.code() || s == TaskState::Canceled.code());
        if failed {
            db::repos::set_state(tx, repo.id, RepoState::Problem).await?;
            warn!(
                repo.id = repo.id,
                task.id = repo.task_id,
                "repo {} of {}: its task did not finish; marked PROBLEM",
                repo.id,
                repo.tag_name
            );
        }
    }
    Ok(())
}

/// Requests a repo for every automatic tag that changed since its newest repo.
async fn auto_requests(tx: &Tx<'_>, queue_user: &mut QueueUser<'_>) -> Result<usize> {
    let default_opts = RepoOpts::new();
    let mut made = 0;
    for tag_id in db::repos::auto_tags(tx).await? {
        let Some(tag) = db::tags::get(tx, &db::names::NameOrId::Id(tag_id), None).await? else {
            continue;
        };
        if tag.arches.as_deref().unwrap_or("").trim().is_empty() {
            continue;
        }
        let tags = tag_and_ancestors(tx, tag_id, None).await?;
        let Some(last) = db::history::last_change_event(tx, &tags, None).await? else {
            continue;
        };
        let current = RepoFilter {
            tag_id: Some(tag_id),
            dist: Some(false),
            states: Some(vec![RepoState::Init, RepoState::Ready]),
            custom_within: Some(default_opts.clone()),
            min_event: Some(last),
            limit: Some(1),
            ..RepoFilter::default()
        };
        if !db::repos::query(tx, &current).await?.is_empty() {
            continue;
        }
        let waiting = RequestFilter {
            tag_id: Some(tag_id),
            active: Some(true),
            opts: Some(default_opts.clone()),
            without_repo: true,
            ..RequestFilter::default()
        };
        let waiting = db::repos::requests(tx, &waiting).await?;
        if waiting.iter().any(|r| r.min_event.is_some_and(|m| m >= last)) {
            continue;
        }
        if let Some(open) = waiting
            .iter()
            .find(|r| Some(r.owner) == queue_user.id && r.task_id.is_none() && r.at_event.is_none())
        {
            db::repos::raise_min_event(tx, open.id, last).await?;
            continue;
        }
        db::repos::insert_request(
            tx,
            &NewRequest {
                owner: queue_user.get(tx).await?,
                priority: AUTO_PRIORITY,
                tag_id,
                at_event: None,
                min_event: Some(last),
                opts: default_opts.clone(),
            },
        )
        .await?;
        made += 1;
    }
    Ok(made)
}

/// The requests one task serves: tag, `at_event` and options.
type GroupKey = (i64, Option<i64>, Vec<(String, bool)>);

/// The key of requests one task serves.
fn group_key(request: &RequestRow) -> GroupKey {
    (
        request.tag_id,
        request.at_event,
        request.opts.iter().map(|(k, v)| (k.clone(), *v)).collect(),
    )
}

async fn check_queue(
    tx: &Tx<'_>,
    config: &RepoConfig,
    queue_user: &mut QueueUser<'_>,
    report: &mut Report,
) -> Result<()> {
    let filter = RequestFilter {
        active: Some(true),
        without_repo: true,
        for_update: true,
        ..RequestFilter::default()
    };
    let mut waiting = db::repos::requests(tx, &filter).await?;
    let mut running_tasks: HashSet<i64> = HashSet::new();
    let mut in_flight: HashSet<GroupKey> = HashSet::new();
    // First pass: the tasks requests already have.
    for request in &mut waiting {
        let Some(task_id) = request.task_id else {
            continue;
        };
        let state = request.task_state.and_then(TaskState::from_code);
        let retry = match state {
            Some(TaskState::Closed) => match db::repos::repo_of_task(tx, task_id).await? {
                Some(repo) if repo.state == RepoState::Ready => {
                    // repoDone fulfils requests; this one was not satisfied by the repo.
                    let satisfied = match request.at_event {
                        Some(at) => repo.create_event == at,
                        None => request.min_event.is_none_or(|m| repo.create_event >= m),
                    };
                    if satisfied {
                        db::repos::fulfil_requests(tx, &repo).await?;
                        request.active = false;
                        continue;
                    }
                    true
                }
                _ => true,
            },
            Some(TaskState::Failed | TaskState::Canceled) | None => true,
            Some(_) => {
                running_tasks.insert(task_id);
                in_flight.insert(group_key(request));
                false
            }
        };
        if retry {
            if request.tries > config.retries {
                warn!(
                    request.id = request.id,
                    "repo request {}: retries exhausted", request.id
                );
                db::repos::deactivate_request(tx, request.id).await?;
                request.active = false;
            } else {
                db::repos::set_request_task(tx, request.id, None, request.tries).await?;
                request.task_id = None;
                report.retried += 1;
            }
        }
    }
    // Second pass: tasks for the requests without one.
    let now = now_seconds();
    let mut made_for: HashMap<GroupKey, i64> = HashMap::new();
    for request in waiting.iter().filter(|r| r.active && r.task_id.is_none()) {
        let key = group_key(request);
        if let Some(task_id) = made_for.get(&key) {
            db::repos::set_request_task(tx, request.id, Some(*task_id), request.tries + 1).await?;
            continue;
        }
        // A repo made meanwhile (say by a newer request) may already satisfy it.
        if let Some(repo) = crate::root::repos::best_repo(
            tx,
            request.tag_id,
            request.min_event,
            request.at_event,
            &request.opts,
        )
        .await?
        {
            db::repos::fulfil_requests(tx, &repo).await?;
            continue;
        }
        if in_flight.contains(&key) {
            continue;
        }
        if running_tasks.len() >= config.max_tasks {
            break;
        }
        if Some(request.owner) == queue_user.id {
            let quiet = now - request.update_time.koji_ts();
            let age = now - request.create_time.koji_ts();
            if quiet < config.debounce_seconds && age < config.max_delay_seconds {
                let due = (config.debounce_seconds - quiet).min(config.max_delay_seconds - age);
                report.next_due_seconds = Some(report.next_due_seconds.map_or(due, |d: f64| d.min(due)));
                continue;
            }
        }
        let owner = queue_user.get(tx).await?;
        let task_id = make_task(tx, request, owner).await?;
        db::repos::set_request_task(tx, request.id, Some(task_id), request.tries + 1).await?;
        info!(
            task.id = task_id,
            request.id = request.id,
            tag.name = %request.tag_name,
            "created newRepo task {task_id} for repo request {} ({})",
            request.id,
            request.tag_name
        );
        running_tasks.insert(task_id);
        made_for.insert(key, task_id);
        report.tasks_made.push(task_id);
    }
    Ok(())
}

async fn make_task(tx: &Tx<'_>, request: &RequestRow, queue_user: i64) -> Result<i64> {
    let mut kwargs = vec![("opts".to_owned(), crate::repos::opts::to_value(&request.opts))];
    if let Some(at) = request.at_event {
        kwargs.push(("event".to_owned(), Value::Int(at)));
    }
    kwargs.push((STARSTAR.to_owned(), Value::Bool(true)));
    let tag_spec = Value::structure([
        ("id", Value::Int(request.tag_id)),
        ("name", Value::from(request.tag_name.clone())),
    ]);
    let spec = TaskSpec {
        method: "newRepo".into(),
        args: vec![tag_spec, Value::Struct(kwargs.into_iter().collect())],
        owner: Some(queue_user),
        channel: Some(Value::from("createrepo")),
        priority: Some(15),
        ..TaskSpec::default()
    };
    create(tx, Some(queue_user), spec).await
}

/// Records the first change after each current READY repo's snapshot.
async fn update_end_events(tx: &Tx<'_>) -> Result<()> {
    let mut unchanged: HashMap<i64, i64> = HashMap::new();
    for (repo_id, tag_id, create_event) in db::repos::without_end_event(tx).await? {
        if unchanged.get(&tag_id).is_some_and(|last| *last <= create_event) {
            continue;
        }
        let tags = tag_and_ancestors(tx, tag_id, Some(create_event)).await?;
        match db::history::first_change_event(tx, &tags, create_event).await? {
            Some(end) => db::repos::set_end_event(tx, repo_id, end).await?,
            None => {
                unchanged.insert(tag_id, create_event);
            }
        }
    }
    Ok(())
}
