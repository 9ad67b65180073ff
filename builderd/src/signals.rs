//! Stop requests: SIGTERM and SIGINT are blocked in every thread and read by one thread with
//! `sigwait`, which sets a flag the daemon checks (no signal handlers, no unsafe code). Task
//! processes unblock them first thing, so they die on SIGTERM as usual.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use nix::sys::signal::{SigSet, Signal};

use crate::error::{Error, Result};

/// How far a stop has been asked for.
#[derive(Debug, Default)]
pub struct StopFlag(AtomicU8);

impl StopFlag {
    /// A flag that has not been raised.
    pub fn new() -> StopFlag {
        StopFlag::default()
    }

    /// Asks for a stop: the first time a graceful one, the second time an immediate one.
    pub fn raise(&self) {
        let _ = self.0.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
            Some(n.saturating_add(1).min(2))
        });
    }

    /// Stop taking work and let running tasks finish.
    pub fn graceful(&self) -> bool {
        self.0.load(Ordering::SeqCst) >= 1
    }

    /// Stop now: kill running tasks and give them back.
    pub fn immediate(&self) -> bool {
        self.0.load(Ordering::SeqCst) >= 2
    }
}

fn stop_signals() -> SigSet {
    let mut set = SigSet::empty();
    set.add(Signal::SIGTERM);
    set.add(Signal::SIGINT);
    set
}

/// Blocks SIGTERM and SIGINT and starts the thread that turns them into stop requests. Call it
/// before starting any other thread, so every thread inherits the mask.
pub fn install() -> Result<Arc<StopFlag>> {
    let set = stop_signals();
    set.thread_block()
        .map_err(|e| Error::io("block signals in", "builderd", e.into()))?;
    let flag = Arc::new(StopFlag::new());
    let raised = flag.clone();
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            while let Ok(signal) = set.wait() {
                tracing::info!(signal = %signal, "received {signal}: stopping");
                raised.raise();
            }
        })
        .map_err(|e| Error::io("start the signal thread for", "builderd", e))?;
    Ok(flag)
}

/// Lets SIGTERM and SIGINT through again (in a task process).
pub fn unblock() -> Result<()> {
    stop_signals()
        .thread_unblock()
        .map_err(|e| Error::io("unblock signals in", "task process", e.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stops_escalate() {
        let flag = StopFlag::new();
        assert!(!flag.graceful());
        flag.raise();
        assert!(flag.graceful() && !flag.immediate());
        flag.raise();
        flag.raise();
        assert!(flag.immediate());
    }
}
