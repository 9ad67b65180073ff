//! Watching work in progress: a [`Source`] reports a tree of nodes (tasks, module
//! components), a [`View`] shows it, and [`watch`] polls until everything is finished.
//!
//! On a terminal [`TreeView`] draws a live tree with spinners, states, hosts and elapsed
//! times; otherwise [`PlainView`] prints one line per state change in the stock client's
//! format. [`TaskSource`] follows Koji tasks exactly as `koji watch-task` does;
//! [`ModuleSource`] follows module builds through the MBS REST API, batch by batch.

mod engine;
mod modules;
mod plain;
mod tasks;
mod tree;

pub use engine::{Node, Outcome, Phase, Source, View, watch};
pub use modules::{ModuleSource, summary as module_summary};
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

/// [`view_for_stdout`] for module builds: the line output says what it watches and counts
/// components in its status lines.
pub fn module_view_for_stdout(quiet: bool) -> Box<dyn View> {
    use std::io::IsTerminal;
    if !quiet && std::io::stdout().is_terminal() {
        Box::new(TreeView::new().with_status(modules::tree_status))
    } else {
        Box::new(
            PlainView::new(Box::new(std::io::stdout()), quiet)
                .with_intro("Watching module builds (this may be safely interrupted)...")
                .with_summary(modules::status_line),
        )
    }
}
