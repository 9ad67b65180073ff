//! Applies `docs/schema/schema.sql` to a fresh database, or the newer upgrade scripts to an
//! existing one, at start.

use tokio_postgres::Client;
use tracing::info;

use crate::error::{Error, Result};

/// The whole current schema.
pub const SCHEMA_SQL: &str = include_str!("../../../docs/schema/schema.sql");

/// The numbered upgrade scripts, in order. The last number is the version `SCHEMA_SQL` records.
pub const UPGRADES: &[(i32, &str)] = &[
    (
        1,
        include_str!("../../../docs/schema/upgrades/0001-foundation.sql"),
    ),
    // Hosts, channels, tasks, scheduler, buildroots.
    (3, include_str!("../../../docs/schema/upgrades/0003-tasks.sql")),
    // Tags, inheritance, targets, package lists, comps groups.
    (4, include_str!("../../../docs/schema/upgrades/0004-tags.sql")),
    // Builds, RPMs, tagging, external repos, repos, repo requests, buildroot contents.
    (5, include_str!("../../../docs/schema/upgrades/0005-content.sql")),
    // Module builds, component builds, their state traces.
    (6, include_str!("../../../docs/schema/upgrades/0006-modules.sql")),
    // Notifications for the repo loop.
    (
        8,
        include_str!("../../../docs/schema/upgrades/0008-repo-notify.sql"),
    ),
    // Opening a task notifies nobody (it serialised commits).
    (
        10,
        include_str!("../../../docs/schema/upgrades/0010-task-notify-open.sql"),
    ),
    // An index of the tasks hosts hold.
    (
        11,
        include_str!("../../../docs/schema/upgrades/0011-task-queues.sql"),
    ),
];

/// The schema version this hub expects.
pub fn current_version() -> i32 {
    UPGRADES.last().map_or(0, |(n, _)| *n)
}

/// An arbitrary key for the advisory lock that serialises schema changes between hubs.
const SCHEMA_LOCK_KEY: i64 = 0x6b69_6c6e_5343;

/// Brings the database to the current schema. Safe to call from several hubs at once.
pub async fn apply(client: &mut Client) -> Result<()> {
    client
        .execute("SELECT pg_advisory_lock($1)", &[&SCHEMA_LOCK_KEY])
        .await?;
    let result = apply_locked(client).await;
    client
        .execute("SELECT pg_advisory_unlock($1)", &[&SCHEMA_LOCK_KEY])
        .await?;
    result
}

async fn apply_locked(client: &mut Client) -> Result<()> {
    let exists: bool = client
        .query_one("SELECT to_regclass('kiln_schema') IS NOT NULL", &[])
        .await?
        .get(0);
    if !exists {
        let tx = client.transaction().await?;
        tx.batch_execute(SCHEMA_SQL).await?;
        tx.commit().await?;
        info!(
            schema.version = current_version(),
            "created the database schema at version {}",
            current_version()
        );
        return Ok(());
    }
    let version: i32 = client
        .query_one("SELECT max(version) FROM kiln_schema", &[])
        .await?
        .try_get(0)?;
    if version > current_version() {
        return Err(Error::Generic(format!(
            "the database schema is at version {version}, newer than this hub knows ({})",
            current_version()
        )));
    }
    for (number, sql) in UPGRADES.iter().filter(|(n, _)| *n > version) {
        let tx = client.transaction().await?;
        tx.batch_execute(sql).await?;
        tx.execute("UPDATE kiln_schema SET version = $1", &[number])
            .await?;
        tx.commit().await?;
        info!(
            schema.version = number,
            "upgraded the database schema to version {number}"
        );
    }
    Ok(())
}

/// Applies only the upgrade scripts, in order, to an empty database (used by the test that
/// checks they add up to `schema.sql`).
pub async fn apply_upgrades_only(client: &mut Client) -> Result<()> {
    for (number, sql) in UPGRADES {
        let tx = client.transaction().await?;
        tx.batch_execute(sql).await?;
        tx.execute("UPDATE kiln_schema SET version = $1", &[number])
            .await?;
        tx.commit().await?;
    }
    Ok(())
}
