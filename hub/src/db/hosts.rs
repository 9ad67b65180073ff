//! Build hosts, their versioned configuration and channel memberships, channels, and what
//! builders report about themselves (`host`, `host_config`, `host_channels`, `channels`,
//! `scheduler_host_data`).

use tokio_postgres::Row;

use super::Client;
use super::query::{QueryOpts, SqlBuilder};
use super::types::{Micros, Tx};
use crate::error::Result;

/// A host with its current (or as-of-event) configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct HostRow {
    /// The host id.
    pub id: i64,
    /// Its login user.
    pub user_id: i64,
    /// The host name.
    pub name: String,
    /// Last check-in.
    pub update_time: Option<Micros>,
    /// Reported ready.
    pub ready: bool,
    /// Reported load.
    pub task_load: f64,
    /// Space-separated arches.
    pub arches: Option<String>,
    /// Capacity.
    pub capacity: f64,
    /// Free text.
    pub description: Option<String>,
    /// Free text.
    pub comment: Option<String>,
    /// Enabled by an admin.
    pub enabled: bool,
}

const HOST_COLUMNS: &str = "host.id, host.user_id, host.name, host.update_time, host.ready, host.task_load, \
     host_config.arches, host_config.capacity, host_config.description, host_config.comment, \
     host_config.enabled";

impl HostRow {
    fn from_row(row: &Row) -> Result<HostRow> {
        Ok(HostRow {
            id: row.try_get("id")?,
            user_id: row.try_get("user_id")?,
            name: row.try_get("name")?,
            update_time: row.try_get("update_time")?,
            ready: row.try_get("ready")?,
            task_load: row.try_get("task_load")?,
            arches: row.try_get("arches")?,
            capacity: row.try_get("capacity")?,
            description: row.try_get("description")?,
            comment: row.try_get("comment")?,
            enabled: row.try_get("enabled")?,
        })
    }

    /// The arches as a list.
    pub fn arch_list(&self) -> Vec<String> {
        self.arches
            .as_deref()
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    }
}

/// The join of a host with its configuration, current or as of an event.
fn host_from(event: Option<i64>, q: &mut SqlBuilder) {
    match event {
        None => q.filter_raw("host_config.active IS TRUE"),
        Some(event) => q.filter(
            "host_config.create_event <= {} AND (host_config.revoke_event IS NULL OR {} < host_config.revoke_event)",
            event,
        ),
    }
}

/// How a host is named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostKey<'a> {
    /// By id.
    Id(i64),
    /// By name.
    Name(&'a str),
    /// By login user.
    User(i64),
}

/// One host, current or as of `event`.
pub async fn get(client: &Client, key: HostKey<'_>, event: Option<i64>) -> Result<Option<HostRow>> {
    let mut q = SqlBuilder::new(
        HOST_COLUMNS,
        "host JOIN host_config ON host_config.host_id = host.id",
    );
    host_from(event, &mut q);
    match key {
        HostKey::Id(id) => q.filter("host.id = {}", id),
        HostKey::Name(name) => q.filter("host.name = {}", name.to_owned()),
        HostKey::User(user_id) => q.filter("host.user_id = {}", user_id),
    }
    let row = client.query_opt(&q.sql(), &q.params()).await?;
    row.as_ref().map(HostRow::from_row).transpose()
}

/// Filters for [`list`].
#[derive(Debug, Clone, Default)]
pub struct HostFilter {
    /// Hosts having any of these arches.
    pub arches: Vec<String>,
    /// Hosts listening to this channel.
    pub channel_id: Option<i64>,
    /// Ready or not.
    pub ready: Option<bool>,
    /// Enabled or not.
    pub enabled: Option<bool>,
    /// The host of this user.
    pub user_id: Option<i64>,
}

/// Lists hosts.
pub async fn list(client: &Client, filter: &HostFilter, opts: &QueryOpts) -> Result<Vec<HostRow>> {
    let mut q = SqlBuilder::new(
        HOST_COLUMNS,
        "host JOIN host_config ON host_config.host_id = host.id",
    );
    host_from(None, &mut q);
    if !filter.arches.is_empty() {
        q.filter(
            "string_to_array(coalesce(host_config.arches, ''), ' ') && {}::text[]",
            filter.arches.clone(),
        );
    }
    if let Some(channel_id) = filter.channel_id {
        q.filter(
            "host.id IN (SELECT host_id FROM host_channels WHERE channel_id = {} AND active IS TRUE)",
            channel_id,
        );
    }
    if let Some(ready) = filter.ready {
        q.filter("host.ready = {}", ready);
    }
    if let Some(enabled) = filter.enabled {
        q.filter("host_config.enabled = {}", enabled);
    }
    if let Some(user_id) = filter.user_id {
        q.filter("host.user_id = {}", user_id);
    }
    q.order_and_page(
        opts,
        &[
            ("id", "host.id"),
            ("name", "host.name"),
            ("user_id", "host.user_id"),
            ("update_ts", "host.update_time"),
            ("ready", "host.ready"),
            ("task_load", "host.task_load"),
            ("capacity", "host_config.capacity"),
            ("enabled", "host_config.enabled"),
            ("arches", "host_config.arches"),
        ],
        "host.id",
    )?;
    let rows = client.query(&q.sql(), &q.params()).await?;
    rows.iter().map(HostRow::from_row).collect()
}

/// Creates the host row and returns its id.
pub async fn create(tx: &Tx<'_>, user_id: i64, name: &str) -> Result<i64> {
    let row = tx
        .query_one(
            "INSERT INTO host (user_id, name) VALUES ($1, $2) RETURNING id",
            &[&user_id, &name],
        )
        .await?;
    Ok(row.try_get(0)?)
}

/// The configurable part of a host.
#[derive(Debug, Clone, PartialEq)]
pub struct HostConfig {
    /// Space-separated arches.
    pub arches: Option<String>,
    /// Capacity (more than 1).
    pub capacity: f64,
    /// Free text.
    pub description: Option<String>,
    /// Free text.
    pub comment: Option<String>,
    /// Enabled.
    pub enabled: bool,
}

impl HostConfig {
    /// The configuration part of a host row.
    pub fn of(host: &HostRow) -> HostConfig {
        HostConfig {
            arches: host.arches.clone(),
            capacity: host.capacity,
            description: host.description.clone(),
            comment: host.comment.clone(),
            enabled: host.enabled,
        }
    }
}

/// Records a new configuration version for a host at `event_id`, revoking the current one.
pub async fn set_config(
    tx: &Tx<'_>,
    host_id: i64,
    config: &HostConfig,
    user_id: i64,
    event_id: i64,
) -> Result<()> {
    tx.execute(
        "UPDATE host_config SET active = NULL, revoke_event = $2, revoker_id = $3 \
         WHERE host_id = $1 AND active IS TRUE",
        &[&host_id, &event_id, &user_id],
    )
    .await?;
    tx.execute(
        "INSERT INTO host_config (host_id, arches, capacity, description, comment, enabled, create_event, creator_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            &host_id,
            &config.arches,
            &config.capacity,
            &config.description,
            &config.comment,
            &config.enabled,
            &event_id,
            &user_id,
        ],
    )
    .await?;
    Ok(())
}

/// Records a check-in: load, readiness and the time.
pub async fn check_in(tx: &Tx<'_>, host_id: i64, task_load: f64, ready: bool) -> Result<()> {
    tx.execute(
        "UPDATE host SET task_load = $2, ready = $3, update_time = now() WHERE id = $1",
        &[&host_id, &(if task_load > 0.0 { task_load } else { 0.0 }), &ready],
    )
    .await?;
    Ok(())
}

/// Refreshes the check-in time only (a host asking for work is alive).
pub async fn touch(tx: &Tx<'_>, host_id: i64) -> Result<()> {
    tx.execute("UPDATE host SET update_time = now() WHERE id = $1", &[&host_id])
        .await?;
    Ok(())
}

/// A host that stopped checking in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaleHost {
    /// The host id.
    pub id: i64,
    /// Its name.
    pub name: String,
}

/// Marks hosts not ready whose last check-in is older than `timeout_seconds`; returns them.
pub async fn mark_stale_not_ready(tx: &Tx<'_>, timeout_seconds: f64) -> Result<Vec<StaleHost>> {
    let rows = tx
        .query(
            "UPDATE host SET ready = FALSE \
             WHERE ready AND (update_time IS NULL OR update_time < now() - make_interval(secs => $1)) \
             RETURNING id, name",
            &[&timeout_seconds],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(StaleHost {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
            })
        })
        .collect()
}

/// Stores what a builder reported about itself (`methods`, `maxjobs`, …).
pub async fn set_host_data(tx: &Tx<'_>, host_id: i64, data: &serde_json::Value) -> Result<()> {
    tx.execute(
        "INSERT INTO scheduler_host_data (host_id, data) VALUES ($1, $2) \
         ON CONFLICT (host_id) DO UPDATE SET data = EXCLUDED.data",
        &[&host_id, data],
    )
    .await?;
    Ok(())
}

/// A `scheduler_host_data` row.
#[derive(Debug, Clone, PartialEq)]
pub struct HostDataRow {
    /// The host.
    pub host_id: i64,
    /// What it reported.
    pub data: serde_json::Value,
}

/// Reported data of one host, or of every host.
pub async fn host_data(client: &Client, host_id: Option<i64>) -> Result<Vec<HostDataRow>> {
    let rows = client
        .query(
            "SELECT host_id, data FROM scheduler_host_data WHERE ($1::bigint IS NULL OR host_id = $1) \
             ORDER BY host_id",
            &[&host_id],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(HostDataRow {
                host_id: r.try_get("host_id")?,
                data: r.try_get("data")?,
            })
        })
        .collect()
}

/// A `channels` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelRow {
    /// The channel id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Free text.
    pub description: Option<String>,
    /// Enabled.
    pub enabled: bool,
    /// Free text.
    pub comment: Option<String>,
}

const CHANNEL_COLUMNS: &str =
    "channels.id, channels.name, channels.description, channels.enabled, channels.comment";

impl ChannelRow {
    fn from_row(row: &Row) -> Result<ChannelRow> {
        Ok(ChannelRow {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            description: row.try_get("description")?,
            enabled: row.try_get("enabled")?,
            comment: row.try_get("comment")?,
        })
    }
}

/// How a channel is named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelKey<'a> {
    /// By id.
    Id(i64),
    /// By name.
    Name(&'a str),
}

/// One channel.
pub async fn channel(client: &Client, key: ChannelKey<'_>) -> Result<Option<ChannelRow>> {
    let row = match key {
        ChannelKey::Id(id) => {
            let sql = format!("SELECT {CHANNEL_COLUMNS} FROM channels WHERE id = $1");
            client.query_opt(&sql, &[&id]).await?
        }
        ChannelKey::Name(name) => {
            let sql = format!("SELECT {CHANNEL_COLUMNS} FROM channels WHERE name = $1");
            client.query_opt(&sql, &[&name]).await?
        }
    };
    row.as_ref().map(ChannelRow::from_row).transpose()
}

/// Channels, optionally only those a host listens to (now or as of `event`), optionally only
/// enabled or disabled ones.
pub async fn channels(
    client: &Client,
    host_id: Option<i64>,
    event: Option<i64>,
    enabled: Option<bool>,
) -> Result<Vec<ChannelRow>> {
    let mut q = SqlBuilder::new(CHANNEL_COLUMNS, "channels");
    if let Some(host_id) = host_id {
        match event {
            None => q.filter(
                "channels.id IN (SELECT channel_id FROM host_channels WHERE host_id = {} AND active IS TRUE)",
                host_id,
            ),
            Some(event) => {
                let host = q.bind(host_id);
                let event = q.bind(event);
                q.filter_raw(&format!(
                    "channels.id IN (SELECT channel_id FROM host_channels WHERE host_id = {host} \
                     AND create_event <= {event} AND (revoke_event IS NULL OR {event} < revoke_event))"
                ));
            }
        }
    }
    if let Some(enabled) = enabled {
        q.filter("channels.enabled = {}", enabled);
    }
    q.order_and_page(&QueryOpts::default(), &[], "channels.id")?;
    let rows = client.query(&q.sql(), &q.params()).await?;
    rows.iter().map(ChannelRow::from_row).collect()
}

/// Creates a channel and returns its id.
pub async fn create_channel(tx: &Tx<'_>, name: &str, description: Option<&str>) -> Result<i64> {
    let row = tx
        .query_one(
            "INSERT INTO channels (name, description) VALUES ($1, $2) RETURNING id",
            &[&name, &description],
        )
        .await?;
    Ok(row.try_get(0)?)
}

/// Replaces a channel's editable fields.
pub async fn update_channel(tx: &Tx<'_>, channel: &ChannelRow) -> Result<()> {
    tx.execute(
        "UPDATE channels SET name = $2, description = $3, enabled = $4, comment = $5 WHERE id = $1",
        &[
            &channel.id,
            &channel.name,
            &channel.description,
            &channel.enabled,
            &channel.comment,
        ],
    )
    .await?;
    Ok(())
}

/// The ids of the channels a host listens to now.
pub async fn host_channel_ids(client: &Client, host_id: i64) -> Result<Vec<i64>> {
    let rows = client
        .query(
            "SELECT channel_id FROM host_channels WHERE host_id = $1 AND active IS TRUE ORDER BY channel_id",
            &[&host_id],
        )
        .await?;
    rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
}

/// Adds a host to a channel at `event_id`.
pub async fn add_host_channel(
    tx: &Tx<'_>,
    host_id: i64,
    channel_id: i64,
    user_id: i64,
    event_id: i64,
) -> Result<()> {
    tx.execute(
        "INSERT INTO host_channels (host_id, channel_id, creator_id, create_event) VALUES ($1, $2, $3, $4)",
        &[&host_id, &channel_id, &user_id, &event_id],
    )
    .await?;
    Ok(())
}

/// Removes a host from a channel at `event_id`; false if it was not in it.
pub async fn remove_host_channel(
    tx: &Tx<'_>,
    host_id: i64,
    channel_id: i64,
    user_id: i64,
    event_id: i64,
) -> Result<bool> {
    let n = tx
        .execute(
            "UPDATE host_channels SET active = NULL, revoke_event = $4, revoker_id = $3 \
             WHERE host_id = $1 AND channel_id = $2 AND active IS TRUE",
            &[&host_id, &channel_id, &user_id, &event_id],
        )
        .await?;
    Ok(n > 0)
}

/// Every arch some host has (`getAllArches`).
pub async fn all_arches(client: &Client) -> Result<Vec<String>> {
    let rows = client
        .query(
            "SELECT DISTINCT unnest(string_to_array(arches, ' ')) AS arch FROM host_config \
             WHERE active IS TRUE AND arches IS NOT NULL ORDER BY 1",
            &[],
        )
        .await?;
    rows.iter()
        .map(|r| Ok(r.try_get::<_, String>("arch")?))
        .filter(|a| !matches!(a, Ok(s) if s.is_empty()))
        .collect()
}

/// Locks a host row for the rest of the transaction (serialises one host's claims).
pub async fn lock(tx: &Tx<'_>, host_id: i64) -> Result<()> {
    tx.execute("SELECT 1 FROM host WHERE id = $1 FOR UPDATE", &[&host_id])
        .await?;
    Ok(())
}
