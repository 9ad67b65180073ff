//! Koji tasks as a watch source, polled with the calls `koji watch-task` makes:
//! `getTaskInfo(id, request=True)` for unfinished tasks, `getTaskChildren(id)` for every
//! task, `getHost(host_id)` for running ones and `getTaskResult(id)` for failed ones.

use std::collections::HashMap;

use common::client::ClientError;
use common::xmlrpc::Value;

use crate::commands::field_str;
use crate::commands::taskinfo::{task_output, task_rel_path, work_dir};
use crate::context::Ctx;
use crate::error::{Error, Result, fault_class};
use crate::output::table::py_str;
use crate::watch::engine::{Node, Phase, Source};

/// Koji's `TASK_STATES` names (lower-case, as printed) and their phases.
fn state_of(code: Option<i64>) -> (&'static str, Phase) {
    match code {
        Some(0) => ("free", Phase::Waiting),
        Some(1) => ("open", Phase::Running),
        Some(2) => ("closed", Phase::Succeeded),
        Some(3) => ("canceled", Phase::Canceled),
        Some(4) => ("assigned", Phase::Running),
        Some(5) => ("failed", Phase::Failed),
        _ => ("unknown", Phase::Waiting),
    }
}

fn basename(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The name of a struct (`{'name': …}`) or the value itself, as `%s` shows it.
fn name_or_value(value: Option<&Value>) -> String {
    match value {
        Some(v @ Value::Struct(_)) => field_str(v, "name").to_owned(),
        Some(v) => py_str(v),
        None => String::new(),
    }
}

/// Koji's `taskLabel` for the common methods: `method (detail)`, else `method (arch)`.
///
/// FIXME: the tasks family should port the remaining methods (image, maven, win, livecd).
pub fn task_label(info: &Value) -> String {
    let method = field_str(info, "method");
    let arch = py_str(info.get("arch").unwrap_or(&Value::Nil));
    let request = info.get("request").and_then(Value::as_array).unwrap_or_default();
    let param = |i: usize| request.get(i);
    let extra = match method {
        "build" | "maven" => {
            let src = param(0).map(py_str).unwrap_or_default();
            let source = if src.contains("://") {
                src.rsplit_once('#')
                    .map_or(src.as_str(), |(repo, _)| repo)
                    .trim_end_matches('/')
                    .rsplit('/')
                    .next()
                    .unwrap_or_default()
                    .trim_end_matches(".git")
                    .to_owned()
            } else {
                basename(&src).to_owned()
            };
            format!("{}, {source}", name_or_value(param(1)))
        }
        "buildSRPMFromSCM" => param(0).map(py_str).unwrap_or_default(),
        "buildArch" => {
            let pkg = name_or_value(param(0));
            format!("{}, {}", basename(&pkg), param(2).map(py_str).unwrap_or_default())
        }
        "newRepo" | "distRepo" | "waitrepo" => name_or_value(param(0)),
        "createrepo" => param(1).map(py_str).unwrap_or_default(),
        "dependantTask" => param(0)
            .and_then(Value::as_array)
            .map(|tasks| {
                tasks
                    .iter()
                    .map(|t| {
                        t.as_array()
                            .and_then(|a| a.first())
                            .map(py_str)
                            .unwrap_or_default()
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default(),
        "chainbuild" => name_or_value(param(1)),
        _ => String::new(),
    };
    if extra.is_empty() {
        format!("{method} ({arch})")
    } else {
        format!("{method} ({extra})")
    }
}

struct Entry {
    id: i64,
    parent: Option<i64>,
    depth: usize,
    info: Option<Value>,
    failure: Option<String>,
}

/// Watches Koji tasks and their descendants.
pub struct TaskSource<'a> {
    ctx: &'a Ctx,
    entries: Vec<Entry>,
    hosts: HashMap<i64, String>,
    settled: bool,
    /// Koji's `topurl`: when set, a failure lists the task's logs under it.
    top_url: Option<String>,
}

impl<'a> TaskSource<'a> {
    /// Watches these tasks (the context must be connected).
    pub fn new(ctx: &'a Ctx, task_ids: &[i64]) -> TaskSource<'a> {
        TaskSource {
            ctx,
            entries: task_ids
                .iter()
                .map(|&id| Entry {
                    id,
                    parent: None,
                    depth: 0,
                    info: None,
                    failure: None,
                })
                .collect(),
            hosts: HashMap::new(),
            settled: false,
            top_url: None,
        }
    }

    /// Lists the logs of failed tasks under this URL, as the stock client does with `topurl`.
    pub fn with_top_url(mut self, top_url: Option<String>) -> TaskSource<'a> {
        self.top_url = top_url.filter(|u| !u.is_empty());
        self
    }

    /// `FAILED: …` and, with a top URL, Koji's "Relevant logs" lines.
    fn relevant_logs(&self, task_id: i64) -> Result<String> {
        let Some(top) = &self.top_url else {
            return Ok(String::new());
        };
        let top = top.trim_end_matches('/');
        let mut logs = Vec::new();
        for (file, volumes) in task_output(self.ctx, task_id)? {
            if !file.ends_with("log") {
                continue;
            }
            for volume in volumes {
                logs.push(format!(
                    "  {}/{}/{file}",
                    work_dir(top, &volume),
                    task_rel_path(task_id)
                ));
            }
        }
        if logs.is_empty() {
            return Ok(String::new());
        }
        Ok(format!("\n  Relevant logs:\n{}", logs.join("\n")))
    }

    fn refresh(&mut self, index: usize) -> Result<()> {
        let Some(entry) = self.entries.get(index) else {
            return Ok(());
        };
        let done = entry
            .info
            .as_ref()
            .is_some_and(|i| state_of(i.get("state").and_then(Value::as_i64)).1.is_done());
        if done {
            return Ok(());
        }
        let id = entry.id;
        let info = self.ctx.call_kw(
            "getTaskInfo",
            vec![Value::Int(id)],
            vec![("request", Value::Bool(true))],
        )?;
        if info.is_nil() {
            return Err(Error::Failed(format!("No such task id: {id}")));
        }
        let (_, phase) = state_of(info.get("state").and_then(Value::as_i64));
        let failure = if phase == Phase::Failed {
            match self.ctx.call("getTaskResult", vec![Value::Int(id)]) {
                Err(Error::Client(ClientError::Fault(fault))) => {
                    Some(format!("{}: {}", fault_class(fault.code), fault.message.trim()))
                }
                Err(e) => return Err(e),
                Ok(_) => Some(String::new()),
            }
            .map(|failure| -> Result<String> { Ok(failure + &self.relevant_logs(id)?) })
            .transpose()?
        } else {
            None
        };
        if phase == Phase::Running
            && let Some(host_id) = info.get("host_id").and_then(Value::as_i64)
            && !self.hosts.contains_key(&host_id)
        {
            let host = self.ctx.call("getHost", vec![Value::Int(host_id)])?;
            self.hosts.insert(host_id, field_str(&host, "name").to_owned());
        }
        if let Some(entry) = self.entries.get_mut(index) {
            entry.info = Some(info);
            entry.failure = failure;
        }
        Ok(())
    }

    fn node(&self, entry: &Entry) -> Node {
        let info = entry.info.clone().unwrap_or(Value::Nil);
        let (state, phase) = state_of(info.get("state").and_then(Value::as_i64));
        let host = info
            .get("host_id")
            .and_then(Value::as_i64)
            .and_then(|h| self.hosts.get(&h).cloned())
            .filter(|_| phase == Phase::Running);
        Node {
            id: entry.id,
            hide_id: false,
            parent: entry.parent,
            depth: entry.depth,
            label: if info.is_nil() {
                String::new()
            } else {
                task_label(&info)
            },
            state: state.to_owned(),
            phase,
            host,
            started: info.get("start_ts").and_then(as_f64),
            finished: info.get("completion_ts").and_then(as_f64),
            failure: entry.failure.clone(),
            progress: None,
        }
    }
}

fn as_f64(value: &Value) -> Option<f64> {
    match value {
        Value::Double(d) => Some(*d),
        #[expect(clippy::cast_precision_loss, reason = "timestamps fit in an f64 mantissa")]
        Value::Int(i) => Some(*i as f64),
        _ => None,
    }
}

impl Source for TaskSource<'_> {
    fn poll(&mut self) -> Result<Vec<Node>> {
        self.settled = true;
        let mut index = 0;
        while index < self.entries.len() {
            self.refresh(index)?;
            let (id, depth) = match self.entries.get(index) {
                Some(e) => (e.id, e.depth),
                None => break,
            };
            let children = self.ctx.call("getTaskChildren", vec![Value::Int(id)])?;
            for child in children.as_array().unwrap_or_default() {
                let Some(child_id) = child.get("id").and_then(Value::as_i64) else {
                    continue;
                };
                if self.entries.iter().any(|e| e.id == child_id) {
                    continue;
                }
                // New children are looked at right away; their own children next pass.
                self.entries.push(Entry {
                    id: child_id,
                    parent: Some(id),
                    depth: depth + 1,
                    info: None,
                    failure: None,
                });
                self.settled = false;
            }
            index += 1;
        }
        Ok(self.entries.iter().map(|e| self.node(e)).collect())
    }

    fn settled(&self) -> bool {
        self.settled
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(method: &str, arch: &str, request: Vec<Value>, expected: &str) {
        let info = Value::structure([
            ("method", Value::from(method)),
            ("arch", Value::from(arch)),
            ("request", Value::Array(request)),
        ]);
        assert_eq!(task_label(&info), expected);
    }

    #[test]
    fn labels() {
        check(
            "build",
            "noarch",
            vec![Value::from("cli-build/1.2/foo-1-1.src.rpm"), Value::from("f40")],
            "build (f40, foo-1-1.src.rpm)",
        );
        check(
            "build",
            "noarch",
            vec![
                Value::from("git+https://src.example/rpms/foo.git#abc"),
                Value::from("f40"),
            ],
            "build (f40, foo)",
        );
        check(
            "buildArch",
            "x86_64",
            vec![
                Value::from("tasks/1/foo-1-1.src.rpm"),
                Value::Int(3),
                Value::from("x86_64"),
            ],
            "buildArch (foo-1-1.src.rpm, x86_64)",
        );
        check(
            "newRepo",
            "noarch",
            vec![Value::from("f40-build")],
            "newRepo (f40-build)",
        );
        check(
            "tagBuild",
            "noarch",
            vec![Value::Int(1), Value::Int(2)],
            "tagBuild (noarch)",
        );
        check("sleep", "noarch", vec![Value::Int(0)], "sleep (noarch)");
    }
}
