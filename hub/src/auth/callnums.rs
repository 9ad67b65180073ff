//! The highest call number each session has used on this hub, kept in memory so that calls
//! which change nothing (reads, idle polls) are checked for order without writing to the
//! database.
//!
//! The database keeps what Koji keeps: the call number of the last call that committed a
//! change, so a retried write is refused on any hub. This map adds the order of the calls in
//! between, for this hub only; losing it (a restart, or [`MAX_SESSIONS`] reached) only makes
//! the check as lenient as Koji's, which does not keep those numbers either.

use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::Mutex;

/// How many sessions are remembered before the map starts over.
const MAX_SESSIONS: usize = 100_000;

/// A session key's fingerprint: a renewal issues a new key, so numbers remembered for the old
/// key (on any hub) no longer apply once the client restarts its count.
pub fn key_fingerprint(key: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    key.hash(&mut hasher);
    hasher.finish()
}

/// What is remembered of one session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Mark {
    /// The fingerprint of the key the calls presented.
    key: u64,
    /// The highest call number accepted and run to the end.
    callnum: i64,
}

/// Session id → its highest call number seen here.
#[derive(Debug, Default)]
pub struct CallnumMarks {
    marks: Mutex<HashMap<i64, Mark>>,
}

impl CallnumMarks {
    /// The highest call number this hub saw for the session with this key.
    pub fn highest(&self, session_id: i64, key: u64) -> Option<i64> {
        let marks = self.marks.lock().ok()?;
        marks
            .get(&session_id)
            .filter(|mark| mark.key == key)
            .map(|mark| mark.callnum)
    }

    /// Forgets every session, as a restart does.
    pub fn forget(&self) {
        if let Ok(mut marks) = self.marks.lock() {
            marks.clear();
        }
    }

    /// Remembers that the session used `callnum` (a lower number never replaces a higher one).
    pub fn note(&self, session_id: i64, key: u64, callnum: i64) {
        let Ok(mut marks) = self.marks.lock() else {
            return;
        };
        if marks.len() >= MAX_SESSIONS && !marks.contains_key(&session_id) {
            marks.clear();
        }
        let mark = marks.entry(session_id).or_insert(Mark { key, callnum });
        if mark.key != key {
            *mark = Mark { key, callnum };
        } else {
            mark.callnum = mark.callnum.max(callnum);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_highest_number_per_key() {
        let marks = CallnumMarks::default();
        let (old, new) = (key_fingerprint("1-old"), key_fingerprint("1-new"));
        assert_eq!(marks.highest(7, old), None);
        marks.note(7, old, 5);
        marks.note(7, old, 3);
        assert_eq!(marks.highest(7, old), Some(5));
        assert_eq!(marks.highest(8, old), None);
        // A renewed session (new key) starts again from its own numbers.
        assert_eq!(marks.highest(7, new), None);
        marks.note(7, new, 0);
        assert_eq!(marks.highest(7, new), Some(0));
        assert_eq!(marks.highest(7, old), None);
    }
}
