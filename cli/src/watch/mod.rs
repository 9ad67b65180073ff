//! Watching work in progress: a [`Source`] reports a tree of nodes (tasks, module
//! components), a [`View`] shows it, and [`watch`] polls until everything is finished.
//!
//! On a terminal [`TreeView`] draws a live tree with spinners, states, hosts and elapsed
//! times; otherwise [`PlainView`] prints one line per state change in the stock client's
//! format. [`TaskSource`] follows Koji tasks exactly as `koji watch-task` does.

mod engine;
mod plain;
mod tasks;
mod tree;

pub use engine::{Node, Outcome, Phase, Source, View, watch};
pub use plain::PlainView;
pub use tasks::{TaskSource, task_label};
pub use tree::TreeView;

/// The view that fits standard output: the live tree on a terminal, lines otherwise.
pub fn view_for_stdout(quiet: bool) -> Box<dyn View> {
    use std::io::IsTerminal;
    if !quiet && std::io::stdout().is_terminal() {
        Box::new(TreeView::new())
    } else {
        Box::new(PlainView::new(Box::new(std::io::stdout()), quiet))
    }
}
