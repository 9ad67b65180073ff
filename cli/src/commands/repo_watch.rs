//! Koji's `RepoWatcher` (`koji.util`): waiting for a tag's repo through `repo.get`, or through a
//! request (`repo.request`, `repo.checkRequest`), until one matches the events, options and,
//! for `wait-repo --build`, holds the builds (Koji's `checkForBuilds`), within a time limit.

use std::io::Write;
use std::time::{Duration, Instant};

use common::xmlrpc::Value;

use crate::commands::args::is_nvr;
use crate::commands::tasks::state_name;
use crate::commands::{field_i64, field_str};
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::output::table::py_str;

/// The oldest event a repo may be from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MinEvent {
    /// Any.
    Unset,
    /// The tag's last change (`"last"`).
    Last,
    /// This event.
    At(i64),
}

/// Koji's `RepoWatcher`: a tag, the events a repo must match, polling and a time limit.
pub(crate) struct Watcher {
    tag_id: i64,
    tag_name: String,
    min_event: Option<i64>,
    at_event: Option<i64>,
    opts: Value,
    pause: Duration,
    timeout: Duration,
    start: Option<Instant>,
    verbose: bool,
    /// Builds a repo must hold (`wait-repo --build`), as typed and split.
    builds: Vec<Nvr>,
}

/// An N-V-R split as Koji's `parse_NVR` splits it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Nvr {
    pub(crate) text: String,
    pub(crate) name: String,
    pub(crate) version: String,
    pub(crate) release: String,
}

impl Nvr {
    /// Koji's `parse_NVR`, failing with its message.
    pub(crate) fn parse(text: &str) -> Result<Nvr> {
        let invalid = || Error::Failed(format!("GenericError: invalid format: {text}"));
        if !is_nvr(text) {
            return Err(invalid());
        }
        let (head, release) = text.rsplit_once('-').ok_or_else(invalid)?;
        let (name, version) = head.rsplit_once('-').ok_or_else(invalid)?;
        // An epoch prefix (`1:name`) is not part of the name.
        let name = name.split_once(':').map_or(name, |(_, n)| n);
        Ok(Nvr {
            text: text.to_owned(),
            name: name.to_owned(),
            version: version.to_owned(),
            release: release.to_owned(),
        })
    }

    /// `%(name)s-%(version)s-%(release)s`.
    pub(crate) fn text_without_epoch(&self) -> String {
        format!("{}-{}-{}", self.name, self.version, self.release)
    }
}

/// `koji.util.printList`: `a`, `a and b`, `a, b, and c`.
fn print_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [a, b] => format!("{a} and {b}"),
        [init @ .., last] => format!("{}, and {last}", init.join(", ")),
    }
}

impl Watcher {
    pub(crate) fn new(
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
            builds: Vec::new(),
        })
    }

    /// Also requires these builds in the repo.
    pub(crate) fn with_builds(mut self, builds: Vec<Nvr>) -> Watcher {
        self.builds = builds;
        self
    }

    /// `checkForBuilds`: every build is in the tag (through inheritance) as of `event`
    /// (`None`: now).
    fn builds_present(&self, ctx: &Ctx, event: Option<i64>) -> Result<bool> {
        for build in &self.builds {
            let tagged = ctx.call_kw(
                "listTagged",
                vec![Value::Int(self.tag_id)],
                vec![
                    ("event", Value::from(event)),
                    ("package", Value::from(build.name.as_str())),
                    ("inherit", Value::Bool(true)),
                ],
            )?;
            let found = tagged.as_array().unwrap_or_default().iter().any(|t| {
                field_str(t, "version") == build.version && field_str(t, "release") == build.release
            });
            if !found {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// The N-V-Rs as Python prints a list of them: `['foo-1-1', 'bar-2-1']`.
    fn nvr_list(&self) -> String {
        let quoted: Vec<String> = self.builds.iter().map(|b| format!("'{}'", b.text)).collect();
        format!("[{}]", quoted.join(", "))
    }

    /// `RepoWatcher.wait_builds`: polls until every build is in the tag.
    fn wait_builds(&mut self, ctx: &mut Ctx) -> Result<()> {
        self.started();
        let line = format!("Waiting for nvrs {} in tag {}", self.nvr_list(), self.tag_name);
        self.info(ctx, &line)?;
        loop {
            if self.builds_present(ctx, None)? {
                return Ok(());
            }
            if self.timed_out() {
                let waited = self.waited();
                let nvrs: Vec<String> = self.builds.iter().map(|b| b.text.clone()).collect();
                return Err(Error::Failed(format!(
                    "Failed to get repo -- Unsuccessfully waited {waited} for {} to appear in the {} repo",
                    print_list(&nvrs),
                    self.tag_name
                )));
            }
            std::thread::sleep(self.pause);
        }
    }

    /// `RepoWatcher.check_repo`: the repo matches, and holds the builds as of its event.
    fn check_repo(&self, ctx: &mut Ctx, repo: &Value) -> Result<bool> {
        if !self.matches_repo(repo) {
            return Ok(false);
        }
        if self.builds.is_empty() {
            return Ok(true);
        }
        let event = field_i64(repo, "create_event");
        if self.builds_present(ctx, event)? {
            return Ok(true);
        }
        self.info(ctx, "Got repo without needed builds")?;
        Ok(false)
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

    pub(crate) fn request(&self, ctx: &mut Ctx, min_event: Option<i64>) -> Result<Value> {
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

    /// Whether a repo satisfies the watcher's tag, events and options.
    fn matches_repo(&self, repo: &Value) -> bool {
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
    pub(crate) fn wait_request(&mut self, ctx: &mut Ctx, request: &Value) -> Result<Value> {
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
    pub(crate) fn wait_repo(&mut self, ctx: &mut Ctx, anonymous: bool) -> Result<Value> {
        let line = format!("Waiting on repo for {}", self.tag_name);
        self.info(ctx, &line)?;
        self.started();
        let mut min_event = self.min_event;
        let mut request: Option<Value> = None;
        loop {
            if let Some(req) = request.take() {
                let repo = self.wait_request(ctx, &req)?;
                if self.check_repo(ctx, &repo)? {
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
                if repo.truthy() && self.check_repo(ctx, &repo)? {
                    return Ok(repo);
                }
            }
            if !self.builds.is_empty() {
                // No repo can hold the builds before they are tagged.
                self.wait_builds(ctx)?;
                min_event = ctx
                    .call("tagLastChangeEvent", vec![Value::Int(self.tag_id)])?
                    .as_i64();
            }
            if !anonymous {
                let check = self.request(ctx, min_event)?;
                match check.get("repo").filter(|r| r.truthy()) {
                    Some(repo) => {
                        if self.check_repo(ctx, repo)? {
                            return Ok(repo.clone());
                        }
                    }
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
            // Koji pauses before waiting on a request too. Koji's anonymous wait never gives up
            // once the builds are tagged; this one keeps to the time limit.
            std::thread::sleep(self.pause);
            if self.timed_out() {
                let waited = self.waited();
                return Err(Error::Failed(format!(
                    "Failed to get repo -- Unsuccessfully waited {waited} for a new {} repo",
                    self.tag_name
                )));
            }
        }
    }
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
            builds: Vec::new(),
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
        assert!(w.matches_repo(&repo(7, 100, plain.clone())));
        assert!(w.matches_repo(&repo(7, 150, plain.clone())));
        assert!(!w.matches_repo(&repo(7, 99, plain.clone())));
        assert!(!w.matches_repo(&repo(8, 150, plain.clone())));
        let at = watcher(Some(1), Some(120), Value::Nil);
        assert!(at.matches_repo(&repo(7, 120, plain.clone())));
        assert!(!at.matches_repo(&repo(7, 121, plain.clone())));
        let debuginfo = Value::structure([("debuginfo", Value::Bool(true))]);
        let with_opts = watcher(None, None, debuginfo.clone());
        assert!(with_opts.matches_repo(&repo(7, 1, debuginfo)));
        assert!(!with_opts.matches_repo(&repo(7, 1, plain)));
    }

    #[test]
    fn nvrs_split_as_koji_splits_them() {
        let nvr = Nvr::parse("foo-bar-1.2-3.fc40").unwrap();
        assert_eq!(
            (nvr.name.as_str(), nvr.version.as_str(), nvr.release.as_str()),
            ("foo-bar", "1.2", "3.fc40")
        );
        assert_eq!(Nvr::parse("1:foo-1-2").unwrap().text_without_epoch(), "foo-1-2");
        for bad in ["foo", "foo-1", "foo--1", "foo-1-"] {
            let Err(Error::Failed(message)) = Nvr::parse(bad) else {
                panic!("{bad} parsed");
            };
            assert_eq!(message, format!("GenericError: invalid format: {bad}"));
        }
    }

    #[test]
    fn lists_print_as_koji_prints_them() {
        let items = |n: usize| (1..=n).map(|i| format!("b-{i}-1")).collect::<Vec<_>>();
        assert_eq!(print_list(&items(1)), "b-1-1");
        assert_eq!(print_list(&items(2)), "b-1-1 and b-2-1");
        assert_eq!(print_list(&items(3)), "b-1-1, b-2-1, and b-3-1");
    }
}
