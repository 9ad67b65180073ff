//! Client-side helpers for tests (the `testing` feature): sessions for users and for build
//! hosts, check-ins, task creation and fault extraction, all through the stock protocol.
//!
//! They block: call them inside `spawn_blocking` (see [`blocking`]) when the hub runs in the
//! same runtime.

#![expect(clippy::unwrap_used, reason = "test support fails loudly, by design")]

use common::client::{ClientConfig, ClientError, ClientSession};
use common::xmlrpc::Value;

/// Runs blocking client code off the runtime.
pub async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

/// An anonymous session.
pub fn anonymous(url: &str) -> ClientSession {
    ClientSession::new(ClientConfig::new(url)).unwrap()
}

/// A session logged in with a password.
pub fn login(url: &str, user: &str, password: &str) -> ClientSession {
    let session = anonymous(url);
    session.login_password(user, password).unwrap();
    session
}

/// Adds a host with `arches` through `addHost` (password `hostpw`), logs in as it and makes the
/// session exclusive, as a builder does. Returns the host id and the session.
pub fn add_host(url: &str, admin: &ClientSession, name: &str, arches: &[&str]) -> (i64, ClientSession) {
    let arches: Vec<Value> = arches.iter().map(|a| Value::from(*a)).collect();
    let host_id = admin
        .call_kw(
            "addHost",
            vec![Value::from(name), Value::Array(arches)],
            vec![("password", Value::from("hostpw"))],
        )
        .unwrap()
        .as_i64()
        .unwrap();
    let session = login(url, name, "hostpw");
    session.exclusive(false).unwrap();
    (host_id, session)
}

/// The fault code and message of a failed call; panics on success.
pub fn fault(result: Result<Value, ClientError>) -> (i32, String) {
    match result {
        Err(ClientError::Fault(f)) => (f.code, f.message),
        other => panic!("expected a fault, got {other:?}"),
    }
}

/// Checks in as ready, reporting the methods handled and a job limit.
pub fn check_in(host: &ClientSession, methods: &[&str], maxjobs: i64) {
    let methods: Vec<Value> = methods.iter().map(|m| Value::from(*m)).collect();
    let data = Value::structure([
        ("methods", Value::Array(methods)),
        ("maxjobs", Value::Int(maxjobs)),
    ]);
    host.call_kw(
        "host.updateHost",
        vec![Value::Double(0.0), Value::Bool(true)],
        vec![("data", data)],
    )
    .unwrap();
}

/// `makeTask(method, arglist, **opts)` as the given session.
pub fn make_task(session: &ClientSession, method: &str, args: Vec<Value>, opts: Vec<(&str, Value)>) -> i64 {
    let mut kwargs = vec![("method", Value::from(method)), ("arglist", Value::Array(args))];
    kwargs.extend(opts);
    session
        .call_kw("makeTask", vec![], kwargs)
        .unwrap()
        .as_i64()
        .unwrap()
}

/// A task's state number.
pub fn task_state(session: &ClientSession, task_id: i64) -> i64 {
    session
        .call("getTaskInfo", vec![Value::Int(task_id)])
        .unwrap()
        .get("state")
        .and_then(Value::as_i64)
        .unwrap()
}
