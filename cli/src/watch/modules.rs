//! Module builds as a watch source, polled as rpkg's `module-build-watch` polls them: each
//! build's `GET module-builds/<id>`, plus `GET component-builds/?module_build=<id>&verbose=true`
//! whenever a component appears whose batch is not known yet.
//!
//! Each build is a tree: the build (its state, the current batch, components built), one node
//! per batch, and the batch's components (NVR or package, Koji task, build state). The watch is
//! over when every build is `ready` or `failed` (or `done` and scratch), as rpkg stops.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use crate::commands::modules::{api_base, get_json, message};
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::output::time::parse_zulu;
use crate::watch::engine::{Node, Phase, Source};

/// One watched module build.
struct Watched {
    id: i64,
    /// The build's JSON as last polled (`Null` before the first poll).
    data: Value,
    /// Each component's batch, from the component listing.
    batches: HashMap<String, i64>,
}

/// Watches module builds through the MBS REST API.
pub struct ModuleSource<'a> {
    ctx: &'a Ctx,
    base: String,
    builds: Vec<Watched>,
    /// Made-up node ids for batches and components (negative, so never a module id).
    keys: HashMap<(i64, String), i64>,
}

/// A component's Koji build state as the watch shows it, and its phase (`None` = not submitted).
fn component_state(state: Option<i64>) -> (&'static str, Phase) {
    match state {
        None => ("waiting", Phase::Waiting),
        Some(0) => ("building", Phase::Running),
        Some(1) => ("complete", Phase::Succeeded),
        Some(2) => ("deleted", Phase::Canceled),
        Some(4) => ("canceled", Phase::Canceled),
        Some(_) => ("failed", Phase::Failed),
    }
}

/// Koji's build state name for the summary (`undefined` when not submitted), as the SOP shows.
fn koji_state_name(state: Option<i64>) -> &'static str {
    state
        .and_then(|n| i32::try_from(n).ok())
        .and_then(common::states::BuildState::from_code)
        .map_or("undefined", common::states::BuildState::name)
}

/// Whether a build in this state (and scratch flag) will not change any more, and how it ended.
pub fn module_phase(state_name: &str, scratch: bool) -> Phase {
    match state_name {
        "init" => Phase::Waiting,
        "ready" => Phase::Succeeded,
        "done" if scratch => Phase::Succeeded,
        "failed" | "garbage" => Phase::Failed,
        _ => Phase::Running,
    }
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// `name:stream:version:context`, the build's NSVC.
pub fn nsvc(data: &Value) -> String {
    ["name", "stream", "version", "context"]
        .iter()
        .map(|key| text(&data[*key]))
        .collect::<Vec<_>>()
        .join(":")
}

impl<'a> ModuleSource<'a> {
    /// Watches these module builds (the context must be connected).
    pub fn new(ctx: &'a Ctx, ids: &[i64]) -> ModuleSource<'a> {
        ModuleSource {
            ctx,
            base: api_base(ctx),
            builds: ids
                .iter()
                .map(|&id| Watched {
                    id,
                    data: Value::Null,
                    batches: HashMap::new(),
                })
                .collect(),
            keys: HashMap::new(),
        }
    }

    /// Every build's JSON as last polled, in the order asked for.
    pub fn builds(&self) -> Vec<Value> {
        self.builds.iter().map(|b| b.data.clone()).collect()
    }

    /// Fetches every build once, so an unknown id fails before anything is shown.
    pub fn check(&mut self) -> Result<()> {
        for index in 0..self.builds.len() {
            let Some(id) = self.builds.get(index).map(|b| b.id) else {
                continue;
            };
            let data = self.fetch(id)?;
            if let Some(build) = self.builds.get_mut(index) {
                build.data = data;
            }
        }
        Ok(())
    }

    fn key(&mut self, module_id: i64, name: String) -> i64 {
        let next = -1 - i64::try_from(self.keys.len()).unwrap_or(i64::MAX - 1);
        *self.keys.entry((module_id, name)).or_insert(next)
    }

    fn fetch(&self, id: i64) -> Result<Value> {
        let (status, answer) = get_json(self.ctx, &format!("{}module-builds/{id}", self.base))?;
        if status != 200 {
            return Err(Error::Failed(format!(
                "Failed to get information about the module build #{id}: {}",
                message(&answer)
            )));
        }
        Ok(answer)
    }

    /// Each component's batch, following the listing's pages.
    fn fetch_batches(&self, id: i64) -> Result<HashMap<String, i64>> {
        let mut batches = HashMap::new();
        let mut next = Some(format!(
            "{}component-builds/?module_build={id}&verbose=true&per_page=100",
            self.base
        ));
        while let Some(url) = next.take() {
            let (status, answer) = get_json(self.ctx, &url)?;
            if status != 200 {
                return Err(Error::Failed(format!(
                    "Failed to list the components of module build #{id}: {}",
                    message(&answer)
                )));
            }
            for item in answer["items"].as_array().cloned().unwrap_or_default() {
                if let (Some(package), Some(batch)) = (item["package"].as_str(), item["batch"].as_i64()) {
                    batches.insert(package.to_owned(), batch);
                }
            }
            next = answer["meta"]["next"].as_str().map(str::to_owned);
        }
        Ok(batches)
    }

    /// The nodes of one build: the build, its batches, their components.
    fn nodes_of(&mut self, index: usize) -> Vec<Node> {
        let Some(build) = self.builds.get(index) else {
            return Vec::new();
        };
        let (id, data) = (build.id, build.data.clone());
        let rpms = data["tasks"]["rpms"].as_object().cloned().unwrap_or_default();
        let mut by_batch: BTreeMap<i64, Vec<(String, Value)>> = BTreeMap::new();
        for (package, task) in rpms {
            let batch = build.batches.get(&package).copied().unwrap_or(0);
            by_batch.entry(batch).or_default().push((package, task));
        }
        let state_name = text(&data["state_name"]);
        let scratch = data["scratch"].as_bool().unwrap_or(false);
        let phase = module_phase(&state_name, scratch);
        let total = by_batch.values().map(Vec::len).sum::<usize>();
        let complete = by_batch
            .values()
            .flatten()
            .filter(|(_, task)| task["state"].as_i64() == Some(1))
            .count();
        let current = data["batch"].as_i64().unwrap_or(0);
        let last = by_batch.keys().next_back().copied().unwrap_or(0);
        let state = if state_name == "build" && last > 0 {
            format!("build (batch {current}/{last})")
        } else {
            state_name.clone()
        };
        let mut label = format!("#{id} {}", nsvc(&data));
        if scratch {
            label.push_str(" (scratch)");
        }
        let count = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
        let mut nodes = vec![Node {
            id,
            hide_id: true,
            parent: None,
            depth: 0,
            label,
            state,
            phase,
            host: None,
            started: data["time_submitted"].as_str().and_then(parse_zulu),
            finished: data["time_completed"].as_str().and_then(parse_zulu),
            failure: (phase == Phase::Failed)
                .then(|| data["state_reason"].as_str().unwrap_or_default().to_owned()),
            progress: (total > 0).then(|| (count(complete), count(total))),
        }];
        for (batch, components) in by_batch {
            let batch_key = self.key(id, format!("batch {batch}"));
            let phases: Vec<Phase> = components
                .iter()
                .map(|(_, task)| component_state(task["state"].as_i64()).1)
                .collect();
            let done = phases.iter().filter(|p| p.is_done()).count();
            let failed = phases
                .iter()
                .filter(|p| matches!(p, Phase::Failed | Phase::Canceled))
                .count();
            let (batch_state, batch_phase) = if done == phases.len() && failed > 0 {
                ("failed", Phase::Failed)
            } else if done == phases.len() {
                ("complete", Phase::Succeeded)
            } else if phases.iter().any(|p| *p != Phase::Waiting) {
                ("building", Phase::Running)
            } else {
                ("waiting", Phase::Waiting)
            };
            nodes.push(Node {
                id: batch_key,
                hide_id: true,
                parent: Some(id),
                depth: 1,
                label: format!("batch {batch}"),
                state: batch_state.to_owned(),
                phase: batch_phase,
                host: None,
                started: None,
                finished: None,
                failure: (batch_phase == Phase::Failed)
                    .then(|| format!("{failed} of {} components failed", phases.len())),
                progress: Some((count(done), count(phases.len()))),
            });
            for (package, task) in components {
                let (state, phase) = component_state(task["state"].as_i64());
                let mut label = match task["nvr"].as_str() {
                    Some(nvr) => nvr.to_owned(),
                    None => package.clone(),
                };
                if let Some(task_id) = task["task_id"].as_i64() {
                    label.push_str(&format!(" (task {task_id})"));
                }
                nodes.push(Node {
                    id: self.key(id, package),
                    hide_id: true,
                    parent: Some(batch_key),
                    depth: 2,
                    label,
                    state: state.to_owned(),
                    phase,
                    host: None,
                    started: None,
                    finished: None,
                    failure: (phase == Phase::Failed)
                        .then(|| task["state_reason"].as_str().unwrap_or_default().to_owned()),
                    progress: None,
                });
            }
        }
        nodes
    }
}

impl Source for ModuleSource<'_> {
    fn poll(&mut self) -> Result<Vec<Node>> {
        for index in 0..self.builds.len() {
            let Some(id) = self.builds.get(index).map(|b| b.id) else {
                continue;
            };
            let data = self.fetch(id)?;
            let known = self.builds.get(index).map(|b| &b.batches);
            let unknown = data["tasks"]["rpms"]
                .as_object()
                .is_some_and(|rpms| rpms.keys().any(|p| known.is_none_or(|k| !k.contains_key(p))));
            let batches = if unknown {
                Some(self.fetch_batches(id)?)
            } else {
                None
            };
            if let Some(build) = self.builds.get_mut(index) {
                build.data = data;
                if let Some(batches) = batches {
                    build.batches = batches;
                }
            }
        }
        let mut nodes = Vec::new();
        for index in 0..self.builds.len() {
            nodes.extend(self.nodes_of(index));
        }
        Ok(nodes)
    }

    fn is_over(&self, nodes: &[Node]) -> bool {
        let mut top = nodes.iter().filter(|n| n.parent.is_none()).peekable();
        top.peek().is_some() && top.all(|n| n.phase.is_done())
    }
}

/// The line-per-change status line: components (the tree's leaves) per state.
pub fn status_line(nodes: &[Node]) -> String {
    let components: Vec<&Node> = nodes.iter().filter(|n| n.depth == 2).collect();
    let count = |f: &dyn Fn(Phase) -> bool| components.iter().filter(|n| f(n.phase)).count();
    format!(
        "  {} waiting  {} building  {} complete  {} failed",
        count(&|p| p == Phase::Waiting),
        count(&|p| p == Phase::Running),
        count(&|p| p == Phase::Succeeded),
        count(&|p| matches!(p, Phase::Failed | Phase::Canceled)),
    )
}

/// The live tree's summary bar: components finished of all, and how many build or failed.
/// Batches and the builds themselves are not counted.
pub fn tree_status(nodes: &[Node]) -> (usize, usize, String) {
    let components: Vec<&Node> = nodes.iter().filter(|n| n.depth == 2).collect();
    let count = |f: &dyn Fn(Phase) -> bool| components.iter().filter(|n| f(n.phase)).count();
    let text = format!(
        "{} building  {} failed",
        count(&|p| p == Phase::Running),
        count(&|p| matches!(p, Phase::Failed | Phase::Canceled)),
    );
    (count(&Phase::is_done), components.len(), text)
}

/// The SOP's `mbs-build watch` report of one build: components still building and failed,
/// with their Koji task pages, the count per state, and the build's state.
pub fn summary(data: &Value, weburl: &str) -> String {
    let rpms = data["tasks"]["rpms"].as_object().cloned().unwrap_or_default();
    let task_url = |task: &Value| match task["task_id"].as_i64() {
        Some(task_id) => format!(" {}/taskinfo?taskID={task_id}", weburl.trim_end_matches('/')),
        None => String::new(),
    };
    let mut out = String::new();
    for (title, wanted) in [("Still building:", &[0][..]), ("Failed:", &[3, 4][..])] {
        let listed: Vec<String> = rpms
            .iter()
            .filter(|(_, task)| task["state"].as_i64().is_some_and(|s| wanted.contains(&s)))
            .map(|(package, task)| format!("   {package}{}\n", task_url(task)))
            .collect();
        if !listed.is_empty() {
            out.push_str(title);
            out.push('\n');
            out.extend(listed);
        }
    }
    out.push_str("Summary:\n");
    for state in [Some(0), Some(1), Some(3), Some(4), Some(2), None] {
        let n = rpms
            .values()
            .filter(|task| task["state"].as_i64() == state)
            .count();
        if n > 0 {
            out.push_str(&format!(
                "   {n} components in the {} state\n",
                koji_state_name(state)
            ));
        }
    }
    out.push_str(&format!(
        "{}'s build #{} of {}-{} is in the \"{}\" state\n",
        text(&data["owner"]),
        text(&data["id"]),
        text(&data["name"]),
        text(&data["stream"]),
        text(&data["state_name"])
    ));
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn phases_end_where_rpkg_stops() {
        assert_eq!(module_phase("init", false), Phase::Waiting);
        assert_eq!(module_phase("build", false), Phase::Running);
        assert_eq!(module_phase("done", false), Phase::Running);
        assert_eq!(module_phase("done", true), Phase::Succeeded);
        assert_eq!(module_phase("ready", false), Phase::Succeeded);
        assert_eq!(module_phase("failed", true), Phase::Failed);
        assert_eq!(component_state(None), ("waiting", Phase::Waiting));
        assert_eq!(component_state(Some(3)), ("failed", Phase::Failed));
    }

    #[test]
    fn sop_summary() {
        let data = json!({
            "id": 570, "name": "shared-userspace", "stream": "f26", "owner": "psabata",
            "state_name": "build",
            "tasks": {"rpms": {
                "libXrender": {"task_id": 19804885, "state": 0},
                "libXxf86vm": {"task_id": 19804903, "state": 3},
                "libaio": {"task_id": 19803741, "state": 1},
                "time": {"task_id": null, "state": null},
            }}
        });
        assert_eq!(
            summary(&data, "https://koji.example.org/koji/"),
            "Still building:\n   libXrender https://koji.example.org/koji/taskinfo?taskID=19804885\n\
             Failed:\n   libXxf86vm https://koji.example.org/koji/taskinfo?taskID=19804903\n\
             Summary:\n   1 components in the BUILDING state\n   1 components in the COMPLETE state\n\
             \x20  1 components in the FAILED state\n   1 components in the undefined state\n\
             psabata's build #570 of shared-userspace-f26 is in the \"build\" state\n"
        );
    }
}
