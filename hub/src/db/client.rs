//! The client every query goes through: tokio-postgres, with each statement prepared once per
//! connection and cached, so a call costs one round trip per query instead of two.

use std::ops::Deref;

use ref_cast::RefCast;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

/// A pooled connection with statement caching. Its `query`, `query_one`, `query_opt` and
/// `execute` take SQL text like tokio-postgres's, and prepare it on first use.
#[derive(RefCast, Debug)]
#[repr(transparent)]
pub struct Client(deadpool_postgres::ClientWrapper);

impl Client {
    /// The caching client of a pooled connection.
    pub fn of(object: &deadpool_postgres::Object) -> &Client {
        Client::ref_cast(object)
    }

    /// Runs a query and returns its rows.
    pub async fn query(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, tokio_postgres::Error> {
        let statement = self.0.prepare_cached(sql).await?;
        self.0.query(&statement, params).await
    }

    /// Runs a query that returns exactly one row.
    pub async fn query_one(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Row, tokio_postgres::Error> {
        let statement = self.0.prepare_cached(sql).await?;
        self.0.query_one(&statement, params).await
    }

    /// Runs a query that returns at most one row.
    pub async fn query_opt(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<Row>, tokio_postgres::Error> {
        let statement = self.0.prepare_cached(sql).await?;
        self.0.query_opt(&statement, params).await
    }

    /// Runs a statement and returns the number of rows it touched.
    pub async fn execute(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, tokio_postgres::Error> {
        let statement = self.0.prepare_cached(sql).await?;
        self.0.execute(&statement, params).await
    }

    /// Runs a query that returns at most one row and, in the same round trip, a command
    /// without parameters queued behind it (`BEGIN`). Both run; the query's error comes first.
    pub async fn query_opt_then(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
        command: &str,
    ) -> Result<Option<Row>, tokio_postgres::Error> {
        let statement = self.0.prepare_cached(sql).await?;
        let (row, done) = tokio::join!(
            self.0.query_opt(&statement, params),
            self.0.batch_execute(command)
        );
        let row = row?;
        done?;
        Ok(row)
    }

    /// Runs a statement and, in the same round trip, a command without parameters queued behind
    /// it (`COMMIT`). Both run: if the statement fails inside a transaction, a queued `COMMIT`
    /// ends it as a rollback and the statement's error is returned.
    pub async fn execute_then(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
        command: &str,
    ) -> Result<u64, tokio_postgres::Error> {
        let statement = self.0.prepare_cached(sql).await?;
        let (count, done) = tokio::join!(self.0.execute(&statement, params), self.0.batch_execute(command));
        let count = count?;
        done?;
        Ok(count)
    }
}

impl Deref for Client {
    type Target = tokio_postgres::Client;
    fn deref(&self) -> &tokio_postgres::Client {
        &self.0
    }
}
