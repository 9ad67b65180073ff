//! The watch loop and the vocabulary shared by sources and views.

use std::time::Duration;

use crate::error::Result;

/// Where a node is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Not started (Koji's FREE).
    Waiting,
    /// In progress (OPEN, ASSIGNED; a module's "build").
    Running,
    /// Finished well (CLOSED; a module's "ready").
    Succeeded,
    /// Finished badly (FAILED).
    Failed,
    /// Stopped by someone (CANCELED).
    Canceled,
}

impl Phase {
    /// True once the node will not change any more.
    pub fn is_done(self) -> bool {
        matches!(self, Phase::Succeeded | Phase::Failed | Phase::Canceled)
    }
}

/// One watched thing: a task, a module build, a component.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Its id (task id, module build id): unique within one watch, the key views follow it by.
    pub id: i64,
    /// True when `id` is a key the source made up (a batch, a component), so titles leave it out.
    pub hide_id: bool,
    /// The watched node it belongs under; `None` for the nodes the user asked to watch.
    pub parent: Option<i64>,
    /// Depth below the watched nodes (0 for them), as Koji's `TaskWatcher.level`.
    pub depth: usize,
    /// What it is: Koji's task label, e.g. `build (f40, foo-1-1.src.rpm)`.
    pub label: String,
    /// The state name as the stock client prints it (`open`, `closed`, `free`).
    pub state: String,
    /// The phase the state stands for.
    pub phase: Phase,
    /// The host working on it, while running.
    pub host: Option<String>,
    /// When it started (Unix time), if it has.
    pub started: Option<f64>,
    /// When it finished (Unix time), if it has.
    pub finished: Option<f64>,
    /// Why it failed (`BuildError: …`), with any further lines (relevant logs).
    pub failure: Option<String>,
    /// Progress within the node (components built, total), when it has any.
    pub progress: Option<(u64, u64)>,
}

impl Node {
    /// The state as the stock client shows it: `open (builder1)`, `FAILED: reason`, `closed`.
    pub fn display_state(&self) -> String {
        match (self.phase, &self.host, &self.failure) {
            (Phase::Running, Some(host), _) => format!("{} ({host})", self.state),
            (Phase::Failed, _, Some(failure)) => format!("FAILED: {failure}"),
            (Phase::Failed, _, None) => "FAILED: ".to_owned(),
            _ => self.state.clone(),
        }
    }

    /// `"<indent><id> <label>"`, Koji's `TaskWatcher.str()` (without the id when hidden).
    pub fn title(&self) -> String {
        let indent = "  ".repeat(self.depth);
        if self.hide_id {
            format!("{indent}{}", self.label)
        } else {
            format!("{indent}{} {}", self.id, self.label)
        }
    }
}

/// Something that can be watched.
pub trait Source {
    /// Every node as it is now, in the order they were first seen.
    fn poll(&mut self) -> Result<Vec<Node>>;

    /// False when the last poll found new nodes whose own children are not known yet, so
    /// the watch must go on even if every node is finished.
    fn settled(&self) -> bool {
        true
    }

    /// True when the watch is over: by default once every node is finished (Koji's
    /// `watch_tasks`); a source whose top-level nodes decide (module builds) says so here.
    fn is_over(&self, nodes: &[Node]) -> bool {
        !nodes.is_empty() && nodes.iter().all(|n| n.phase.is_done())
    }
}

/// Something that shows a watch.
pub trait View {
    /// Before the first poll.
    fn start(&mut self) -> Result<()>;
    /// After each poll.
    fn update(&mut self, nodes: &[Node]) -> Result<()>;
    /// When every node is finished.
    fn finish(&mut self, nodes: &[Node]) -> Result<()>;
}

/// How a watch ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every watched (top-level) node succeeded.
    Success,
    /// Some watched node failed or was canceled.
    Failure,
}

impl Outcome {
    /// Koji's exit code: 1 if any top-level task did not close successfully.
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Success => 0,
            Outcome::Failure => 1,
        }
    }
}

/// Polls `source` every `poll_interval` (through `sleep`, so tests need not wait) and shows
/// each snapshot in `view` until every node is finished.
pub fn watch(
    source: &mut dyn Source,
    view: &mut dyn View,
    poll_interval: Duration,
    sleep: &mut dyn FnMut(Duration),
) -> Result<Outcome> {
    view.start()?;
    loop {
        let nodes = source.poll()?;
        view.update(&nodes)?;
        if source.is_over(&nodes) && source.settled() {
            view.finish(&nodes)?;
            let success = nodes
                .iter()
                .filter(|n| n.parent.is_none())
                .all(|n| n.phase == Phase::Succeeded);
            return Ok(if success {
                Outcome::Success
            } else {
                Outcome::Failure
            });
        }
        sleep(poll_interval);
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A node for tests: `id`, parent, state name.
    pub fn node(id: i64, parent: Option<i64>, state: &str) -> Node {
        let phase = match state {
            "free" => Phase::Waiting,
            "open" | "assigned" => Phase::Running,
            "closed" => Phase::Succeeded,
            "canceled" => Phase::Canceled,
            _ => Phase::Failed,
        };
        Node {
            id,
            hide_id: false,
            parent,
            depth: usize::from(parent.is_some()),
            label: format!("sleep (noarch{id})"),
            state: state.to_owned(),
            phase,
            host: (phase == Phase::Running).then(|| "builder1".to_owned()),
            started: None,
            finished: None,
            failure: (phase == Phase::Failed).then(|| "BuildError: oops".to_owned()),
            progress: None,
        }
    }

    /// A source that replays snapshots, the last one forever.
    pub struct Script(pub Vec<Vec<Node>>, pub usize);

    impl Source for Script {
        fn poll(&mut self) -> Result<Vec<Node>> {
            let index = self.1.min(self.0.len() - 1);
            self.1 += 1;
            Ok(self.0[index].clone())
        }
    }

    #[derive(Default)]
    struct Recorder(Vec<String>);

    impl View for Recorder {
        fn start(&mut self) -> Result<()> {
            self.0.push("start".into());
            Ok(())
        }
        fn update(&mut self, nodes: &[Node]) -> Result<()> {
            self.0.push(format!("update {}", nodes.len()));
            Ok(())
        }
        fn finish(&mut self, _: &[Node]) -> Result<()> {
            self.0.push("finish".into());
            Ok(())
        }
    }

    fn check(snapshots: Vec<Vec<Node>>, outcome: Outcome, events: &[&str], sleeps: usize) {
        let mut view = Recorder::default();
        let mut slept = 0;
        let got = watch(
            &mut Script(snapshots, 0),
            &mut view,
            Duration::from_secs(6),
            &mut |d| {
                assert_eq!(d, Duration::from_secs(6));
                slept += 1;
            },
        )
        .unwrap();
        assert_eq!(got, outcome);
        assert_eq!(view.0, events);
        assert_eq!(slept, sleeps);
    }

    #[test]
    fn polls_until_done() {
        check(
            vec![
                vec![node(1, None, "free")],
                vec![node(1, None, "open"), node(2, Some(1), "open")],
                vec![node(1, None, "closed"), node(2, Some(1), "closed")],
            ],
            Outcome::Success,
            &["start", "update 1", "update 2", "update 2", "finish"],
            2,
        );
    }

    #[test]
    fn a_failed_child_alone_does_not_fail_the_watch() {
        check(
            vec![vec![node(1, None, "closed"), node(2, Some(1), "failed")]],
            Outcome::Success,
            &["start", "update 2", "finish"],
            0,
        );
    }

    #[test]
    fn canceled_top_level_fails() {
        check(
            vec![vec![node(1, None, "canceled"), node(3, None, "closed")]],
            Outcome::Failure,
            &["start", "update 2", "finish"],
            0,
        );
        assert_eq!(Outcome::Failure.exit_code(), 1);
    }

    #[test]
    fn display_states() {
        assert_eq!(node(1, None, "open").display_state(), "open (builder1)");
        assert_eq!(
            node(1, None, "failed").display_state(),
            "FAILED: BuildError: oops"
        );
        assert_eq!(node(1, None, "free").display_state(), "free");
        assert_eq!(node(2, Some(1), "free").title(), "  2 sleep (noarch2)");
    }
}
