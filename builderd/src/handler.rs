//! Task handlers: one type per task method, implementing [`TaskHandler`], listed in the
//! registry in `handlers`. A handler runs inside the task's own process with the task's
//! subsession, through [`TaskContext`].

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::FaultCode;
use common::client::ClientSession;
use common::wire::TaskInfo;
use common::xmlrpc::{Params, Struct, Value};
use tracing::{debug, info};

use crate::error::{Error, TaskError};

/// A task method builderd can run.
pub trait TaskHandler {
    /// The method name (`sleep`, `buildArch`, …).
    const METHOD: &'static str;
    /// The load the task puts on a host (Koji's `_taskWeight`); reported with
    /// `host.setTaskWeight` before the task runs.
    const WEIGHT: f64;

    /// Runs the task; the value becomes the task's result.
    fn run(cx: &mut TaskContext, params: Params) -> Result<Value, TaskError>;
}

/// A registered handler, without its type.
#[derive(Clone, Copy)]
pub struct HandlerEntry {
    /// The method name.
    pub method: &'static str,
    /// Its weight.
    pub weight: f64,
    /// Runs it.
    pub run: fn(&mut TaskContext, Params) -> Result<Value, TaskError>,
}

impl HandlerEntry {
    /// The entry for a handler type.
    pub const fn of<H: TaskHandler>() -> HandlerEntry {
        HandlerEntry {
            method: H::METHOD,
            weight: H::WEIGHT,
            run: H::run,
        }
    }
}

impl std::fmt::Debug for HandlerEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HandlerEntry")
            .field("method", &self.method)
            .field("weight", &self.weight)
            .finish()
    }
}

/// Finds the handler for a method in a registry.
pub fn find(registry: &[HandlerEntry], method: &str) -> Option<HandlerEntry> {
    registry.iter().copied().find(|h| h.method == method)
}

/// Options of a subtask (Koji's `host.subtask` keywords).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SubtaskOptions {
    /// A label unique among the parent's children: creating it again returns the same task,
    /// so a parent that runs again after losing its host finds its children.
    pub label: Option<String>,
    /// The arch (default: the parent's).
    pub arch: Option<String>,
    /// The priority (default: the parent's minus one).
    pub priority: Option<i64>,
    /// The channel (default: the parent's).
    pub channel: Option<String>,
}

/// What a handler can do: talk to the hub as its task, make subtasks and wait for them, and
/// upload files into the task's output directory.
pub struct TaskContext {
    /// The task.
    pub task: TaskInfo,
    /// The task's own subsession (shared with the log uploader; calls take turns).
    pub session: std::sync::Arc<ClientSession>,
    /// A scratch directory for the task, removed when it ends.
    pub workdir: PathBuf,
    /// The hub's topdir as mounted on this host, if it is.
    pub topdir: Option<PathBuf>,
    /// The longest single wait for children, in seconds (Kiln's `host.waitSubtasks`).
    pub wait_seconds: f64,
    /// The builder settings build tasks use (none from a daemon that does not send them).
    pub build: Option<crate::launch::BuildSettings>,
}

impl TaskContext {
    /// The task id.
    pub fn id(&self) -> i64 {
        self.task.id
    }

    fn call(&self, method: &str, args: Vec<Value>, kwargs: Vec<(&str, Value)>) -> Result<Value, Error> {
        self.session
            .call_kw(method, args, kwargs)
            .map_err(|e| Error::hub(method, e))
    }

    /// Calls the hub as this task; a fault keeps its code.
    pub fn hub_call(
        &self,
        method: &str,
        args: Vec<Value>,
        kwargs: Vec<(&str, Value)>,
    ) -> Result<Value, TaskError> {
        Ok(self.call(method, args, kwargs)?)
    }

    /// Creates a subtask (`host.subtask`) and returns its id.
    pub fn subtask(&self, method: &str, args: Vec<Value>, options: SubtaskOptions) -> Result<i64, TaskError> {
        let mut kwargs = Vec::new();
        if let Some(label) = options.label {
            kwargs.push(("label", Value::from(label)));
        }
        if let Some(arch) = options.arch {
            kwargs.push(("arch", Value::from(arch)));
        }
        if let Some(priority) = options.priority {
            kwargs.push(("priority", Value::Int(priority)));
        }
        if let Some(channel) = options.channel {
            kwargs.push(("channel", Value::from(channel)));
        }
        let id = self.call(
            "host.subtask",
            vec![Value::from(method), Value::Array(args), Value::Int(self.id())],
            kwargs,
        )?;
        id.as_i64().ok_or_else(|| {
            TaskError::new(
                FaultCode::Generic,
                format!("host.subtask returned {id}, not a task id"),
            )
        })
    }

    /// One wait: `[finished, unfinished]` among the awaited children, blocking on the hub
    /// until one finishes (Kiln's `host.waitSubtasks`), or with Koji's `host.taskWait` and a
    /// pause when the hub does not have it.
    fn wait_once(&self) -> Result<(Vec<i64>, Vec<i64>), TaskError> {
        let answer = match self.call(
            "host.waitSubtasks",
            vec![Value::Int(self.id())],
            vec![("timeout", Value::Double(self.wait_seconds))],
        ) {
            Err(e) if e.fault().is_some_and(|f| f.message.starts_with("Invalid method")) => {
                let answer = self.call("host.taskWait", vec![Value::Int(self.id())], vec![])?;
                if answer
                    .as_array()
                    .and_then(|a| a.first())
                    .and_then(Value::as_array)
                    .is_some_and(<[Value]>::is_empty)
                {
                    std::thread::sleep(Duration::from_secs(2));
                }
                answer
            }
            other => other?,
        };
        let ids = |index: usize| -> Vec<i64> {
            answer
                .as_array()
                .and_then(|a| a.get(index))
                .and_then(Value::as_array)
                .map(|ids| ids.iter().filter_map(Value::as_i64).collect())
                .unwrap_or_default()
        };
        Ok((ids(0), ids(1)))
    }

    /// Waits until one of `subtasks` finishes, or the hub's longest wait passes (the caller
    /// looks again either way).
    pub fn wait_any(&self, subtasks: &[i64]) -> Result<(), TaskError> {
        let ids = Value::Array(subtasks.iter().copied().map(Value::Int).collect());
        self.call("host.taskSetWait", vec![Value::Int(self.id()), ids], vec![])?;
        self.wait_once().map(|_| ())
    }

    /// Waits for children as Koji's `BaseTaskHandler.wait` does: for `subtasks` (all children
    /// when `None`); until one finishes, or all with `all`; with `failany`, a child that failed
    /// or was canceled (unless in `canfail`) cancels the others and fails this task. Returns
    /// `(task id, result)` pairs; a failed `canfail` child's result is its fault struct.
    pub fn wait(
        &self,
        subtasks: Option<&[i64]>,
        all: bool,
        failany: bool,
        canfail: &[i64],
    ) -> Result<Vec<(i64, Value)>, TaskError> {
        let tasks_value = subtasks.map_or(Value::Nil, |ids| {
            Value::Array(ids.iter().copied().map(Value::Int).collect())
        });
        self.call(
            "host.taskSetWait",
            vec![Value::Int(self.id()), tasks_value],
            vec![],
        )?;
        debug!(task.id = self.id(), "waiting on {subtasks:?}");
        let mut checked: Vec<i64> = canfail.to_vec();
        let mut done: Vec<i64> = Vec::new();
        loop {
            let (finished, unfinished) = self.wait_once()?;
            done.extend(&finished);
            if unfinished.is_empty() {
                break;
            }
            if finished.is_empty() {
                continue;
            }
            if !all {
                break;
            }
            if failany {
                let unchecked: Vec<i64> = finished
                    .iter()
                    .copied()
                    .filter(|t| !checked.contains(t))
                    .collect();
                for task in &unchecked {
                    if let Err(e) = self.call("getTaskResult", vec![Value::Int(*task)], vec![]) {
                        info!(
                            task.id = self.id(),
                            "task {task} failed or was canceled, cancelling unfinished tasks"
                        );
                        self.call("cancelTaskChildren", vec![Value::Int(self.id())], vec![])?;
                        return Err(e.into());
                    }
                    checked.push(*task);
                }
            }
        }
        let wanted: Vec<i64> = match (all, subtasks) {
            (true, Some(ids)) => ids.to_vec(),
            (true, None) => Vec::new(),
            (false, _) => done,
        };
        let wanted_value = if all && subtasks.is_none() {
            Value::Nil
        } else {
            Value::Array(wanted.into_iter().map(Value::Int).collect())
        };
        let results = self.call(
            "host.taskWaitResults",
            vec![Value::Int(self.id()), wanted_value],
            vec![(
                "canfail",
                Value::Array(canfail.iter().copied().map(Value::Int).collect()),
            )],
        )?;
        let pairs = results
            .as_array()
            .unwrap_or_default()
            .iter()
            .filter_map(|pair| match pair.as_array() {
                Some([id, result]) => id.as_i64().map(|id| (id, result.clone())),
                _ => None,
            })
            .collect();
        Ok(pairs)
    }

    /// Uploads a local file into the task's output directory (empty files are skipped, as
    /// Koji does).
    pub fn upload_file(&self, local: &Path, remote_name: Option<&str>) -> Result<(), TaskError> {
        let meta = std::fs::metadata(local).map_err(|e| TaskError::from(Error::io("inspect", local, e)))?;
        if !meta.is_file() || meta.len() == 0 {
            return Ok(());
        }
        let name = match remote_name {
            Some(name) => name.to_owned(),
            None => local
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        };
        self.session
            .upload_file(local, &common_task_dir(self.id()), &name, 1 << 20)
            .map_err(|e| TaskError::from(Error::hub("rawUpload", e)))
    }
}

/// A task's directory under the hub's `work/` (Koji's `taskrelpath`).
pub fn common_task_dir(task_id: i64) -> String {
    format!("tasks/{}/{task_id}", task_id.rem_euclid(10_000))
}

/// A string field of a struct answer (`""` when missing or not a string).
pub fn text(value: &Value, key: &str) -> String {
    value
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// Reads a handler's positional argument as an integer.
pub fn int_arg(params: &Params, index: usize, name: &str, method: &str) -> Result<Option<i64>, TaskError> {
    let keyword = params.keywords.get(name);
    match params.positional.get(index).or(keyword) {
        None | Some(Value::Nil) => Ok(None),
        Some(Value::Int(n)) => Ok(Some(*n)),
        Some(other) => Err(TaskError::new(
            FaultCode::Parameter,
            format!("{method}() argument {name} must be an integer, not {other}"),
        )),
    }
}

/// Refuses keyword arguments a handler does not know.
pub fn check_keywords(keywords: &Struct, known: &[&str], method: &str) -> Result<(), TaskError> {
    match keywords.keys().find(|k| !known.contains(&k.as_str())) {
        Some(name) => Err(TaskError::new(
            FaultCode::Parameter,
            format!("{method}() got an unexpected keyword argument '{name}'"),
        )),
        None => Ok(()),
    }
}
