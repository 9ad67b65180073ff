//! `state.log`: one timestamped line per build stage (`Start: checkout`, `Finish: rpmbuild`,
//! `FAILED: …`), our analogue of mock's state.log.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// A `state.log` that stages are written to as they start and end.
#[derive(Debug)]
pub struct StateLog {
    path: PathBuf,
    /// When each stage started, by name, for the durations on `Finish` lines.
    started: Vec<(String, Instant)>,
}

impl StateLog {
    /// A state log at `path` (created on the first line).
    pub fn new(path: &Path) -> StateLog {
        StateLog {
            path: path.to_path_buf(),
            started: Vec::new(),
        }
    }

    /// The log's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn line(&self, text: &str) {
        let stamp = chrono::Utc::now().format("%Y-%m-%d %H:%M:%S%.3f");
        let written = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .and_then(|mut file| writeln!(file, "{stamp} {text}"));
        if let Err(e) = written {
            tracing::warn!("cannot write {}: {e}", self.path.display());
        }
    }

    /// `Start: STAGE`.
    pub fn start(&mut self, stage: &str) {
        self.line(&format!("Start: {stage}"));
        self.started.push((stage.to_owned(), Instant::now()));
    }

    /// `Finish: STAGE` with the time it took; returns that time in seconds.
    pub fn finish(&mut self, stage: &str) -> f64 {
        let seconds = self.elapsed(stage);
        self.line(&format!("Finish: {stage} ({seconds:.3} s)"));
        seconds
    }

    /// `FAILED: STAGE: why`.
    pub fn failed(&mut self, stage: &str, why: &str) {
        let seconds = self.elapsed(stage);
        self.line(&format!("FAILED: {stage} ({seconds:.3} s): {why}"));
    }

    fn elapsed(&mut self, stage: &str) -> f64 {
        match self.started.iter().rposition(|(name, _)| name == stage) {
            Some(index) => {
                let (_, at) = self.started.remove(index);
                at.elapsed().as_secs_f64()
            }
            None => 0.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_are_logged_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = StateLog::new(&dir.path().join("state.log"));
        log.start("checkout");
        log.finish("checkout");
        log.start("rpmbuild");
        log.failed("rpmbuild", "rpmbuild exited with status 1");
        let text = std::fs::read_to_string(log.path()).unwrap();
        let stages: Vec<&str> = text
            .lines()
            .map(|line| line.splitn(3, ' ').nth(2).unwrap())
            .map(|rest| rest.split(" (").next().unwrap())
            .collect();
        assert_eq!(
            stages,
            [
                "Start: checkout",
                "Finish: checkout",
                "Start: rpmbuild",
                "FAILED: rpmbuild"
            ]
        );
        assert!(text.ends_with("rpmbuild exited with status 1\n"), "{text}");
    }
}
