//! Helpers for Koji's versioned tables: who changes a row and when, and the condition that picks
//! the rows valid at an event.

/// A change to versioned rows: the event it belongs to and the user making it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    /// The call's event.
    pub event_id: i64,
    /// The user recorded as creator or revoker.
    pub user_id: i64,
}

/// The condition selecting the rows of `alias` that are valid at the event held by placeholder
/// `event` (Koji's `eventCondition`), or the current rows when there is no event.
pub fn valid_at(alias: &str, event: Option<&str>) -> String {
    match event {
        None => format!("{alias}.active IS TRUE"),
        Some(p) => format!(
            "({alias}.create_event <= {p} AND ({alias}.revoke_event IS NULL OR {p} < {alias}.revoke_event))"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions() {
        assert_eq!(valid_at("tc", None), "tc.active IS TRUE");
        assert_eq!(
            valid_at("tc", Some("$2")),
            "(tc.create_event <= $2 AND (tc.revoke_event IS NULL OR $2 < tc.revoke_event))"
        );
    }
}
