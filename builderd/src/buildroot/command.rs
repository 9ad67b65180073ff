//! Running one command of a build: output appended to a log, in a process group of its own
//! that dies with the task process, with lowered resource limits, a wall-clock timeout and
//! cancellation, both of which kill the whole group (kojid's child cleanup: SIGTERM, then
//! SIGKILL).

use std::os::unix::process::CommandExt as _;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use nix::sys::resource::{Resource, getrlimit, setrlimit};
use nix::sys::signal::Signal;

use crate::buildroot::backend::BuildrootError;
use crate::process::kill_group;

/// How often a running command is checked on.
const POLL: Duration = Duration::from_millis(20);

/// Time between SIGTERM and SIGKILL when a command is stopped.
const KILL_GRACE: Duration = Duration::from_secs(2);

/// Limits of one command. Limits only ever lower what the builder itself has: raising a
/// hard limit is not possible on CI machines, even as root.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Wall-clock seconds before the command's process group is killed (`rpmbuild_timeout`).
    pub timeout_seconds: Option<f64>,
    /// `RLIMIT_AS`, bytes.
    pub address_space: Option<u64>,
    /// `RLIMIT_CPU`, seconds of CPU time per process.
    pub cpu_seconds: Option<u64>,
    /// `RLIMIT_NOFILE`.
    pub open_files: Option<u64>,
}

impl Limits {
    /// The limits builds run with: the given timeout, 16 GiB of address space, as many CPU
    /// seconds as the timeout allows, 4096 open files.
    pub fn for_builds(timeout_seconds: f64) -> Limits {
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "a positive number of seconds, rounded up"
        )]
        let cpu = timeout_seconds.ceil().max(1.0) as u64;
        Limits {
            timeout_seconds: Some(timeout_seconds),
            address_space: Some(16 << 30),
            cpu_seconds: Some(cpu),
            open_files: Some(4096),
        }
    }

    /// No timeout and no limits (package installation by the builder itself).
    pub fn none() -> Limits {
        Limits {
            timeout_seconds: None,
            address_space: None,
            cpu_seconds: None,
            open_files: None,
        }
    }

    /// The `(resource, soft, hard)` triples to apply, each at most the builder's own limits.
    fn lowered(&self) -> Vec<(Resource, u64, u64)> {
        let wanted = [
            (Resource::RLIMIT_AS, self.address_space),
            (Resource::RLIMIT_CPU, self.cpu_seconds),
            (Resource::RLIMIT_NOFILE, self.open_files),
        ];
        wanted
            .into_iter()
            .filter_map(|(resource, limit)| {
                let limit = limit?;
                let (soft, hard) = getrlimit(resource).ok()?;
                let hard = hard.min(limit);
                Some((resource, soft.min(hard), hard))
            })
            .collect()
    }
}

/// A cancel switch shared with whoever may cancel the task: setting it kills the running
/// command's process group.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    /// A switch that is off.
    pub fn new() -> Cancel {
        Cancel::default()
    }

    /// Cancels the running command (and any later one).
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether cancel was asked.
    pub fn is_canceled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// Runs `command` with its standard output and error appended to `log`, and waits for it.
/// `program` names it in errors. A command that fails is `BuildrootError::Failed`.
pub fn run_logged(
    program: &str,
    mut command: Command,
    log: &Path,
    limits: &Limits,
    cancel: &Cancel,
) -> Result<(), BuildrootError> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .map_err(|e| BuildrootError::io("open", log, e))?;
    let stderr = file.try_clone().map_err(|e| BuildrootError::io("open", log, e))?;
    command
        .stdin(Stdio::null())
        .stdout(file)
        .stderr(stderr)
        .process_group(0);
    set_child_limits(&mut command, limits.lowered());
    let started = Instant::now();
    let mut child = command
        .spawn()
        .map_err(|e| BuildrootError::io("start", program, e))?;
    let deadline = limits
        .timeout_seconds
        .map(|seconds| started + Duration::from_secs_f64(seconds));
    loop {
        if let Some(status) = child
            .try_wait()
            .map_err(|e| BuildrootError::io("wait for", program, e))?
        {
            return check_status(program, status, log);
        }
        let timed_out = deadline.is_some_and(|deadline| Instant::now() >= deadline);
        if timed_out || cancel.is_canceled() {
            stop_group(&mut child);
            if timed_out {
                return Err(BuildrootError::Timeout {
                    program: program.to_owned(),
                    seconds: limits.timeout_seconds.unwrap_or_default(),
                    log: log.to_path_buf(),
                });
            }
            return Err(BuildrootError::Canceled {
                program: program.to_owned(),
            });
        }
        std::thread::sleep(POLL);
    }
}

fn check_status(program: &str, status: ExitStatus, log: &Path) -> Result<(), BuildrootError> {
    if status.success() {
        return Ok(());
    }
    Err(BuildrootError::Failed {
        program: program.to_owned(),
        status,
        log: log.to_path_buf(),
    })
}

/// SIGTERM to the group, SIGKILL after a grace period, then reaps the leader.
fn stop_group(child: &mut std::process::Child) {
    let _ = kill_group(child.id(), Signal::SIGTERM);
    let until = Instant::now() + KILL_GRACE;
    while Instant::now() < until {
        if matches!(child.try_wait(), Ok(Some(_))) {
            break;
        }
        std::thread::sleep(POLL);
    }
    // The leader may be gone while others in its group still run: kill the group regardless.
    let _ = kill_group(child.id(), Signal::SIGKILL);
    let _ = child.wait();
}

/// Makes the child lower its limits and ask for SIGKILL when the task process's thread that
/// started it dies (a task killed by the daemon takes its build with it, since the build runs
/// in a process group of its own).
#[expect(
    unsafe_code,
    reason = "pre_exec: the closure only calls setrlimit and prctl, both async-signal-safe"
)]
fn set_child_limits(command: &mut Command, limits: Vec<(Resource, u64, u64)>) {
    // SAFETY: between fork and exec the closure calls only setrlimit(2) and prctl(2), which
    // are async-signal-safe, and it allocates nothing (the vector was built before fork).
    unsafe {
        command.pre_exec(move || {
            for (resource, soft, hard) in &limits {
                setrlimit(*resource, *soft, *hard).map_err(std::io::Error::from)?;
            }
            nix::sys::prctl::set_pdeathsig(Signal::SIGKILL).map_err(std::io::Error::from)?;
            Ok(())
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Command {
        let mut command = Command::new("sh");
        command.arg("-c").arg(script);
        command
    }

    #[test]
    fn output_goes_to_the_log_and_failures_name_the_status() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("build.log");
        run_logged(
            "sh",
            sh("echo out; echo err >&2"),
            &log,
            &Limits::none(),
            &Cancel::new(),
        )
        .unwrap();
        let error = run_logged("sh", sh("exit 3"), &log, &Limits::none(), &Cancel::new()).unwrap_err();
        assert_eq!(error.to_string(), "sh exited with status 3");
        assert_eq!(error.log_name().as_deref(), Some("build.log"));
        assert_eq!(std::fs::read_to_string(&log).unwrap(), "out\nerr\n");
    }

    #[test]
    fn limits_are_applied_in_the_child() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("limits.log");
        let limits = Limits {
            open_files: Some(77),
            ..Limits::none()
        };
        run_logged("sh", sh("ulimit -n"), &log, &limits, &Cancel::new()).unwrap();
        assert_eq!(std::fs::read_to_string(&log).unwrap().trim(), "77");
    }

    #[test]
    fn a_timeout_kills_the_whole_group() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("build.log");
        let pid_file = dir.path().join("pid");
        let script = format!("sleep 300 & echo $! > {}; wait", pid_file.display());
        let limits = Limits {
            timeout_seconds: Some(0.5),
            ..Limits::none()
        };
        let error = run_logged("sh", sh(&script), &log, &limits, &Cancel::new()).unwrap_err();
        assert!(matches!(error, BuildrootError::Timeout { .. }), "{error}");
        let pid: i32 = std::fs::read_to_string(&pid_file)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        // The grandchild was killed with the group; once reaped by init it is gone, before
        // that it is a zombie. SIGKILL lands asynchronously, so give it a moment.
        let alive = |state: &str| {
            state
                .rsplit_once(')')
                .is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z'))
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        let mut state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        while alive(&state) && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(20));
            state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        }
        assert!(!alive(&state), "process {pid} survived: {state}");
    }
}
