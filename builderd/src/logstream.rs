//! Streams a build's logs to the hub while its steps run, as kojid does: every interval each
//! `*.log` file in the task's log directory is synced from where the last upload ended, with
//! chunks written at their offsets, so a log can be read on the hub during the build.

use std::collections::BTreeMap;
use std::io::{Read as _, Seek as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::client::ClientSession;
use tracing::warn;

use crate::handler::common_task_dir;

/// The largest chunk sent in one upload.
const CHUNK: usize = 1 << 20;

/// The running streamer; `finish` does a last sync and stops it.
#[derive(Debug)]
pub struct LogStreamer {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// Sends what was added to each log in `dir` since `offsets`.
fn sync(session: &ClientSession, task_id: i64, dir: &Path, offsets: &mut BTreeMap<String, u64>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut names: Vec<String> = entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str().map(str::to_owned))
        .filter(|name| name.ends_with(".log"))
        .collect();
    names.sort();
    for name in names {
        let offset = offsets.get(&name).copied().unwrap_or(0);
        match upload_from(session, task_id, &dir.join(&name), &name, offset) {
            Ok(end) => {
                offsets.insert(name, end);
            }
            Err(e) => warn!(task.id = task_id, "log upload of {name} failed, will retry: {e}"),
        }
    }
}

fn upload_from(
    session: &ClientSession,
    task_id: i64,
    path: &Path,
    name: &str,
    mut offset: u64,
) -> Result<u64, String> {
    let mut file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    file.seek(std::io::SeekFrom::Start(offset))
        .map_err(|e| e.to_string())?;
    let mut buffer = vec![0_u8; CHUNK];
    loop {
        let n = file.read(&mut buffer).map_err(|e| e.to_string())?;
        if n == 0 {
            return Ok(offset);
        }
        let chunk = buffer.get(..n).unwrap_or_default();
        session
            .upload_chunk(&common_task_dir(task_id), name, offset, chunk, true)
            .map_err(|e| e.to_string())?;
        offset += n as u64;
    }
}

impl LogStreamer {
    /// Starts syncing the logs in `dir` every `every_seconds`.
    pub fn start(session: Arc<ClientSession>, task_id: i64, dir: PathBuf, every_seconds: f64) -> LogStreamer {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let interval = Duration::from_secs_f64(every_seconds.max(0.1));
        let thread = std::thread::Builder::new()
            .name("build-logs".into())
            .spawn(move || {
                let mut offsets = BTreeMap::new();
                loop {
                    let next = Instant::now() + interval;
                    while Instant::now() < next {
                        if stopped.load(Ordering::SeqCst) {
                            sync(&session, task_id, &dir, &mut offsets);
                            return;
                        }
                        std::thread::sleep(Duration::from_millis(50));
                    }
                    sync(&session, task_id, &dir, &mut offsets);
                }
            })
            .ok();
        LogStreamer { stop, thread }
    }

    /// Syncs the logs one last time and stops.
    pub fn finish(mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for LogStreamer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
