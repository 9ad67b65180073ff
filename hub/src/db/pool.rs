//! The connection pool.

use std::str::FromStr;

use deadpool_postgres::{Manager, ManagerConfig, RecyclingMethod};
use tokio_postgres::NoTls;

use crate::error::{Error, Result};

/// The hub's pool of PostgreSQL connections.
pub type Pool = deadpool_postgres::Pool;

/// Builds a pool for a connection string (`host=… dbname=…` or a `postgresql://` URL). Every
/// connection works in UTC, so timestamps come back as Koji shows them.
pub fn connect_pool(database_url: &str, size: usize) -> Result<Pool> {
    let mut config = tokio_postgres::Config::from_str(database_url)
        .map_err(|e| Error::Generic(format!("invalid database URL: {e}")))?;
    config.options("-c TimeZone=UTC");
    if config.get_application_name().is_none() {
        config.application_name("kiln-hub");
    }
    let manager = Manager::from_config(
        config,
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(size)
        .runtime(deadpool_postgres::Runtime::Tokio1)
        .build()
        .map_err(|e| Error::Internal(format!("cannot build the connection pool: {e}")))
}
