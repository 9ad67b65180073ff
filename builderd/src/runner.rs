//! A task process (`kiln-builderd run-task --task-id N`): reads its launch document, runs the
//! handler with the task's subsession, streams its log to the hub while it runs, and closes or
//! fails the task with Koji's `methodResponse` documents.

use std::io::{Read as _, Seek as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::FaultCode;
use common::client::{ClientConfig, ClientSession};
use common::xmlrpc::{Params, Value, decode_call, encode_fault, encode_response};
use tracing::{error, info, info_span, warn};

use crate::error::{Error, Result, TaskError};
use crate::handler::{self, HandlerEntry, TaskContext, common_task_dir};
use crate::launch::Launch;
use crate::{logging, signals};

/// The name of the task's log in its output directory.
pub const TASK_LOG: &str = "task.log";

/// The largest log chunk sent in one upload.
const LOG_CHUNK: usize = 1 << 20;

/// How long a task process keeps trying to reach the hub (it must report its result).
const HUB_PATIENCE: Duration = Duration::from_secs(3600);

/// Runs one task process. `parent_pid` is the daemon: the process dies with it.
pub fn run_task(task_id: i64, parent_pid: Option<i32>, registry: &[HandlerEntry]) -> Result<()> {
    let mut input = Vec::new();
    std::io::stdin()
        .read_to_end(&mut input)
        .map_err(|e| Error::io("read", "standard input", e))?;
    let launch = Launch::decode(&input)?;
    if launch.task.id != task_id {
        return Err(Error::Launch(format!(
            "launch data is for task {}, not {task_id}",
            launch.task.id
        )));
    }
    if let Some(parent) = parent_pid {
        nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGTERM)
            .map_err(|e| Error::io("ask for a parent-death signal in", "task process", e.into()))?;
        if nix::unistd::getppid().as_raw() != parent {
            return Err(Error::Launch("the daemon is gone".into()));
        }
    }
    signals::unblock()?;
    let task_dir = launch.workdir.join(common_task_dir(task_id));
    let _ = std::fs::remove_dir_all(&task_dir);
    let workdir = task_dir.join("work");
    std::fs::create_dir_all(&workdir).map_err(|e| Error::io("create", &workdir, e))?;
    let log_path = task_dir.join(TASK_LOG);
    logging::init_task(&log_path)?;
    let span = info_span!(
        "task",
        task.id = task_id,
        task.method = %launch.task.method,
        task.parent = ?launch.task.parent
    );
    let _entered = span.enter();
    let retries = (HUB_PATIENCE.as_secs_f64() / launch.retry_seconds).ceil();
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a small positive count"
    )]
    let config = ClientConfig {
        max_retries: retries.min(100_000.0) as u32,
        retry_interval: Duration::from_secs_f64(launch.retry_seconds),
        serverca: launch.serverca.clone(),
        ..ClientConfig::new(launch.server.clone())
    };
    let session = Arc::new(
        ClientSession::resume(config, launch.session_id, launch.session_key.clone())
            .map_err(|e| Error::hub("subsession", e))?,
    );
    let uploader = LogUploader::start(
        session.clone(),
        task_id,
        log_path.clone(),
        launch.log_upload_seconds,
    );
    let outcome = run_handler(&launch, session.clone(), workdir, registry);
    if let Err(e) = &outcome {
        error!(
            task.id = task_id,
            code = e.code,
            "task {task_id} failed: {}",
            e.message
        );
    }
    let uploaded = uploader.stop();
    if let Err(e) = upload_log(&session, task_id, &log_path, uploaded) {
        warn!(task.id = task_id, "could not upload the task log: {e}");
    }
    let result = report(&session, task_id, outcome);
    let _ = session.logout();
    let _ = std::fs::remove_dir_all(&task_dir);
    result
}

fn run_handler(
    launch: &Launch,
    session: Arc<ClientSession>,
    workdir: PathBuf,
    registry: &[HandlerEntry],
) -> std::result::Result<Value, TaskError> {
    let task = &launch.task;
    let entry = handler::find(registry, &task.method).ok_or_else(|| {
        TaskError::new(
            FaultCode::Generic,
            format!("no handler for method {} on this builder", task.method),
        )
    })?;
    let request = task.request.as_ref().and_then(Value::as_str).unwrap_or_default();
    let params = decode_call(request.as_bytes())
        .map_err(|e| TaskError::new(FaultCode::Generic, format!("cannot read the task request: {e}")))?
        .params;
    let mut cx = TaskContext {
        task: task.clone(),
        session,
        workdir,
        topdir: launch.topdir.clone(),
        wait_seconds: launch.wait_seconds,
    };
    info!(
        task.id = task.id,
        "running {} handler for task {}", task.method, task.id
    );
    let run = entry.run;
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        run(&mut cx, Params::from_wire(params))
    })) {
        Ok(outcome) => outcome,
        Err(_) => Err(TaskError::new(
            FaultCode::Generic,
            format!("the {} handler panicked", task.method),
        )),
    }
}

/// Uploads the log from `offset` to its end, in chunks, each written at its offset with
/// overwrite (so a chunk sent twice after a hub outage lands in the same place).
fn upload_log(session: &ClientSession, task_id: i64, log_path: &Path, mut offset: u64) -> Result<u64> {
    let mut file = std::fs::File::open(log_path).map_err(|e| Error::io("open", log_path, e))?;
    file.seek(std::io::SeekFrom::Start(offset))
        .map_err(|e| Error::io("seek", log_path, e))?;
    let mut buffer = vec![0_u8; LOG_CHUNK];
    loop {
        let n = file
            .read(&mut buffer)
            .map_err(|e| Error::io("read", log_path, e))?;
        if n == 0 {
            return Ok(offset);
        }
        let chunk = buffer.get(..n).unwrap_or_default();
        session
            .upload_chunk(&common_task_dir(task_id), TASK_LOG, offset, chunk, true)
            .map_err(|e| Error::hub("rawUpload", e))?;
        offset += n as u64;
    }
}

/// Streams the task log to the hub every few seconds while the handler runs.
struct LogUploader {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<u64>>,
}

impl LogUploader {
    fn start(
        session: Arc<ClientSession>,
        task_id: i64,
        log_path: PathBuf,
        every_seconds: f64,
    ) -> LogUploader {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let interval = Duration::from_secs_f64(every_seconds);
        let thread = std::thread::Builder::new()
            .name("log-upload".into())
            .spawn(move || {
                let mut uploaded = 0;
                loop {
                    let deadline = std::time::Instant::now() + interval;
                    while std::time::Instant::now() < deadline {
                        if stopped.load(Ordering::SeqCst) {
                            return uploaded;
                        }
                        std::thread::sleep(Duration::from_millis(50).min(interval));
                    }
                    match upload_log(&session, task_id, &log_path, uploaded) {
                        Ok(offset) => uploaded = offset,
                        Err(e) => warn!(task.id = task_id, "log upload failed, will retry: {e}"),
                    }
                }
            })
            .ok();
        LogUploader { stop, thread }
    }

    /// Stops the uploads; returns how much of the log was sent.
    fn stop(mut self) -> u64 {
        self.stop.store(true, Ordering::SeqCst);
        self.thread
            .take()
            .and_then(|thread| thread.join().ok())
            .unwrap_or(0)
    }
}

/// Closes or fails the task. If the hub says the task is no longer ours (canceled, or taken
/// away after a hub outage), that is reported and not an error.
fn report(
    session: &ClientSession,
    task_id: i64,
    outcome: std::result::Result<Value, TaskError>,
) -> Result<()> {
    let (method, response) = match &outcome {
        Ok(value) => ("host.closeTask", encode_response(value)),
        Err(e) => ("host.failTask", encode_fault(e.code, &e.message)),
    };
    match session.call(method, vec![Value::Int(task_id), Value::String(response)]) {
        Ok(_) => {
            let verb = if outcome.is_ok() { "closed" } else { "failed" };
            info!(task.id = task_id, "{verb} task {task_id}");
            Ok(())
        }
        Err(e) if e.is_fault(FaultCode::ActionNotAllowed) => {
            let state = session
                .call("getTaskInfo", vec![Value::Int(task_id)])
                .ok()
                .and_then(|info| info.get("state").and_then(Value::as_i64));
            warn!(task.id = task_id, state = ?state, "task {task_id} is no longer ours to finish: {e}");
            Ok(())
        }
        Err(e) => Err(Error::hub(method, e)),
    }
}
