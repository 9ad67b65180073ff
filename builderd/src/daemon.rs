//! The daemon (Koji's `TaskManager`): logs in as its host, checks in, takes tasks up to its
//! capacity, runs each in a process of its own, watches them, and gives back what it cannot
//! finish.
//!
//! It learns of new work by long-polling `host.waitTasks` (Kiln), which returns as soon as the
//! hub has something for it or one of its tasks changes; against a hub without it, it polls
//! `host.getTasks` like kojid.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::FaultCode;
use common::client::{ClientConfig, ClientSession};
use common::states::TaskState;
use common::wire::{AssignedTask, HostTask, TaskInfo};
use common::xmlrpc::{Value, encode_call, encode_fault, from_value};
use nix::sys::signal::Signal;
use tracing::{debug, error, info, info_span, warn};

use crate::config::Config;
use crate::error::{Error, Result};
use crate::handler::{self, HandlerEntry};
use crate::launch::Launch;
use crate::process::{describe_exit, kill_group, spawn_task};
use crate::signals::StopFlag;

/// A task process this daemon started.
struct Running {
    child: Child,
    method: String,
    session_id: i64,
    /// When a kill was asked for: SIGTERM went out, SIGKILL follows at the deadline.
    kill: Option<Kill>,
    /// Since when the hub no longer lists the task as OPEN here: usually the process closed it
    /// and is about to exit, so the hub is asked why only if it is still running a moment
    /// later.
    vanished: Option<Instant>,
}

/// How long a process may run on after its task left the hub's OPEN list before the daemon
/// asks why (a canceled task is killed then).
const VANISH_GRACE: Duration = Duration::from_millis(300);

#[derive(Debug, Clone, Copy)]
struct Kill {
    deadline: Instant,
    escalated: bool,
}

/// The daemon's state.
pub struct Daemon<'a> {
    config: &'a Config,
    exe: PathBuf,
    registry: &'a [HandlerEntry],
    session: ClientSession,
    host_id: i64,
    running: BTreeMap<i64, Running>,
    /// Tasks this daemon opened, or tried to open, without starting their process (the hub
    /// went away in between): found OPEN on the hub, they are started rather than given back.
    /// The count is how often starting them failed.
    unstarted: BTreeMap<i64, u32>,
    stop: Arc<StopFlag>,
    /// The hub has Kiln's `host.waitTasks`.
    long_poll: bool,
    /// The last check-in: what was reported, and when.
    checked_in: Option<(f64, bool, Instant)>,
}

fn call(session: &ClientSession, method: &str, args: Vec<Value>) -> Result<Value> {
    session.call(method, args).map_err(|e| Error::hub(method, e))
}

fn call_kw(
    session: &ClientSession,
    method: &str,
    args: Vec<Value>,
    kwargs: Vec<(&str, Value)>,
) -> Result<Value> {
    session
        .call_kw(method, args, kwargs)
        .map_err(|e| Error::hub(method, e))
}

/// The client configuration of the daemon's own session.
pub fn client_config(config: &Config) -> ClientConfig {
    ClientConfig {
        cert: config.cert.clone(),
        serverca: config.serverca.clone(),
        timeout: Duration::from_secs_f64(config.poll_seconds + 60.0),
        max_retries: 2,
        retry_interval: Duration::from_secs_f64(config.retry_seconds),
        ..ClientConfig::new(config.server.clone())
    }
}

/// Logs in as the host and makes the session exclusive (closing a dead predecessor's with
/// `force_lock`).
pub fn connect(config: &Config) -> Result<ClientSession> {
    let session = ClientSession::new(client_config(config)).map_err(|e| Error::hub("login", e))?;
    match &config.password {
        Some(password) => session
            .login_password(&config.host, password)
            .map_err(|e| Error::hub("login", e))?,
        None => session
            .login_certificate()
            .map_err(|e| Error::hub("sslLogin", e))?,
    }
    session
        .exclusive(config.force_lock)
        .map_err(|e| Error::hub("exclusiveSession", e))?;
    Ok(session)
}

fn is_auth_failure(error: &Error) -> bool {
    error
        .fault()
        .is_some_and(|f| f.is(FaultCode::Auth) || f.is(FaultCode::AuthLock))
}

/// Sleeps up to `duration`, waking early when a stop is asked for.
fn nap(stop: &StopFlag, duration: Duration) {
    let deadline = Instant::now() + duration;
    while Instant::now() < deadline && !stop.immediate() {
        std::thread::sleep(Duration::from_millis(50).min(deadline - Instant::now()));
    }
}

/// Runs the daemon until a stop is asked for. `exe` is the binary task processes run.
pub fn run(config: &Config, exe: &Path, registry: &[HandlerEntry], stop: Arc<StopFlag>) -> Result<()> {
    let session = loop {
        match connect(config) {
            Ok(session) => break session,
            Err(e) if is_auth_failure(&e) => return Err(e),
            Err(e) => {
                warn!("cannot log in yet ({e}); retrying");
                nap(&stop, Duration::from_secs_f64(config.retry_seconds));
                if stop.graceful() {
                    return Ok(());
                }
            }
        }
    };
    let host_id = call(&session, "host.getID", vec![])?
        .as_i64()
        .ok_or_else(|| Error::Protocol {
            method: "host.getID".into(),
            detail: "not an id".into(),
        })?;
    let span = info_span!("builder", host.id = host_id, host.name = %config.host);
    let _entered = span.enter();
    info!(host.id = host_id, "logged in as host {}", config.host);
    let mut daemon = Daemon {
        config,
        exe: exe.to_path_buf(),
        registry,
        session,
        host_id,
        running: BTreeMap::new(),
        unstarted: BTreeMap::new(),
        stop,
        long_poll: true,
        checked_in: None,
    };
    daemon.free_held()?;
    let outcome = daemon.main_loop();
    daemon.shutdown();
    outcome
}

impl Daemon<'_> {
    /// Gives back tasks the hub says this host holds open: after a restart, no process of
    /// ours runs them any more.
    fn free_held(&self) -> Result<()> {
        let held = self.host_tasks()?;
        if held.is_empty() {
            return Ok(());
        }
        let ids: Vec<i64> = held.iter().map(|t| t.id).collect();
        warn!("freeing tasks {ids:?} held by a previous run of this builder");
        call(
            &self.session,
            "host.freeTasks",
            vec![Value::Array(ids.into_iter().map(Value::Int).collect())],
        )?;
        Ok(())
    }

    fn host_tasks(&self) -> Result<Vec<HostTask>> {
        let value = call(&self.session, "host.getHostTasks", vec![])?;
        from_value(value).map_err(|e| Error::Protocol {
            method: "host.getHostTasks".into(),
            detail: e.to_string(),
        })
    }

    fn main_loop(&mut self) -> Result<()> {
        let mut stopping_since: Option<Instant> = None;
        loop {
            if self.stop.immediate() {
                return Ok(());
            }
            if self.stop.graceful() {
                let since = *stopping_since.get_or_insert_with(Instant::now);
                if self.running.is_empty() {
                    return Ok(());
                }
                if since.elapsed() >= Duration::from_secs_f64(self.config.shutdown_grace_seconds) {
                    warn!("tasks still running after the shutdown grace period; stopping them");
                    return Ok(());
                }
            }
            match self.iteration() {
                Ok(()) => {}
                Err(e) if is_auth_failure(&e) => {
                    error!("the hub refused this builder's session: {e}");
                    return Err(e);
                }
                Err(e) => {
                    warn!("hub call failed ({e}); retrying");
                    self.reap();
                    nap(&self.stop, Duration::from_secs_f64(self.config.retry_seconds));
                }
            }
        }
    }

    fn iteration(&mut self) -> Result<()> {
        self.reap();
        let hub_open = self.host_tasks()?;
        self.reconcile(&hub_open)?;
        self.escalate_kills();
        let mine: Vec<&HostTask> = hub_open
            .iter()
            .filter(|t| self.running.contains_key(&t.id))
            .collect();
        let active: Vec<&&HostTask> = mine.iter().filter(|t| t.waiting != Some(true)).collect();
        let load = active.iter().fold(0.0_f64, |sum, t| sum + t.weight);
        let ready = !self.stop.graceful() && active.len() < self.config.maxjobs;
        self.check_in(load, ready)?;
        let tasks = self.wait_for_work()?;
        if ready {
            for task in tasks {
                self.take(&task);
            }
        }
        Ok(())
    }

    /// `host.updateHost`, when the load or readiness changed or the last check-in is getting
    /// old (the hub counts a host that stops checking in as gone).
    fn check_in(&mut self, load: f64, ready: bool) -> Result<()> {
        let heartbeat = Duration::from_secs_f64(self.config.poll_seconds);
        if let Some((last_load, last_ready, at)) = self.checked_in
            && (last_load - load).abs() < 1e-9
            && last_ready == ready
            && at.elapsed() < heartbeat
        {
            return Ok(());
        }
        let data = Value::structure([
            (
                "methods",
                Value::Array(self.registry.iter().map(|h| Value::from(h.method)).collect()),
            ),
            (
                "maxjobs",
                Value::Int(i64::try_from(self.config.maxjobs).unwrap_or(i64::MAX)),
            ),
        ]);
        call_kw(
            &self.session,
            "host.updateHost",
            vec![Value::Double(load), Value::Bool(ready)],
            vec![("data", data)],
        )?;
        self.checked_in = Some((load, ready, Instant::now()));
        Ok(())
    }

    /// How long the next wait may last: the poll interval, shortened while a kill is pending
    /// or the daemon is stopping.
    fn wait_seconds(&self) -> f64 {
        let mut seconds = self.config.poll_seconds;
        if self.stop.graceful() {
            seconds = seconds.min(0.5);
        }
        for running in self.running.values() {
            if let Some(kill) = running.kill {
                let left = kill
                    .deadline
                    .saturating_duration_since(Instant::now())
                    .as_secs_f64();
                seconds = seconds.min(left.max(0.05));
            }
            if let Some(since) = running.vanished {
                let left = (since + VANISH_GRACE)
                    .saturating_duration_since(Instant::now())
                    .as_secs_f64();
                seconds = seconds.min(left.max(0.05));
            }
        }
        if let Some((_, _, at)) = self.checked_in {
            let heartbeat = Duration::from_secs_f64(self.config.poll_seconds);
            let left = (at + heartbeat)
                .saturating_duration_since(Instant::now())
                .as_secs_f64();
            seconds = seconds.min(left.max(0.05));
        }
        seconds
    }

    fn wait_for_work(&mut self) -> Result<Vec<AssignedTask>> {
        let timeout = self.wait_seconds();
        let value = if self.long_poll {
            match call_kw(
                &self.session,
                "host.waitTasks",
                vec![],
                vec![("timeout", Value::Double(timeout))],
            ) {
                Err(e) if e.fault().is_some_and(|f| f.message.starts_with("Invalid method")) => {
                    info!("the hub has no host.waitTasks; polling host.getTasks instead");
                    self.long_poll = false;
                    call(&self.session, "host.getTasks", vec![])?
                }
                other => other?,
            }
        } else {
            let tasks = call(&self.session, "host.getTasks", vec![])?;
            if tasks.as_array().is_some_and(<[Value]>::is_empty) {
                nap(&self.stop, Duration::from_secs_f64(timeout));
            }
            tasks
        };
        from_value(value).map_err(|e| Error::Protocol {
            method: "host.waitTasks".into(),
            detail: e.to_string(),
        })
    }

    /// Takes one assigned task: refuse it without a handler, else open it, report its weight,
    /// give it a subsession and start its process.
    fn take(&mut self, task: &AssignedTask) {
        if task.state != TaskState::Assigned.code() || task.host_id != Some(self.host_id) {
            return;
        }
        if self.running.contains_key(&task.id) {
            return;
        }
        if let Err(e) = self.try_take(task) {
            warn!(
                task.id = task.id,
                "could not take task {} ({}): {e}", task.id, task.method
            );
        }
    }

    fn try_take(&mut self, task: &AssignedTask) -> Result<()> {
        let Some(entry) = handler::find(self.registry, &task.method) else {
            warn!(
                task.id = task.id,
                "no handler for method {}; refusing task {}", task.method, task.id
            );
            call_kw(
                &self.session,
                "host.refuseTask",
                vec![Value::Int(task.id)],
                vec![
                    ("soft", Value::Bool(false)),
                    (
                        "msg",
                        Value::from(format!("no handler for method {}", task.method)),
                    ),
                ],
            )?;
            return Ok(());
        };
        self.unstarted.entry(task.id).or_insert(0);
        let opened = call(&self.session, "host.openTask", vec![Value::Int(task.id)])?;
        if opened.is_nil() {
            self.unstarted.remove(&task.id);
            debug!(task.id = task.id, "task {} went elsewhere", task.id);
            return Ok(());
        }
        let info: TaskInfo = from_value(opened).map_err(|e| Error::Protocol {
            method: "host.openTask".into(),
            detail: e.to_string(),
        })?;
        self.start(info, entry)
    }

    /// Starts an opened task's process: reports its weight, gives it a subsession, spawns it.
    /// `info.request` is the raw request text.
    fn start(&mut self, info: TaskInfo, entry: HandlerEntry) -> Result<()> {
        let task_id = info.id;
        let method = info.method.clone();
        call(
            &self.session,
            "host.setTaskWeight",
            vec![Value::Int(task_id), Value::Double(entry.weight)],
        )?;
        let sub = self
            .session
            .subsession()
            .map_err(|e| Error::hub("subsession", e))?;
        let (session_id, session_key) = sub.credentials().ok_or_else(|| Error::Protocol {
            method: "subsession".into(),
            detail: "no credentials".into(),
        })?;
        let launch = Launch {
            server: self.config.server.clone(),
            serverca: self.config.serverca.clone(),
            session_id,
            session_key,
            task: info,
            workdir: self.config.workdir.clone(),
            topdir: self.config.topdir.clone(),
            log_upload_seconds: self.config.log_upload_seconds,
            wait_seconds: self.config.poll_seconds.max(1.0),
            retry_seconds: self.config.retry_seconds,
        };
        self.unstarted.remove(&task_id);
        match spawn_task(&self.exe, &launch) {
            Ok(child) => {
                info!(task.id = task_id, task.method = %method, pid = child.id(), "started task {task_id} ({method}) as process {}", child.id());
                self.running.insert(
                    task_id,
                    Running {
                        child,
                        method,
                        session_id,
                        kill: None,
                        vanished: None,
                    },
                );
                Ok(())
            }
            Err(e) => {
                let message = format!("cannot start a process for task {task_id}: {e}");
                error!(task.id = task_id, "{message}");
                let _ = call(
                    &self.session,
                    "host.failTask",
                    vec![
                        Value::Int(task_id),
                        Value::from(encode_fault(FaultCode::Generic.code(), &message)),
                    ],
                );
                let _ = call(&self.session, "logoutChild", vec![Value::Int(session_id)]);
                Ok(())
            }
        }
    }

    /// Starts a task this daemon opened but could not start (the hub went away meanwhile).
    fn adopt(&mut self, task_id: i64) -> Result<()> {
        let info = call_kw(
            &self.session,
            "getTaskInfo",
            vec![Value::Int(task_id)],
            vec![("request", Value::Bool(true))],
        )?;
        let mut info: TaskInfo = from_value(info).map_err(|e| Error::Protocol {
            method: "getTaskInfo".into(),
            detail: e.to_string(),
        })?;
        let entry = handler::find(self.registry, &info.method).ok_or_else(|| Error::Protocol {
            method: "getTaskInfo".into(),
            detail: format!("no handler for method {}", info.method),
        })?;
        let params = match info.request.take() {
            Some(Value::Array(params)) => params,
            _ => Vec::new(),
        };
        info.request = Some(Value::String(encode_call(&info.method, &params)));
        info!(
            task.id = task_id,
            "starting task {task_id}, opened before the hub went away"
        );
        self.start(info, entry)
    }

    /// Collects task processes that ended: kills what is left of their group, fails the task
    /// if the process died without finishing it, and closes its subsession.
    fn reap(&mut self) {
        let ended: Vec<(i64, std::process::ExitStatus)> = self
            .running
            .iter_mut()
            .filter_map(|(id, r)| match r.child.try_wait() {
                Ok(Some(status)) => Some((*id, status)),
                Ok(None) => None,
                Err(e) => {
                    warn!(task.id = *id, "cannot check on the process of task {id}: {e}");
                    None
                }
            })
            .collect();
        for (task_id, status) in ended {
            let Some(running) = self.running.remove(&task_id) else {
                continue;
            };
            let _ = kill_group(running.child.id(), Signal::SIGKILL);
            if let Err(e) = self.after_exit(task_id, &running, status) {
                warn!(task.id = task_id, "could not finish up after task {task_id}: {e}");
            }
        }
    }

    fn after_exit(&self, task_id: i64, running: &Running, status: std::process::ExitStatus) -> Result<()> {
        debug!(
            task.id = task_id,
            "process of task {task_id} {}",
            describe_exit(status)
        );
        if status.success() {
            // It reported its result (or learned the task is no longer ours) and logged out.
            return Ok(());
        }
        let info = call(&self.session, "getTaskInfo", vec![Value::Int(task_id)])?;
        let state = info.get("state").and_then(Value::as_i64);
        let host = info.get("host_id").and_then(Value::as_i64);
        if state == Some(i64::from(TaskState::Open.code())) && host == Some(self.host_id) {
            let message = format!(
                "the process of task {task_id} ({}) on {} {} before finishing it",
                running.method,
                self.config.host,
                describe_exit(status)
            );
            warn!(task.id = task_id, "{message}");
            call(
                &self.session,
                "host.failTask",
                vec![
                    Value::Int(task_id),
                    Value::from(encode_fault(FaultCode::Generic.code(), &message)),
                ],
            )?;
        }
        let _ = call(&self.session, "logoutChild", vec![Value::Int(running.session_id)]);
        Ok(())
    }

    /// Compares the hub's view with ours: tasks the hub thinks we run but we do not are given
    /// back; tasks we run that the hub canceled or gave to another host are killed.
    fn reconcile(&mut self, hub_open: &[HostTask]) -> Result<()> {
        self.unstarted
            .retain(|id, _| hub_open.iter().any(|t| t.id == *id));
        let unstarted: Vec<i64> = self.unstarted.keys().copied().collect();
        for task_id in unstarted {
            if let Err(e) = self.adopt(task_id) {
                let attempts = self.unstarted.entry(task_id).or_insert(0);
                *attempts += 1;
                warn!(
                    task.id = task_id,
                    "cannot start task {task_id} (attempt {attempts}): {e}"
                );
                if *attempts >= 3 {
                    self.unstarted.remove(&task_id);
                }
            }
        }
        let unknown: Vec<Value> = hub_open
            .iter()
            .filter(|t| !self.running.contains_key(&t.id) && !self.unstarted.contains_key(&t.id))
            .map(|t| Value::Int(t.id))
            .collect();
        if !unknown.is_empty() {
            warn!("the hub says this host runs tasks it does not know: {unknown:?}; freeing them");
            call(&self.session, "host.freeTasks", vec![Value::Array(unknown)])?;
        }
        let now = Instant::now();
        for (id, running) in &mut self.running {
            if hub_open.iter().any(|t| t.id == *id) {
                running.vanished = None;
            } else if running.vanished.is_none() {
                running.vanished = Some(now);
            }
        }
        let vanished: Vec<i64> = self
            .running
            .iter()
            .filter(|(_, r)| r.kill.is_none() && r.vanished.is_some_and(|since| since + VANISH_GRACE <= now))
            .map(|(id, _)| *id)
            .collect();
        for task_id in vanished {
            let info = call(&self.session, "getTaskInfo", vec![Value::Int(task_id)])?;
            let state = info
                .get("state")
                .and_then(Value::as_i64)
                .and_then(|s| i32::try_from(s).ok())
                .and_then(TaskState::from_code);
            let ours = info.get("host_id").and_then(Value::as_i64) == Some(self.host_id);
            let finishing = matches!(state, Some(TaskState::Closed | TaskState::Failed)) && ours;
            if finishing {
                continue;
            }
            info!(task.id = task_id, state = ?state, "task {task_id} was canceled or taken away; stopping its process");
            self.start_kill(task_id);
        }
        Ok(())
    }

    fn start_kill(&mut self, task_id: i64) {
        let grace = Duration::from_secs_f64(self.config.kill_grace_seconds);
        if let Some(running) = self.running.get_mut(&task_id) {
            if let Err(e) = kill_group(running.child.id(), Signal::SIGTERM) {
                warn!(task.id = task_id, "cannot stop task {task_id}: {e}");
            }
            running.kill = Some(Kill {
                deadline: Instant::now() + grace,
                escalated: false,
            });
        }
    }

    fn escalate_kills(&mut self) {
        for (task_id, running) in &mut self.running {
            if let Some(kill) = running.kill.as_mut()
                && !kill.escalated
                && Instant::now() >= kill.deadline
            {
                warn!(
                    task.id = *task_id,
                    "task {task_id} did not stop on SIGTERM; sending SIGKILL"
                );
                let _ = kill_group(running.child.id(), Signal::SIGKILL);
                kill.escalated = true;
            }
        }
    }

    /// Stops: kills the tasks still running (SIGTERM, then SIGKILL), gives them back to the
    /// hub, checks in as not ready and logs out.
    fn shutdown(&mut self) {
        let ids: Vec<i64> = self.running.keys().copied().collect();
        for task_id in &ids {
            self.start_kill(*task_id);
        }
        let deadline = Instant::now() + Duration::from_secs_f64(self.config.kill_grace_seconds);
        while !self.running.is_empty() {
            self.running
                .retain(|_, r| !matches!(r.child.try_wait(), Ok(Some(_))));
            if Instant::now() >= deadline {
                for running in self.running.values_mut() {
                    let _ = kill_group(running.child.id(), Signal::SIGKILL);
                    let _ = running.child.wait();
                }
                self.running.clear();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        if !ids.is_empty() {
            info!("giving back tasks {ids:?}");
            let _ = call(
                &self.session,
                "host.freeTasks",
                vec![Value::Array(ids.into_iter().map(Value::Int).collect())],
            );
        }
        let _ = call(
            &self.session,
            "host.updateHost",
            vec![Value::Double(0.0), Value::Bool(false)],
        );
        let _ = self.session.logout();
        info!("builder stopped");
    }
}
