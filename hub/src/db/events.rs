//! The `events` table: moments in the hub's history that versioned rows point at.

use tokio_postgres::Row;

use super::Client;
use super::types::{Micros, Tx};
use crate::error::Result;

/// One event.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EventRow {
    /// The event id.
    pub id: i64,
    /// When it happened.
    pub time: Micros,
}

impl EventRow {
    fn from_row(row: &Row) -> Result<EventRow> {
        Ok(EventRow {
            id: row.try_get("id")?,
            time: row.try_get("time")?,
        })
    }
}

/// Creates a new event and returns its id.
pub async fn create(tx: &Tx<'_>) -> Result<i64> {
    Ok(tx.query_one("SELECT get_event()", &[]).await?.try_get(0)?)
}

/// One event by id.
pub async fn get(client: &Client, event_id: i64) -> Result<Option<EventRow>> {
    let row = client
        .query_opt("SELECT id, time FROM events WHERE id = $1", &[&event_id])
        .await?;
    row.as_ref().map(EventRow::from_row).transpose()
}

/// The newest event, or the newest strictly before `before`.
pub async fn last(client: &Client, before: Option<Micros>) -> Result<Option<EventRow>> {
    let row = match before {
        None => {
            client
                .query_opt("SELECT id, time FROM events ORDER BY id DESC LIMIT 1", &[])
                .await?
        }
        Some(before) => {
            client
                .query_opt(
                    "SELECT id, time FROM events WHERE time < $1 ORDER BY id DESC LIMIT 1",
                    &[&before],
                )
                .await?
        }
    };
    row.as_ref().map(EventRow::from_row).transpose()
}
