//! Task processes: started by re-executing our own binary (`kiln-builderd run-task`) in a
//! process group of its own (never `fork()` inside a running program), signalled as a group.

use std::io::Write as _;
use std::os::unix::process::{CommandExt as _, ExitStatusExt as _};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

use crate::error::{Error, Result};
use crate::launch::Launch;

/// Starts `exe run-task --task-id N --parent-pid P` in a new process group and writes the
/// launch document to its standard input.
pub fn spawn_task(exe: &Path, launch: &Launch) -> Result<Child> {
    let document = launch.encode()?;
    let mut child = Command::new(exe)
        .arg("run-task")
        .arg("--task-id")
        .arg(launch.task.id.to_string())
        .arg("--parent-pid")
        .arg(std::process::id().to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .process_group(0)
        .spawn()
        .map_err(|e| Error::io("start", exe, e))?;
    if let Some(mut stdin) = child.stdin.take()
        && let Err(e) = stdin.write_all(document.as_bytes())
    {
        let _ = kill_group(child.id(), Signal::SIGKILL);
        let _ = child.wait();
        return Err(Error::io("write the launch document to", exe, e));
    }
    Ok(child)
}

/// Signals a task's whole process group; a group that is gone already is not an error.
pub fn kill_group(leader: u32, signal: Signal) -> Result<()> {
    let pid =
        i32::try_from(leader).map_err(|_| Error::Launch(format!("process id {leader} out of range")))?;
    match killpg(Pid::from_raw(pid), signal) {
        Ok(()) | Err(nix::errno::Errno::ESRCH) => Ok(()),
        Err(errno) => Err(Error::io("signal process group", pid.to_string(), errno.into())),
    }
}

/// How a process ended, in words.
pub fn describe_exit(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exited with status {code}"),
        (None, Some(signal)) => {
            let name =
                Signal::try_from(signal).map_or_else(|_| signal.to_string(), |s| s.as_str().to_owned());
            format!("was killed by signal {name}")
        }
        (None, None) => "ended".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exits_are_described() {
        assert_eq!(describe_exit(ExitStatus::from_raw(0)), "exited with status 0");
        assert_eq!(
            describe_exit(ExitStatus::from_raw(3 << 8)),
            "exited with status 3"
        );
        assert_eq!(
            describe_exit(ExitStatus::from_raw(9)),
            "was killed by signal SIGKILL"
        );
    }

    #[test]
    fn groups_are_signalled() {
        let mut child = Command::new("sleep").arg("30").process_group(0).spawn().unwrap();
        kill_group(child.id(), Signal::SIGTERM).unwrap();
        let status = child.wait().unwrap();
        assert_eq!(describe_exit(status), "was killed by signal SIGTERM");
        kill_group(child.id(), Signal::SIGTERM).unwrap();
    }
}
