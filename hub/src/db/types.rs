//! Small database types: the write-transaction marker and timestamps.

use std::error::Error as StdError;
use std::ops::Deref;

use bytes::BytesMut;
use tokio_postgres::types::{FromSql, IsNull, ToSql, Type, accepts, to_sql_checked};

use super::Client;

/// Proof that a transaction is open on the client: functions that write take `&Tx`.
///
/// Only the dispatcher (and hub-internal jobs) create one, right after `BEGIN`, and they commit
/// or roll back when the call ends. It derefs to the client, so read functions accept it too.
#[derive(Debug, Clone, Copy)]
pub struct Tx<'a> {
    client: &'a Client,
}

impl<'a> Tx<'a> {
    /// Marks `client` as being inside a transaction. The caller must have issued `BEGIN`.
    pub(crate) fn assume_begun(client: &'a Client) -> Tx<'a> {
        Tx { client }
    }

    /// The client.
    pub fn client(&self) -> &'a Client {
        self.client
    }
}

impl Deref for Tx<'_> {
    type Target = Client;
    fn deref(&self) -> &Client {
        self.client
    }
}

/// A `TIMESTAMPTZ` as microseconds since the Unix epoch (what `common::time` formats).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Micros(pub i64);

/// PostgreSQL counts timestamps from 2000-01-01; this is that instant in Unix microseconds.
const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;

impl<'a> FromSql<'a> for Micros {
    fn from_sql(_ty: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn StdError + Sync + Send>> {
        let bytes: [u8; 8] = raw.try_into().map_err(|_| "invalid timestamp length")?;
        Ok(Micros(i64::from_be_bytes(bytes).saturating_add(PG_EPOCH_MICROS)))
    }
    accepts!(TIMESTAMPTZ, TIMESTAMP);
}

impl ToSql for Micros {
    fn to_sql(&self, _ty: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn StdError + Sync + Send>> {
        out.extend_from_slice(&(self.0 - PG_EPOCH_MICROS).to_be_bytes());
        Ok(IsNull::No)
    }
    accepts!(TIMESTAMPTZ, TIMESTAMP);
    to_sql_checked!();
}

impl Micros {
    /// Koji's string form (`2025-01-02 03:04:05.123456+00:00`).
    pub fn koji_time(self) -> String {
        common::time::koji_time(self.0)
    }

    /// Koji's `*_ts` form (epoch seconds as a double).
    pub fn koji_ts(self) -> f64 {
        common::time::koji_ts(self.0)
    }
}
