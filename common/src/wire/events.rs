//! Events (`getEvent`, `getLastEvent`).

use serde::{Deserialize, Serialize};

/// An event: `{id, ts}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventInfo {
    /// The event id.
    pub id: i64,
    /// When it happened, in epoch seconds.
    pub ts: f64,
}
