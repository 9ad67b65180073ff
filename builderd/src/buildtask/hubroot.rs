//! A build task's session with the hub and its buildroots: the logs directory streamed to the
//! hub, `state.log`, hub calls, uploads, and sandbox buildroots the hub records as kojid's
//! `BuildRoot` does (`host.newBuildRoot`, `host.setBuildRootList`, `host.setBuildRootState`,
//! `host.updateBuildRootList`).

use std::path::{Path, PathBuf};

use common::FaultCode;
use common::xmlrpc::Value;
use tracing::{info, warn};

use crate::buildroot::packages::installed_pkgs_log;
use crate::buildroot::{Buildroot, Cancel, InstalledPackage, Limits, Sandbox, StateLog};
use crate::error::{Error, TaskError};
use crate::handler::{TaskContext, common_task_dir};
use crate::launch::BuildSettings;
use crate::logstream::LogStreamer;
use crate::rpmbuild::command_failure;

/// A running build task's surroundings.
pub struct BuildSession<'a> {
    /// The task.
    pub cx: &'a TaskContext,
    /// The builder's build settings.
    pub settings: BuildSettings,
    /// The directory of the logs streamed to the hub.
    pub logs: PathBuf,
    /// `state.log`.
    pub state: StateLog,
    /// Kills the running build command when set.
    pub cancel: Cancel,
    streamer: Option<LogStreamer>,
}

impl<'a> BuildSession<'a> {
    /// Starts the session: needs the builder's build settings with a `topurl`.
    pub fn start(cx: &'a TaskContext) -> Result<BuildSession<'a>, TaskError> {
        let settings = cx.build.clone().ok_or_else(|| {
            TaskError::new(
                FaultCode::Generic,
                "this builder was started without build settings",
            )
        })?;
        if settings.topurl.is_none() {
            return Err(TaskError::new(
                FaultCode::Generic,
                "topurl is not set in the builder configuration",
            ));
        }
        let logs = cx.workdir.join("logs");
        std::fs::create_dir_all(&logs).map_err(|e| TaskError::from(Error::io("create", &logs, e)))?;
        let streamer = LogStreamer::start(
            cx.session.clone(),
            cx.id(),
            logs.clone(),
            settings.log_upload_seconds,
        );
        Ok(BuildSession {
            cx,
            state: StateLog::new(&logs.join("state.log")),
            settings,
            logs,
            cancel: Cancel::new(),
            streamer: Some(streamer),
        })
    }

    /// The hub's file URL.
    pub fn topurl(&self) -> &str {
        self.settings.topurl.as_deref().unwrap_or_default()
    }

    /// A log's path (`root.log`, `build.log`, …).
    pub fn log(&self, name: &str) -> PathBuf {
        self.logs.join(name)
    }

    /// Calls the hub as the task.
    pub fn call(
        &self,
        method: &str,
        args: Vec<Value>,
        kwargs: Vec<(&str, Value)>,
    ) -> Result<Value, TaskError> {
        self.cx
            .session
            .call_kw(method, args, kwargs)
            .map_err(|e| TaskError::from(Error::hub(method, e)))
    }

    /// The path of `name` in this task's output directory on the hub (Koji's
    /// `getUploadDir() + '/' + name`).
    pub fn relpath(&self, name: &str) -> String {
        format!("{}/{name}", common_task_dir(self.cx.id()))
    }

    /// Uploads a file into the task's output directory; returns its relative path.
    pub fn upload(&self, path: &Path) -> Result<String, TaskError> {
        self.cx.upload_file(path, None)?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok(self.relpath(&name))
    }

    /// Syncs the logs a last time and returns their paths on the hub.
    pub fn finish(mut self) -> Vec<String> {
        if let Some(streamer) = self.streamer.take() {
            streamer.finish();
        }
        let mut names: Vec<String> = std::fs::read_dir(&self.logs)
            .map(|entries| {
                entries
                    .flatten()
                    .filter(|e| e.metadata().is_ok_and(|m| m.len() > 0))
                    .filter_map(|e| e.file_name().to_str().map(str::to_owned))
                    .filter(|name| name.ends_with(".log"))
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names.iter().map(|name| self.relpath(name)).collect()
    }
}

/// The arch this host builds (`x86_64`, `aarch64`, …).
pub fn host_arch() -> &'static str {
    std::env::consts::ARCH
}

/// The arch of a buildroot for `arch` on this host among the tag's arches (kojid's
/// `find_arch`): `noarch` builds in whichever tag arch the host has.
pub fn buildroot_arch(arch: &str, tag_arches: &[String], tag_name: &str) -> Result<String, TaskError> {
    let host = host_arch();
    if arch == "noarch" {
        if tag_arches.iter().any(|a| a == host) {
            return Ok(host.to_owned());
        }
        return Err(TaskError::new(
            FaultCode::Build,
            format!(
                "No arch list for this host: {host} is not among the arches of tag {tag_name} ({})",
                tag_arches.join(" ")
            ),
        ));
    }
    if arch != host {
        return Err(TaskError::new(
            FaultCode::Build,
            format!("host {host} cannot build arch {arch}"),
        ));
    }
    Ok(arch.to_owned())
}

/// The arches of a build config (`getBuildConfig`'s space-separated `arches`).
pub fn tag_arches(buildconfig: &Value) -> Vec<String> {
    buildconfig
        .get("arches")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

/// A sandbox buildroot the hub knows about.
pub struct HubBuildroot {
    /// The hub's buildroot id.
    pub id: i64,
    /// The sandbox.
    pub sandbox: Sandbox,
    /// The buildroot's arch.
    pub arch: String,
    expired: bool,
}

/// The build tag's `mock.yum.module_hotfixes` option (Koji's mock config key), true when set
/// to a true value (`1`, `true`, `"1"`, `"True"`).
pub fn module_hotfixes(tag_extra: Option<&Value>) -> bool {
    match tag_extra.and_then(|extra| extra.get("mock.yum.module_hotfixes")) {
        Some(Value::String(text)) => {
            matches!(text.to_ascii_lowercase().as_str(), "1" | "true" | "yes" | "on")
        }
        Some(value) => value.truthy(),
        None => false,
    }
}

impl HubBuildroot {
    /// Registers a buildroot for (`repo_id`, `arch`) with the hub and creates its directories
    /// under the task's work directory.
    pub fn create(
        session: &BuildSession<'_>,
        repo_id: i64,
        arch: &str,
        repo_url: &str,
        tag_extra: Option<&Value>,
    ) -> Result<HubBuildroot, TaskError> {
        let id = session.call(
            "host.newBuildRoot",
            vec![Value::Int(repo_id), Value::from(arch)],
            vec![("task_id", Value::Int(session.cx.id()))],
        )?;
        let id = id
            .as_i64()
            .ok_or_else(|| TaskError::new(FaultCode::Buildroot, "failed to get a buildroot id"))?;
        let dir = session.cx.workdir.join(format!("buildroot-{id}"));
        let limits = Limits::for_builds(session.settings.rpmbuild_timeout);
        let mut sandbox = Sandbox::new(&dir, repo_url, limits, session.cancel.clone())
            .with_module_hotfixes(module_hotfixes(tag_extra));
        info!(
            task.id = session.cx.id(),
            buildroot.id = id,
            "buildroot {id} for {arch} from {repo_url}"
        );
        sandbox
            .init()
            .map_err(|e| TaskError::new(FaultCode::Buildroot, format!("could not init buildroot, {e}")))?;
        Ok(HubBuildroot {
            id,
            sandbox,
            arch: arch.to_owned(),
            expired: false,
        })
    }

    /// Installs `groups` and `extra` (output in root.log); `failure` starts the message of a
    /// failure (`could not init buildroot`, `error building package (arch A)`).
    pub fn install(
        &mut self,
        session: &mut BuildSession<'_>,
        groups: &[&str],
        extra: &[String],
        failure: &str,
        code: FaultCode,
    ) -> Result<Vec<InstalledPackage>, TaskError> {
        let stage = "install buildroot packages";
        session.state.start(stage);
        if let Err(e) = self.sandbox.install(groups, extra, &session.log("root.log")) {
            session.state.failed(stage, &e.to_string());
            let mut error = command_failure(failure, &e);
            error.code = code.code();
            return Err(error);
        }
        session.state.finish(stage);
        let packages = self
            .sandbox
            .package_list()
            .map_err(|e| TaskError::new(FaultCode::Buildroot, e.to_string()))?;
        let path = session.log("installed_pkgs.log");
        std::fs::write(&path, installed_pkgs_log(&packages))
            .map_err(|e| TaskError::from(Error::io("write", &path, e)))?;
        Ok(packages)
    }

    /// `host.setBuildRootList` (or `updateBuildRootList` with `update`).
    pub fn record_list(
        &self,
        session: &BuildSession<'_>,
        packages: &[InstalledPackage],
        update: bool,
    ) -> Result<(), TaskError> {
        let method = if update {
            "host.updateBuildRootList"
        } else {
            "host.setBuildRootList"
        };
        let list = Value::Array(packages.iter().map(InstalledPackage::to_wire).collect());
        session.call(
            method,
            vec![Value::Int(self.id), list],
            vec![("task_id", Value::Int(session.cx.id()))],
        )?;
        Ok(())
    }

    /// `host.setBuildRootState`.
    pub fn set_state(&self, session: &BuildSession<'_>, state: &str) -> Result<(), TaskError> {
        session.call(
            "host.setBuildRootState",
            vec![Value::Int(self.id), Value::from(state)],
            vec![("task_id", Value::Int(session.cx.id()))],
        )?;
        Ok(())
    }

    /// Marks the buildroot EXPIRED and removes its files (best effort: a failure here must not
    /// hide the build's own outcome).
    pub fn expire(&mut self, session: &BuildSession<'_>) {
        if self.expired {
            return;
        }
        self.expired = true;
        if let Err(e) = self.set_state(session, "EXPIRED") {
            warn!(
                task.id = session.cx.id(),
                buildroot.id = self.id,
                "cannot expire buildroot {}: {e}",
                self.id
            );
        }
        if let Err(e) = self.sandbox.expire() {
            warn!(
                task.id = session.cx.id(),
                buildroot.id = self.id,
                "cannot remove buildroot {}: {e}",
                self.id
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_hotfixes_reads_the_tag_option_as_koji_writes_it() {
        let extra = |value: Value| Value::structure([("mock.yum.module_hotfixes", value)]);
        assert!(module_hotfixes(Some(&extra(Value::Int(1)))));
        assert!(module_hotfixes(Some(&extra(Value::from("True")))));
        assert!(!module_hotfixes(Some(&extra(Value::Int(0)))));
        assert!(!module_hotfixes(Some(&extra(Value::from("0")))));
        assert!(!module_hotfixes(Some(&Value::structure([(
            "other",
            Value::Int(1)
        )]))));
        assert!(!module_hotfixes(None));
    }
}
