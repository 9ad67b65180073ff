//! Calls into the RootExports handlers from a page, as koji-web calls the hub: the same
//! handlers, the same permission checks, the web session as the caller. A page holds one
//! pooled connection for all its reads; an action runs in one transaction.

use common::xmlrpc::{Params, Struct, Value};

use crate::ctx::Ctx;
use crate::db::{Client, Tx};
use crate::error::{Error, Result};
use crate::rpc::call::{Call, Peer, Session};
use crate::rpc::dispatch;
use crate::rpc::run::Conn;

/// Keyword arguments, as Koji clients send them (a trailing struct flagged `__starstar`).
pub fn kwargs<'k>(pairs: impl IntoIterator<Item = (&'k str, Value)>) -> Value {
    let mut members: Struct = pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    members.insert(common::xmlrpc::STARSTAR.to_owned(), Value::Bool(true));
    Value::Struct(members)
}

/// A page's view of the hub: one connection, the caller's session.
pub struct Api<'a> {
    ctx: &'a Ctx,
    peer: &'a Peer,
    conn: Conn,
    session: Option<Session>,
}

impl<'a> Api<'a> {
    /// Takes a connection from the pool.
    pub async fn connect(ctx: &'a Ctx, peer: &'a Peer, session: Option<Session>) -> Result<Api<'a>> {
        Ok(Api {
            ctx,
            peer,
            conn: Conn::get(ctx).await?,
            session,
        })
    }

    /// The same connection, acting for `session`.
    pub fn with_session(self, session: Option<Session>) -> Api<'a> {
        Api { session, ..self }
    }

    /// Acts for `session` from now on.
    pub fn set_session(&mut self, session: Option<Session>) {
        self.session = session;
    }

    /// The hub's shared state.
    pub fn ctx(&self) -> &'a Ctx {
        self.ctx
    }

    /// The connection, for the few reads no handler offers.
    pub fn db(&self) -> Result<&Client> {
        self.conn.client()
    }

    /// The logged-in session, if any.
    pub fn session(&self) -> Option<&Session> {
        self.session.as_ref()
    }

    /// One page of a listing method called with keyword `filters` (`order`, `offset`
    /// `start`, `limit` in `queryOpts`) and the count of all its rows (`countOnly`).
    pub async fn page_of(
        &self,
        method: &str,
        filters: Vec<(&str, Value)>,
        order: &str,
        start: i64,
        limit: i64,
    ) -> Result<(Value, i64)> {
        let mut counted = filters.clone();
        counted.push((
            "queryOpts",
            Value::Struct(Struct::from([("countOnly".to_owned(), Value::Bool(true))])),
        ));
        let mut listed = filters;
        listed.push((
            "queryOpts",
            Value::Struct(Struct::from([
                ("order".to_owned(), Value::from(order)),
                ("offset".to_owned(), Value::Int(start)),
                ("limit".to_owned(), Value::Int(limit)),
            ])),
        ));
        let rows = self.read(method, vec![kwargs(listed)]).await?;
        let total = self
            .read(method, vec![kwargs(counted)])
            .await?
            .as_i64()
            .unwrap_or_default();
        Ok((rows, total))
    }

    /// Calls a method without a transaction. Some methods registered as writing only write
    /// with certain arguments (`getPackage` with `create`); called here they get no
    /// transaction, so a write attempt fails instead of happening.
    pub async fn read(&self, method: &str, args: Vec<Value>) -> Result<Value> {
        let entry = dispatch::lookup(method).ok_or_else(|| Error::InvalidMethod {
            method: method.to_owned(),
        })?;
        let mut call = Call::new(
            self.ctx,
            entry.name,
            self.peer,
            self.conn.client()?,
            false,
            self.session.clone(),
        );
        // Cached answers come encoded for the wire; pages look inside them.
        Ok(entry
            .invoke(&mut call, Params::from_wire(args))
            .await?
            .into_decoded())
    }

    /// Runs `work` in a transaction on the page's connection, committed only if it succeeds
    /// (for the few actions no RootExports handler offers).
    pub async fn in_transaction<T>(
        &mut self,
        work: impl for<'t> FnOnce(&'t Tx<'t>) -> futures_util::future::BoxFuture<'t, Result<T>>,
    ) -> Result<T> {
        self.conn.begin().await?;
        let result = {
            let tx = Tx::assume_begun(self.conn.client()?);
            work(&tx).await
        };
        match &result {
            Ok(_) => self.conn.commit().await?,
            Err(_) => self.conn.rollback().await,
        }
        result
    }

    /// Calls a writing method in a transaction of its own, committed only if it succeeds.
    pub async fn write(&mut self, method: &str, args: Vec<Value>) -> Result<Value> {
        let entry = dispatch::lookup(method).ok_or_else(|| Error::InvalidMethod {
            method: method.to_owned(),
        })?;
        self.conn.begin().await?;
        let result = {
            let mut call = Call::new(
                self.ctx,
                entry.name,
                self.peer,
                self.conn.client()?,
                true,
                self.session.clone(),
            );
            let result = entry
                .invoke(&mut call, Params::from_wire(args))
                .await
                .map(Value::into_decoded);
            if result.is_ok() && call.changed_tags() {
                self.ctx.tag_cache.invalidate();
            }
            result
        };
        match &result {
            Ok(_) => self.conn.commit().await?,
            Err(_) => self.conn.rollback().await,
        }
        result
    }
}
