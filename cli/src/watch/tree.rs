//! The live tree for terminals: one line per node (spinner, id, label, state, host, elapsed
//! time), children under their parents, and an overall progress bar on top.

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::error::Result;
use crate::output::time::elapsed;
use crate::watch::engine::{Node, Phase, View};

const TICK: Duration = Duration::from_millis(120);

/// The live tree.
pub struct TreeView {
    multi: MultiProgress,
    summary: ProgressBar,
    /// One bar per node id, and the phase it was last drawn in.
    bars: HashMap<i64, (ProgressBar, Phase)>,
    /// The summary bar's figures: finished, total, and the text beside them.
    status: fn(&[Node]) -> (usize, usize, String),
}

/// Every node counts: finished of all, then how many are free, open and failed.
fn task_status(nodes: &[Node]) -> (usize, usize, String) {
    let count = |phase: Phase| nodes.iter().filter(|n| n.phase == phase).count();
    let done = nodes.iter().filter(|n| n.phase.is_done()).count();
    let text = format!(
        "{} free  {} open  {} failed",
        count(Phase::Waiting),
        count(Phase::Running),
        count(Phase::Failed)
    );
    (done, nodes.len(), text)
}

impl Default for TreeView {
    fn default() -> Self {
        TreeView::new()
    }
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_spinner())
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// Parents before children, siblings in the order first seen.
fn tree_order(nodes: &[Node]) -> Vec<&Node> {
    fn visit<'a>(parent: Option<i64>, nodes: &'a [Node], out: &mut Vec<&'a Node>) {
        for node in nodes.iter().filter(|n| n.parent == parent) {
            out.push(node);
            visit(Some(node.id), nodes, out);
        }
    }
    let mut out = Vec::with_capacity(nodes.len());
    visit(None, nodes, &mut out);
    // Nodes whose parent is not in the list still get shown.
    for node in nodes {
        if !out.iter().any(|n| n.id == node.id) {
            out.push(node);
        }
    }
    out
}

/// The text after the spinner: tree branch, id, label, state, progress, and elapsed time once
/// finished (running nodes show a live clock from the template instead).
fn line(node: &Node) -> String {
    let branch = if node.depth == 0 {
        String::new()
    } else {
        format!("{}└─ ", "   ".repeat(node.depth - 1))
    };
    let title = if node.hide_id {
        node.label.clone()
    } else {
        format!("{} {}", node.id, node.label)
    };
    let mut text = format!("{branch}{title}  {}", node.display_state());
    if let Some((done, total)) = node.progress {
        text.push_str(&format!("  [{done}/{total}]"));
    }
    if node.phase.is_done()
        && let (Some(start), Some(end)) = (node.started, node.finished)
    {
        text.push_str(&format!("  {}", elapsed(end - start)));
    }
    text.lines().next().unwrap_or_default().to_owned()
}

impl TreeView {
    /// A tree drawn on standard output.
    pub fn new() -> TreeView {
        TreeView::with_target(ProgressDrawTarget::stdout())
    }

    /// A tree drawn on `target` (hidden in tests).
    pub fn with_target(target: ProgressDrawTarget) -> TreeView {
        let multi = MultiProgress::with_draw_target(target);
        let summary =
            multi.add(ProgressBar::new(0).with_style(style("{bar:30.green/white} {pos}/{len} done  {msg}")));
        TreeView {
            multi,
            summary,
            bars: HashMap::new(),
            status: task_status,
        }
    }

    /// Replaces what the summary bar counts and says.
    pub fn with_status(mut self, status: fn(&[Node]) -> (usize, usize, String)) -> TreeView {
        self.status = status;
        self
    }

    fn restyle(bar: &ProgressBar, node: &Node) {
        match node.phase {
            Phase::Waiting => {
                bar.disable_steady_tick();
                bar.set_style(style("  · {msg:.dim}"));
            }
            Phase::Running => {
                bar.set_style(style("{spinner:.cyan} {msg}  {elapsed:.dim}"));
                if let Some(started) = node.started {
                    bar.set_elapsed(Duration::from_secs_f64((now() - started).max(0.0)));
                }
                bar.enable_steady_tick(TICK);
            }
            Phase::Succeeded => {
                bar.disable_steady_tick();
                bar.set_style(style("{prefix:.green} {msg}"));
                bar.set_prefix("✔");
            }
            Phase::Failed | Phase::Canceled => {
                bar.disable_steady_tick();
                bar.set_style(style("{prefix:.red} {msg}"));
                bar.set_prefix(if node.phase == Phase::Failed { "✘" } else { "⊘" });
            }
        }
    }
}

impl View for TreeView {
    fn start(&mut self) -> Result<()> {
        Ok(())
    }

    fn update(&mut self, nodes: &[Node]) -> Result<()> {
        for (index, node) in tree_order(nodes).into_iter().enumerate() {
            let message = line(node);
            match self.bars.get_mut(&node.id) {
                Some((bar, phase)) => {
                    if *phase != node.phase {
                        TreeView::restyle(bar, node);
                        *phase = node.phase;
                    }
                    bar.set_message(message);
                    if node.phase.is_done() {
                        bar.finish();
                    }
                }
                None => {
                    // Index 0 is the summary bar.
                    let bar = self.multi.insert(index + 1, ProgressBar::new_spinner());
                    TreeView::restyle(&bar, node);
                    bar.set_message(message);
                    if node.phase.is_done() {
                        bar.finish();
                    }
                    self.bars.insert(node.id, (bar, node.phase));
                }
            }
        }
        let (done, total, text) = (self.status)(nodes);
        self.summary.set_length(u64::try_from(total).unwrap_or(u64::MAX));
        self.summary.set_position(u64::try_from(done).unwrap_or(u64::MAX));
        self.summary.set_message(text);
        Ok(())
    }

    fn finish(&mut self, nodes: &[Node]) -> Result<()> {
        self.summary.finish();
        for (bar, _) in self.bars.values() {
            bar.finish();
        }
        let failed: Vec<&Node> = nodes.iter().filter(|n| n.phase == Phase::Failed).collect();
        for node in failed {
            if let Some(failure) = &node.failure {
                self.multi
                    .println(format!("{}: {failure}", node.title().trim_start()))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::watch::engine::tests::node;

    #[test]
    fn children_follow_their_parents() {
        let nodes = vec![
            node(1, None, "open"),
            node(5, None, "free"),
            node(2, Some(1), "open"),
            node(9, Some(7), "free"),
        ];
        let order: Vec<i64> = tree_order(&nodes).into_iter().map(|n| n.id).collect();
        assert_eq!(order, [1, 2, 5, 9]);
    }

    #[test]
    fn lines() {
        let mut done = node(2, Some(1), "closed");
        done.started = Some(100.0);
        done.finished = Some(175.0);
        assert_eq!(line(&done), "└─ 2 sleep (noarch2)  closed  1:15");
        let mut build = node(1, None, "open");
        build.progress = Some((3, 10));
        assert_eq!(line(&build), "1 sleep (noarch1)  open (builder1)  [3/10]");
    }

    #[test]
    fn updates_a_hidden_tree() {
        let mut view = TreeView::with_target(ProgressDrawTarget::hidden());
        view.update(&[node(1, None, "open")]).unwrap();
        view.update(&[node(1, None, "open"), node(2, Some(1), "closed")])
            .unwrap();
        view.update(&[node(1, None, "failed"), node(2, Some(1), "closed")])
            .unwrap();
        view.finish(&[node(1, None, "failed"), node(2, Some(1), "closed")])
            .unwrap();
        assert_eq!(view.bars.len(), 2);
        assert_eq!(view.summary.position(), 2);
        assert!(view.bars.values().all(|(bar, _)| bar.is_finished()));
    }
}
