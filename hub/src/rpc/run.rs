//! Runs XML-RPC calls: decode, validate the session, one span and one transaction per call (or
//! per multicall, with a savepoint per sub-call), encode the result or the fault.

use std::error::Error as _;

use common::Fault;
use common::xmlrpc::{Params, Struct, Value, decode_call, encode_fault, encode_response};
use tracing::{Instrument, Span, debug, error, field, info_span, warn};

use crate::auth::session::{self, SessionHeaders};
use crate::ctx::Ctx;
use crate::db::{Client, Tx};
use crate::error::{Error, Result};
use crate::host;
use crate::rpc::call::{Call, Peer, Session};
use crate::rpc::dispatch::{self, Access, Handler, HostPollHandler};

/// A pooled connection, and whether a transaction is open on it. If it is dropped with a
/// transaction still open (a panic in a handler), the connection is taken out of the pool and
/// closed, so PostgreSQL rolls back and nobody else inherits the transaction.
pub(crate) struct Conn {
    object: Option<deadpool_postgres::Object>,
    in_transaction: bool,
}

impl Conn {
    pub(crate) async fn get(ctx: &Ctx) -> Result<Conn> {
        let object = ctx.pool.get().await.map_err(Error::DatabaseOutage)?;
        Ok(Conn {
            object: Some(object),
            in_transaction: false,
        })
    }

    pub(crate) fn client(&self) -> Result<&Client> {
        match &self.object {
            Some(object) => Ok(Client::of(object)),
            None => Err(Error::Internal("connection used after release".into())),
        }
    }

    async fn execute(&mut self, statement: &str) -> Result<()> {
        self.client()?.batch_execute(statement).await?;
        Ok(())
    }

    pub(crate) async fn begin(&mut self) -> Result<()> {
        self.execute("BEGIN").await?;
        self.in_transaction = true;
        Ok(())
    }

    pub(crate) async fn commit(&mut self) -> Result<()> {
        self.execute("COMMIT").await?;
        self.in_transaction = false;
        Ok(())
    }

    /// Validates the session of a writing call and begins its transaction (one round trip);
    /// rolls back if the session is refused.
    async fn validate_and_begin(
        &mut self,
        ctx: &Ctx,
        headers: &SessionHeaders,
        method: &str,
        peer: &Peer,
    ) -> Result<Option<Session>> {
        // Set first: a transaction may be open whatever happens next.
        self.in_transaction = true;
        match session::validate_and_begin(ctx, self.client()?, headers, method, peer).await {
            Ok(session) => Ok(session),
            Err(error) => {
                self.rollback().await;
                Err(error)
            }
        }
    }

    /// Commits a writing call, with the session's call number (one round trip). The
    /// transaction is over either way: a failed commit rolled back.
    async fn commit_call(&mut self, ctx: &Ctx, session: Option<&Session>) -> Result<()> {
        let done = session::record_callnum_and_commit(&Tx::assume_begun(self.client()?), session).await;
        self.in_transaction = false;
        done?;
        if let Some(s) = session {
            session::note_committed(ctx, s);
        }
        Ok(())
    }

    pub(crate) async fn rollback(&mut self) {
        if self.execute("ROLLBACK").await.is_ok() {
            self.in_transaction = false;
        }
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        if let Some(object) = self.object.take().filter(|_| self.in_transaction) {
            drop(deadpool_postgres::Object::take(object));
        }
    }
}

/// Handles one XML-RPC request body and returns the response document.
pub async fn handle(ctx: &Ctx, body: &[u8], headers: &SessionHeaders, peer: &Peer) -> String {
    let call = match decode_call(body) {
        Ok(call) => call,
        Err(e) => {
            let error = Error::InvalidRequest {
                reason: e.to_string(),
            };
            debug!(error = %error, "refused a request that is not an XML-RPC call");
            return fault_document(&error);
        }
    };
    let span = info_span!(
        "rpc",
        method = %call.method,
        user.id = field::Empty,
        session.id = field::Empty,
        host.id = field::Empty
    );
    async move {
        let result = if call.method == "multiCall" || call.method == "system.multicall" {
            run_multicall(ctx, call.params, headers, peer).await
        } else {
            run_single(ctx, &call.method, call.params, headers, peer).await
        };
        match result {
            Ok(value) => encode_response(&value),
            Err(error) => {
                log_failure(&error);
                fault_document(&error)
            }
        }
    }
    .instrument(span)
    .await
}

/// The fault document for an error.
pub fn fault_document(error: &Error) -> String {
    let fault = Fault::from(error);
    encode_fault(fault.code, &fault.message)
}

/// Logs a failed call once: internal failures as errors with their cause chain, refusals of
/// bad input at debug.
fn log_failure(error: &Error) {
    match error {
        Error::Database(_)
        | Error::Internal(_)
        | Error::Io { .. }
        | Error::Encode(_)
        | Error::CorruptRow { .. } => {
            let mut chain = error.to_string();
            let mut source = error.source();
            while let Some(cause) = source {
                chain.push_str(": ");
                chain.push_str(&cause.to_string());
                source = cause.source();
            }
            error!(error = %chain, "call failed: {chain}");
        }
        Error::DatabaseOutage(cause) => warn!(error = %cause, "call refused: database outage ({cause})"),
        other => debug!(error = %other, "call refused: {other}"),
    }
}

fn record_session(session: Option<&Session>) {
    if let Some(s) = session {
        Span::current()
            .record("user.id", s.user_id)
            .record("session.id", s.id);
    }
}

async fn run_single(
    ctx: &Ctx,
    name: &str,
    params: Vec<Value>,
    headers: &SessionHeaders,
    peer: &Peer,
) -> Result<Value> {
    let method = dispatch::lookup(name).ok_or_else(|| Error::InvalidMethod {
        method: name.to_owned(),
    })?;
    if let Handler::HostPoll(handler) = method.handler {
        return run_host_poll(ctx, name, handler, params, headers, peer).await;
    }
    let mut conn = Conn::get(ctx).await?;
    if method.access == Access::Read {
        let session = session::validate(ctx, conn.client()?, headers, name, peer, true).await?;
        record_session(session.as_ref());
        let mut call = Call::new(ctx, name, peer, conn.client()?, false, session);
        return method.invoke(&mut call, Params::from_wire(params)).await;
    }
    let session = conn.validate_and_begin(ctx, headers, name, peer).await?;
    record_session(session.as_ref());
    let mut call = Call::new(ctx, name, peer, conn.client()?, true, session.clone());
    let result = method.invoke(&mut call, Params::from_wire(params)).await;
    let changed_tags = call.changed_tags();
    match result {
        Ok(value) => {
            conn.commit_call(ctx, session.as_ref()).await?;
            if changed_tags {
                ctx.tag_cache.invalidate();
            }
            Ok(value)
        }
        Err(error) => {
            conn.rollback().await;
            Err(error)
        }
    }
}

/// Koji's multicall: one session check, one transaction, a savepoint and a fresh event per
/// sub-call; each sub-call's result is `[value]` or a fault struct.
async fn run_multicall(
    ctx: &Ctx,
    params: Vec<Value>,
    headers: &SessionHeaders,
    peer: &Peer,
) -> Result<Value> {
    let calls = match <[Value; 1]>::try_from(params) {
        Ok([Value::Array(calls)]) => calls,
        _ => {
            return Err(Error::Param(
                "multiCall() takes exactly one argument: an array of calls".into(),
            ));
        }
    };
    let mut conn = Conn::get(ctx).await?;
    if calls.iter().all(reads_only) {
        return run_read_multicall(ctx, conn, calls, headers, peer).await;
    }
    let validated = conn.validate_and_begin(ctx, headers, "multiCall", peer).await?;
    record_session(validated.as_ref());
    let mut session = validated.clone();
    let mut results = Vec::with_capacity(calls.len());
    let mut changed_tags = false;
    let mut permissions = None;
    let mut savepoint = Savepoint::None;
    for entry in calls {
        let outcome = match sub_call(&entry) {
            Ok((name, params)) => {
                let client = conn.client()?;
                savepoint.set(client).await?;
                let mut call = Call::new(ctx, name, peer, client, true, session.clone());
                call.carry_tag_changes(changed_tags);
                call.carry_permissions(permissions.take());
                let result = run_sub_call(&mut call, name, params)
                    .instrument(info_span!("subcall", method = %name))
                    .await;
                let next_session = call.raw_session().cloned();
                let read_permissions = call.take_permissions();
                match result {
                    Ok(value) => {
                        savepoint = Savepoint::Kept;
                        changed_tags |= call.changed_tags();
                        // A login or logout changes whose permissions count.
                        if next_session == session {
                            permissions = read_permissions;
                        }
                        session = next_session;
                        Ok(value)
                    }
                    Err(error) => {
                        client.batch_execute("ROLLBACK TO SAVEPOINT multicall").await?;
                        savepoint = Savepoint::Clean;
                        permissions = read_permissions;
                        log_failure(&error);
                        Err(error)
                    }
                }
            }
            Err(error) => Err(error),
        };
        results.push(multicall_result(outcome));
    }
    conn.commit_call(ctx, validated.as_ref()).await?;
    if changed_tags {
        ctx.tag_cache.invalidate();
    }
    Ok(Value::Array(results))
}

/// The multicall's savepoint before the next sub-call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Savepoint {
    /// Not set yet.
    None,
    /// Set, and what follows it is to be kept (the last sub-call succeeded).
    Kept,
    /// Set, with nothing after it (the last sub-call was rolled back to it).
    Clean,
}

impl Savepoint {
    /// Sets a savepoint for the next sub-call, releasing the previous one in the same round trip
    /// when a sub-call's work sits after it.
    async fn set(&mut self, client: &Client) -> Result<()> {
        match self {
            Savepoint::None => client.batch_execute("SAVEPOINT multicall").await?,
            Savepoint::Kept => {
                client
                    .batch_execute("RELEASE SAVEPOINT multicall; SAVEPOINT multicall")
                    .await?;
            }
            Savepoint::Clean => {}
        }
        *self = Savepoint::Clean;
        Ok(())
    }
}

/// A sub-call's entry in the multicall answer: `[value]` or a fault struct.
fn multicall_result(outcome: Result<Value>) -> Value {
    match outcome {
        Ok(value) => Value::Array(vec![value]),
        Err(error) => {
            let fault = Fault::from(&error);
            Value::Struct(Struct::from([
                ("faultCode".to_owned(), Value::Int(i64::from(fault.code))),
                ("faultString".to_owned(), Value::String(fault.message)),
            ]))
        }
    }
}

/// True if the entry cannot write: a read-only method, or one that fails before it runs (an
/// unknown method or a malformed entry). Long polls are excluded.
fn reads_only(entry: &Value) -> bool {
    match sub_call(entry) {
        Ok((name, _)) => dispatch::lookup(name)
            .is_none_or(|m| m.access == Access::Read && !matches!(m.handler, Handler::HostPoll(_))),
        Err(_) => true,
    }
}

/// A multicall of read-only methods (the stock client's batched lookups): no transaction and
/// no savepoints, as each sub-call would run on its own; answers may come from the caches.
async fn run_read_multicall(
    ctx: &Ctx,
    conn: Conn,
    calls: Vec<Value>,
    headers: &SessionHeaders,
    peer: &Peer,
) -> Result<Value> {
    let client = conn.client()?;
    let session = session::validate(ctx, client, headers, "multiCall", peer, true).await?;
    record_session(session.as_ref());
    let mut results = Vec::with_capacity(calls.len());
    for entry in &calls {
        let outcome = match sub_call(entry) {
            Ok((name, params)) => {
                let mut call = Call::new(ctx, name, peer, client, false, session.clone());
                let result = run_sub_call(&mut call, name, params)
                    .instrument(info_span!("subcall", method = %name))
                    .await;
                if let Err(error) = &result {
                    log_failure(error);
                }
                result
            }
            Err(error) => Err(error),
        };
        results.push(multicall_result(outcome));
    }
    Ok(Value::Array(results))
}

fn sub_call(entry: &Value) -> Result<(&str, Vec<Value>)> {
    let name = entry
        .get("methodName")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::Param("multicall entries need a string methodName".into()))?;
    let params = match entry.get("params") {
        Some(Value::Array(params)) => params.clone(),
        None | Some(Value::Nil) => Vec::new(),
        Some(other) => {
            return Err(Error::Param(format!(
                "multicall params must be an array, not {}",
                other.type_name()
            )));
        }
    };
    Ok((name, params))
}

async fn run_sub_call(call: &mut Call<'_>, name: &str, params: Vec<Value>) -> Result<Value> {
    if name == "multiCall" || name == "system.multicall" {
        return Err(Error::NotAllowed("multicalls cannot be nested".into()));
    }
    let method = dispatch::lookup(name).ok_or_else(|| Error::InvalidMethod {
        method: name.to_owned(),
    })?;
    call.reset_event();
    method.invoke(call, Params::from_wire(params)).await
}

/// A long-polling host method: validate and verify with a pooled connection, give the
/// connection back, then wait without holding one.
async fn run_host_poll(
    ctx: &Ctx,
    name: &str,
    handler: HostPollHandler,
    params: Vec<Value>,
    headers: &SessionHeaders,
    peer: &Peer,
) -> Result<Value> {
    let verified = {
        let conn = Conn::get(ctx).await?;
        let session = session::validate(ctx, conn.client()?, headers, name, peer, true).await?;
        record_session(session.as_ref());
        let mut call = Call::new(ctx, name, peer, conn.client()?, false, session);
        host::verify(&mut call).await?
    };
    handler(ctx, verified, Params::from_wire(params)).await
}
