//! One line per state change, in the stock client's `watch_tasks` format, for logs and pipes.

use std::collections::HashMap;
use std::io::Write;

use crate::error::Result;
use crate::watch::engine::{Node, Phase, View};

/// Koji's line-per-change output.
pub struct PlainView {
    out: Box<dyn Write>,
    quiet: bool,
    intro: String,
    /// The status line printed after each node that finishes.
    summary: fn(&[Node]) -> String,
    /// The state last shown for each node, as displayed.
    seen: HashMap<i64, String>,
}

impl PlainView {
    /// Writes to `out`; `quiet` prints nothing (Koji's `--quiet`).
    pub fn new(out: Box<dyn Write>, quiet: bool) -> PlainView {
        PlainView {
            out,
            quiet,
            intro: "Watching tasks (this may be safely interrupted)...".into(),
            summary: PlainView::tasklist_status,
            seen: HashMap::new(),
        }
    }

    /// Replaces the first line (module watches say what they watch).
    pub fn with_intro(mut self, intro: impl Into<String>) -> PlainView {
        self.intro = intro.into();
        self
    }

    /// Replaces the status line printed after each node that finishes.
    pub fn with_summary(mut self, summary: fn(&[Node]) -> String) -> PlainView {
        self.summary = summary;
        self
    }

    /// `display_tasklist_status`: counts of free, open, done and failed nodes.
    fn tasklist_status(nodes: &[Node]) -> String {
        let count = |f: &dyn Fn(Phase) -> bool| nodes.iter().filter(|n| f(n.phase)).count();
        format!(
            "  {} free  {} open  {} done  {} failed",
            count(&|p| p == Phase::Waiting),
            count(&|p| p == Phase::Running),
            count(&|p| matches!(p, Phase::Succeeded | Phase::Canceled)),
            count(&|p| p == Phase::Failed),
        )
    }
}

impl View for PlainView {
    fn start(&mut self) -> Result<()> {
        if !self.quiet {
            writeln!(self.out, "{}", self.intro)?;
            self.out.flush()?;
        }
        Ok(())
    }

    fn update(&mut self, nodes: &[Node]) -> Result<()> {
        for node in nodes {
            let state = node.display_state();
            match self.seen.insert(node.id, state.clone()) {
                None => {
                    if !self.quiet {
                        writeln!(self.out, "{}: {state}", node.title())?;
                    }
                }
                Some(previous) if previous != state => {
                    if !self.quiet {
                        writeln!(self.out, "{}: {previous} -> {state}", node.title())?;
                        if node.phase.is_done() {
                            writeln!(self.out, "{}", (self.summary)(nodes))?;
                        }
                    }
                }
                Some(_) => {}
            }
        }
        self.out.flush()?;
        Ok(())
    }

    fn finish(&mut self, nodes: &[Node]) -> Result<()> {
        if self.quiet {
            return Ok(());
        }
        writeln!(self.out)?;
        for node in nodes.iter().filter(|n| n.parent.is_none()) {
            let result = match node.phase {
                Phase::Succeeded => "completed successfully",
                Phase::Failed => "failed",
                Phase::Canceled => "was canceled",
                Phase::Waiting | Phase::Running => "has not completed",
            };
            writeln!(self.out, "{} {result}", node.title())?;
        }
        self.out.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use super::*;
    use crate::watch::engine::tests::{Script, node};
    use crate::watch::engine::watch;

    /// A writer the test can read back.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn check(snapshots: Vec<Vec<Node>>, quiet: bool, expected: &str) {
        let shared = Shared::default();
        let mut view = PlainView::new(Box::new(shared.clone()), quiet);
        watch(&mut Script(snapshots, 0), &mut view, Duration::ZERO, &mut |_| {}).unwrap();
        let text = String::from_utf8(shared.0.lock().unwrap().clone()).unwrap();
        assert_eq!(text, expected);
    }

    #[test]
    fn koji_format() {
        check(
            vec![
                vec![node(1, None, "free")],
                vec![node(1, None, "open"), node(2, Some(1), "free")],
                vec![node(1, None, "open"), node(2, Some(1), "failed")],
                vec![node(1, None, "closed"), node(2, Some(1), "failed")],
            ],
            false,
            "Watching tasks (this may be safely interrupted)...\n\
             1 sleep (noarch1): free\n\
             1 sleep (noarch1): free -> open (builder1)\n\
             \x20 2 sleep (noarch2): free\n\
             \x20 2 sleep (noarch2): free -> FAILED: BuildError: oops\n\
             \x20 0 free  1 open  0 done  1 failed\n\
             1 sleep (noarch1): open (builder1) -> closed\n\
             \x20 0 free  0 open  1 done  1 failed\n\
             \n\
             1 sleep (noarch1) completed successfully\n",
        );
    }

    #[test]
    fn quiet_prints_nothing() {
        check(vec![vec![node(1, None, "canceled")]], true, "");
    }
}
