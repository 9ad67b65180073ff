//! Call numbers against a real hub and database: only a call that commits a change stores its
//! number (Koji's rule), calls that change nothing write nothing at all (an idle
//! `host.getTasks` included), and numbers that go backwards or repeat a write are still refused.

use common::FaultCode;
use common::xmlrpc::{Value, encode_call};
use hub::test_clients::{add_host, blocking, check_in, login, make_task};
use hub::testing::{TestHub, fault_of, raw_post};

/// Posts `method(params)` with explicit session headers; returns the fault, if any.
fn post(
    url: &str,
    session: (i64, &str),
    callnum: i64,
    method: &str,
    params: &[Value],
) -> Option<(i32, String)> {
    let (status, body) = raw_post(
        url,
        encode_call(method, params),
        &[
            ("Content-Type", "text/xml".to_owned()),
            ("Koji-Session-Id", session.0.to_string()),
            ("Koji-Session-Key", session.1.to_owned()),
            ("Koji-Session-Callnum", callnum.to_string()),
        ],
    );
    assert_eq!(status, 200);
    fault_of(&body)
}

/// The stored call number of a session and the transaction that last wrote its row.
async fn stored(hub: &TestHub, session_id: i64) -> (Option<i64>, String) {
    let db = hub.ctx.pool.get().await.unwrap();
    let row = db
        .query_one(
            "SELECT callnum, xmin::text AS xmin FROM sessions WHERE id = $1",
            &[&session_id],
        )
        .await
        .unwrap();
    (row.get("callnum"), row.get("xmin"))
}

/// The transactions that last wrote and last locked a host's row.
async fn host_row_versions(hub: &TestHub, host_id: i64) -> (String, String) {
    let db = hub.ctx.pool.get().await.unwrap();
    let row = db
        .query_one(
            "SELECT xmin::text AS xmin, xmax::text AS xmax FROM host WHERE id = $1",
            &[&host_id],
        )
        .await
        .unwrap();
    (row.get("xmin"), row.get("xmax"))
}

fn sequence(last: i64, received: i64, session_id: i64) -> Option<(i32, String)> {
    Some((
        FaultCode::Sequence.code(),
        format!("{last} > {received} (session {session_id})"),
    ))
}

fn retry(callnum: i64, method: &str, session_id: i64) -> Option<(i32, String)> {
    Some((
        FaultCode::Retry.code(),
        format!("unable to retry call {callnum} (method {method}) for session {session_id}"),
    ))
}

#[tokio::test]
async fn reads_store_nothing_and_are_still_checked_for_order() {
    let hub = TestHub::start().await;
    hub.add_user("ann", "pw", &[]).await;
    let url = hub.url();
    let (id, key) = blocking(move || login(&url, "ann", "pw").credentials().unwrap()).await;
    let before = stored(&hub, id).await;
    let url = hub.url();
    let key2 = key.clone();
    blocking(move || {
        assert_eq!(post(&url, (id, &key2), 5, "getLoggedInUser", &[]), None);
        assert_eq!(post(&url, (id, &key2), 5, "getLoggedInUser", &[]), None);
    })
    .await;
    assert_eq!(stored(&hub, id).await, before, "a read writes nothing");
    let url = hub.url();
    blocking(move || {
        // The hub remembers the read's number: going back is refused, and so is a write
        // repeating it.
        assert_eq!(
            post(&url, (id, &key), 4, "getLoggedInUser", &[]),
            sequence(5, 4, id)
        );
        assert_eq!(
            post(&url, (id, &key), 5, "subsession", &[]),
            retry(5, "subsession", id)
        );
        assert_eq!(post(&url, (id, &key), 6, "subsession", &[]), None);
    })
    .await;
    assert_eq!(
        stored(&hub, id).await.0,
        Some(6),
        "a committed write stores its number"
    );
}

#[tokio::test]
async fn a_committed_write_is_refused_again_even_by_a_hub_that_forgot() {
    let hub = TestHub::start().await;
    hub.add_user("ben", "pw", &[]).await;
    let url = hub.url();
    let (id, key) = blocking(move || login(&url, "ben", "pw").credentials().unwrap()).await;
    let url = hub.url();
    let key2 = key.clone();
    blocking(move || {
        assert_eq!(post(&url, (id, &key2), 10, "subsession", &[]), None);
        assert_eq!(post(&url, (id, &key2), 11, "getLoggedInUser", &[]), None);
    })
    .await;
    // What a restarted hub (or another hub on the same database) knows: the database only.
    hub.ctx.callnums.forget();
    let url = hub.url();
    blocking(move || {
        assert_eq!(
            post(&url, (id, &key), 10, "subsession", &[]),
            retry(10, "subsession", id)
        );
        assert_eq!(post(&url, (id, &key), 9, "subsession", &[]), sequence(10, 9, id));
        // The read's number was not stored, so Koji's leniency applies after a restart.
        assert_eq!(post(&url, (id, &key), 11, "getLoggedInUser", &[]), None);
        assert_eq!(post(&url, (id, &key), 12, "subsession", &[]), None);
    })
    .await;
    assert_eq!(stored(&hub, id).await.0, Some(12));
}

#[tokio::test]
async fn a_write_that_fails_stores_nothing_and_may_be_retried() {
    let hub = TestHub::start().await;
    hub.add_user("cat", "pw", &[]).await;
    let url = hub.url();
    let (id, key) = blocking(move || login(&url, "cat", "pw").credentials().unwrap()).await;
    let before = stored(&hub, id).await;
    let url = hub.url();
    blocking(move || {
        let refused = post(&url, (id, &key), 3, "createTag", &[Value::from("t1")]);
        assert_eq!(
            refused.as_ref().map(|f| f.0),
            Some(FaultCode::ActionNotAllowed.code())
        );
        // The same number again: the same refusal, not a retry error.
        assert_eq!(
            post(&url, (id, &key), 3, "createTag", &[Value::from("t1")]),
            refused
        );
    })
    .await;
    assert_eq!(stored(&hub, id).await, before);
}

#[tokio::test]
async fn an_idle_get_tasks_commits_nothing_and_a_claiming_one_stores_its_number() {
    let hub = TestHub::start().await;
    hub.add_user("admin", "pw", &["admin"]).await;
    let url = hub.url();
    let (host_id, host_session, admin) = blocking(move || {
        let admin = login(&url, "admin", "pw");
        let (host_id, host) = add_host(&url, &admin, "builder1", &["x86_64"]);
        check_in(&host, &["sleep"], 4);
        (host_id, host.credentials().unwrap(), admin)
    })
    .await;
    let (id, key) = host_session;
    let session_before = stored(&hub, id).await;
    let host_before = host_row_versions(&hub, host_id).await;
    let url = hub.url();
    let key2 = key.clone();
    let tasks = blocking(move || {
        assert_eq!(post(&url, (id, &key2), 100, "host.getTasks", &[]), None);
        // Repeating the idle poll's number is refused (this hub remembers it).
        assert_eq!(
            post(&url, (id, &key2), 100, "host.getTasks", &[]),
            retry(100, "host.getTasks", id)
        );
        assert_eq!(
            post(&url, (id, &key2), 99, "host.getTasks", &[]),
            sequence(100, 99, id)
        );
        let task_id = make_task(&admin, "sleep", vec![Value::Int(0)], vec![]);
        (task_id, admin)
    })
    .await;
    assert_eq!(
        stored(&hub, id).await,
        session_before,
        "idle polls leave the session row alone"
    );
    assert_eq!(
        host_row_versions(&hub, host_id).await,
        host_before,
        "idle polls neither write nor lock the host row"
    );
    let (task_id, admin) = tasks;
    let url = hub.url();
    blocking(move || {
        assert_eq!(post(&url, (id, &key), 101, "host.getTasks", &[]), None);
        let info = admin.call("getTaskInfo", vec![Value::Int(task_id)]).unwrap();
        assert_eq!(info.get("state"), Some(&Value::Int(4)), "the task is ASSIGNED");
        assert_eq!(info.get("host_id"), Some(&Value::Int(host_id)));
        assert_eq!(
            post(&url, (id, &key), 101, "host.openTask", &[Value::Int(task_id)]),
            retry(101, "host.openTask", id)
        );
        assert_eq!(
            post(&url, (id, &key), 102, "host.openTask", &[Value::Int(task_id)]),
            None
        );
    })
    .await;
    assert_eq!(stored(&hub, id).await.0, Some(102));
}
