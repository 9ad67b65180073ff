//! Sessions and logins against a real hub and database: password login, wrong and disabled
//! users, call numbers, exclusive sessions, expiry and renewal, logout, subsessions,
//! permissions, multicall isolation, and that no password is stored in plain text.

use common::FaultCode;
use common::client::{ClientConfig, ClientError, ClientSession};
use common::xmlrpc::{Params, Value, encode_call};
use hub::testing::{TestHub, fault_of, raw_post};

/// Runs blocking client code off the runtime.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

fn session(hub: &TestHub) -> ClientSession {
    ClientSession::new(ClientConfig::new(hub.url())).unwrap()
}

fn fault_code(result: Result<Value, ClientError>) -> (i32, String) {
    match result {
        Err(ClientError::Fault(f)) => (f.code, f.message),
        other => panic!("expected a fault, got {other:?}"),
    }
}

#[tokio::test]
async fn password_login_and_logged_in_user() {
    let hub = TestHub::start().await;
    hub.add_user("alice", "wonderland", &[]).await;
    let client = session(&hub);
    let user = blocking(move || {
        client.login_password("alice", "wonderland").unwrap();
        client.call("getLoggedInUser", vec![]).unwrap()
    })
    .await;
    assert_eq!(user.get("name"), Some(&Value::from("alice")));
    assert_eq!(user.get("authtype"), Some(&Value::Int(0)));
    assert_eq!(user.get("krb_principal"), Some(&Value::Nil));
}

#[tokio::test]
async fn bad_credentials_are_auth_errors() {
    let hub = TestHub::start().await;
    hub.add_user("bob", "builder", &[]).await;
    let url = hub.url();
    let outcomes = blocking(move || {
        let try_login = |user: &str, password: &str| {
            let client = ClientSession::new(ClientConfig::new(url.clone())).unwrap();
            match client.login_password(user, password) {
                Err(ClientError::Fault(f)) => (f.code, f.message),
                other => panic!("expected a fault, got {other:?}"),
            }
        };
        vec![
            try_login("bob", "wrong"),
            try_login("nobody", "x"),
            try_login("bob", ""),
        ]
    })
    .await;
    for (code, message) in outcomes {
        assert_eq!(code, FaultCode::Auth.code());
        assert_eq!(message, "invalid username or password");
    }
}

#[tokio::test]
async fn disabled_users_cannot_log_in_and_their_sessions_stop() {
    let hub = TestHub::start().await;
    hub.add_user("admin", "pw", &["admin"]).await;
    hub.add_user("carol", "pw", &[]).await;
    let (admin, carol) = (session(&hub), session(&hub));
    let url = hub.url();
    blocking(move || {
        admin.login_password("admin", "pw").unwrap();
        carol.login_password("carol", "pw").unwrap();
        admin.call("disableUser", vec![Value::from("carol")]).unwrap();
        let (code, message) = fault_code(carol.call("getLoggedInUser", vec![]));
        assert_eq!(
            (code, message.as_str()),
            (FaultCode::Auth.code(), "logins by carol are not allowed")
        );
        let again = ClientSession::new(ClientConfig::new(url)).unwrap();
        match again.login_password("carol", "pw") {
            Err(ClientError::Fault(f)) => assert_eq!(f.message, "logins by carol are not allowed"),
            other => panic!("expected a fault, got {other:?}"),
        }
        admin.call("enableUser", vec![Value::from("carol")]).unwrap();
        again.login_password("carol", "pw").unwrap();
    })
    .await;
}

#[tokio::test]
async fn passwords_are_stored_hashed() {
    let hub = TestHub::start().await;
    hub.add_user("admin", "pw", &["admin"]).await;
    let client = session(&hub);
    blocking(move || {
        client.login_password("admin", "pw").unwrap();
        client
            .call_kw(
                "createUser",
                vec![Value::from("dave")],
                vec![("password", Value::from("correct horse battery"))],
            )
            .unwrap();
    })
    .await;
    let db = hub.ctx.pool.get().await.unwrap();
    let rows = db
        .query("SELECT name, password_hash FROM users ORDER BY id", &[])
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    for row in rows {
        let hash: String = row.get(1);
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(!hash.contains("correct horse") && !hash.contains("pw$"), "{hash}");
    }
    let client = session(&hub);
    blocking(move || client.login_password("dave", "correct horse battery").unwrap()).await;
}

/// Posts a call with explicit session headers.
fn post_with_callnum(url: &str, id: i64, key: &str, callnum: i64, method: &str) -> (u16, String) {
    let body = encode_call(method, &[]);
    raw_post(
        url,
        body,
        &[
            ("Content-Type", "text/xml".to_owned()),
            ("Koji-Session-Id", id.to_string()),
            ("Koji-Session-Key", key.to_owned()),
            ("Koji-Session-Callnum", callnum.to_string()),
        ],
    )
}

#[tokio::test]
async fn call_numbers_must_not_go_backwards() {
    let hub = TestHub::start().await;
    hub.add_user("eve", "pw", &[]).await;
    let client = session(&hub);
    let url = hub.url();
    let (id, key) = blocking(move || {
        client.login_password("eve", "pw").unwrap();
        let (id, key) = client.credentials().unwrap();
        let (status, body) = post_with_callnum(&url, id, &key, 5, "getLoggedInUser");
        assert_eq!(status, 200);
        assert_eq!(fault_of(&body), None);
        let (_, body) = post_with_callnum(&url, id, &key, 3, "getLoggedInUser");
        assert_eq!(fault_of(&body).map(|f| f.0), Some(FaultCode::Sequence.code()));
        // A repeated number is fine for a read-only call, not for one that writes.
        let (_, body) = post_with_callnum(&url, id, &key, 5, "getLoggedInUser");
        assert_eq!(fault_of(&body), None);
        let (_, body) = post_with_callnum(&url, id, &key, 5, "subsession");
        assert_eq!(fault_of(&body).map(|f| f.0), Some(FaultCode::Retry.code()));
        let (_, body) = post_with_callnum(&url, id, &key, 6, "subsession");
        assert_eq!(fault_of(&body), None);
        let (_, body) = post_with_callnum(&url, id, "1-wrongkey", 7, "getLoggedInUser");
        assert_eq!(
            fault_of(&body),
            Some((
                FaultCode::Auth.code(),
                "Invalid session or bad credentials".to_owned()
            ))
        );
        // Writing calls refused at the session check (their transaction had begun with it).
        for _ in 0..3 {
            let (_, body) = post_with_callnum(&url, id, "1-wrongkey", 7, "subsession");
            assert_eq!(fault_of(&body).map(|f| f.0), Some(FaultCode::Auth.code()));
            let (_, body) = post_with_callnum(&url, id, &key, 4, "subsession");
            assert_eq!(fault_of(&body).map(|f| f.0), Some(FaultCode::Sequence.code()));
        }
        (id, key)
    })
    .await;
    // No pooled connection was left inside a transaction by the refusals (looked at from a
    // connection of its own, not one of the hub's). The hub's background loops run short
    // transactions of their own: only one open for over a second counts.
    let db = hub.db.pool().get().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    let mut stuck: Vec<String> = Vec::new();
    for _ in 0..30 {
        stuck = db
            .query(
                "SELECT state || ': ' || query FROM pg_stat_activity \
                 WHERE datname = current_database() AND state LIKE 'idle in transaction%' \
                   AND xact_start < now() - interval '1 second'",
                &[],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        if stuck.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(stuck.is_empty(), "connections left in a transaction: {stuck:?}");
    let url = hub.url();
    let body = blocking(move || post_with_callnum(&url, id, &key, 7, "subsession").1).await;
    assert_eq!(fault_of(&body), None);
    let callnum: Option<i64> = db
        .query_one("SELECT callnum FROM sessions WHERE user_id = (SELECT id FROM users WHERE name = 'eve') AND master IS NULL", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(callnum, Some(7), "the last writing call stored its number");
}

#[tokio::test]
async fn exclusive_sessions_lock_out_others() {
    let hub = TestHub::start().await;
    hub.add_user("host1", "pw", &[]).await;
    let (first, second) = (session(&hub), session(&hub));
    blocking(move || {
        first.login_password("host1", "pw").unwrap();
        first.exclusive(false).unwrap();
        second.login_password("host1", "pw").unwrap();
        assert_eq!(
            fault_code(second.call("getLoggedInUser", vec![])).0,
            FaultCode::AuthLock.code()
        );
        let (code, message) = fault_code(second.call("exclusiveSession", vec![]));
        assert_eq!(
            (code, message.as_str()),
            (FaultCode::AuthLock.code(), "Cannot get exclusive session")
        );
        // Subsessions of the exclusive session pass the lock.
        let sub = first.subsession().unwrap();
        sub.call("getLoggedInUser", vec![]).unwrap();
        // Forcing takes the lock and closes the other session.
        second.exclusive(true).unwrap();
        second.call("getLoggedInUser", vec![]).unwrap();
        assert_eq!(
            fault_code(first.call("getLoggedInUser", vec![])).0,
            FaultCode::Auth.code()
        );
        second.call("sharedSession", vec![]).unwrap();
    })
    .await;
}

#[tokio::test]
async fn expired_sessions_fault_and_the_client_renews() {
    let hub = TestHub::start().await;
    hub.add_user("frank", "pw", &[]).await;
    let client = session(&hub);
    let client = blocking(move || {
        client.login_password("frank", "pw").unwrap();
        client
    })
    .await;
    let (id, key) = client.credentials().unwrap();
    let db = hub.ctx.pool.get().await.unwrap();
    db.execute(
        "UPDATE sessions SET start_time = now() - interval '2 days' WHERE id = $1",
        &[&id],
    )
    .await
    .unwrap();
    let url = hub.url();
    let expired_key = key.clone();
    let write_url = url.clone();
    let body = blocking(move || post_with_callnum(&write_url, id, &expired_key, 99, "createTag").1).await;
    assert_eq!(fault_of(&body).map(|f| f.0), Some(FaultCode::AuthExpired.code()));
    // The expiry stands although the writing call that found it failed.
    let expired: bool = db
        .query_one("SELECT expired FROM sessions WHERE id = $1", &[&id])
        .await
        .unwrap()
        .get(0);
    assert!(expired, "the session is marked expired");
    let (renewed_id, user) = blocking(move || {
        let (_, body) = post_with_callnum(&url, id, &key, 100, "getLoggedInUser");
        assert_eq!(
            fault_of(&body),
            Some((
                FaultCode::AuthExpired.code(),
                format!("session \"{id}\" has expired")
            ))
        );
        // The client answers 1007 by logging in again (renew) and retrying.
        let user = client.call("getLoggedInUser", vec![]).unwrap();
        (client.session_id().unwrap(), user)
    })
    .await;
    assert_eq!(renewed_id, id, "renewal keeps the session id");
    assert_eq!(user.get("name"), Some(&Value::from("frank")));
}

#[tokio::test]
async fn logout_and_subsessions() {
    let hub = TestHub::start().await;
    hub.add_user("gina", "pw", &[]).await;
    let client = session(&hub);
    let url = hub.url();
    blocking(move || {
        client.login_password("gina", "pw").unwrap();
        let sub = client.subsession().unwrap();
        let (sub_id, _) = sub.credentials().unwrap();
        sub.call("getLoggedInUser", vec![]).unwrap();
        client.call("logoutChild", vec![Value::Int(sub_id)]).unwrap();
        assert_eq!(
            fault_code(sub.call("getLoggedInUser", vec![])).0,
            FaultCode::Auth.code()
        );
        let (code, _) = fault_code(client.call("logoutChild", vec![Value::Int(sub_id + 1000)]));
        assert_eq!(code, FaultCode::Generic.code());
        let (id, key) = client.credentials().unwrap();
        client.logout().unwrap();
        let (_, body) = post_with_callnum(&url, id, &key, 50, "getLoggedInUser");
        assert_eq!(fault_of(&body).map(|f| f.0), Some(FaultCode::Auth.code()));
        // Logging in twice on one session is refused.
        client.login_password("gina", "pw").unwrap();
        let (code, message) = fault_code(client.call_kw(
            "login",
            vec![Value::from("gina"), Value::from("pw")],
            vec![("opts", Value::Nil)],
        ));
        assert_eq!(
            (code, message.as_str()),
            (FaultCode::Auth.code(), "Already logged in")
        );
    })
    .await;
}

#[tokio::test]
async fn permissions_gate_admin_methods() {
    let hub = TestHub::start().await;
    hub.add_user("admin", "pw", &["admin"]).await;
    hub.add_user("henry", "pw", &[]).await;
    let (admin, henry, anonymous) = (session(&hub), session(&hub), session(&hub));
    blocking(move || {
        let (code, message) = fault_code(anonymous.call("createUser", vec![Value::from("x")]));
        assert_eq!(
            (code, message.as_str()),
            (
                FaultCode::ActionNotAllowed.code(),
                "you must be logged in for this operation"
            )
        );
        henry.login_password("henry", "pw").unwrap();
        let (code, message) = fault_code(henry.call("createUser", vec![Value::from("x")]));
        assert_eq!(
            (code, message.as_str()),
            (
                FaultCode::ActionNotAllowed.code(),
                "admin permission required (logged in as henry)"
            )
        );
        assert_eq!(
            henry.call("hasPerm", vec![Value::from("admin")]).unwrap(),
            Value::Bool(false)
        );
        admin.login_password("admin", "pw").unwrap();
        admin
            .call("grantPermission", vec![Value::from("henry"), Value::from("tag")])
            .unwrap();
        let (code, message) =
            fault_code(admin.call("grantPermission", vec![Value::from("henry"), Value::from("tag")]));
        assert_eq!(
            (code, message.as_str()),
            (
                FaultCode::Generic.code(),
                "user henry already has permission: tag"
            )
        );
        let (_, message) = fault_code(admin.call(
            "grantPermission",
            vec![Value::from("henry"), Value::from("regen-repo")],
        ));
        assert_eq!(message, "No such permission: regen-repo");
        admin
            .call_kw(
                "grantPermission",
                vec![Value::from("henry"), Value::from("regen-repo")],
                vec![("create", Value::Bool(true))],
            )
            .unwrap();
        let perms = henry.call("getPerms", vec![]).unwrap();
        assert_eq!(
            perms,
            Value::Array(vec![Value::from("regen-repo"), Value::from("tag")])
        );
        assert_eq!(
            henry.call("hasPerm", vec![Value::from("tag")]).unwrap(),
            Value::Bool(true)
        );
        admin
            .call("revokePermission", vec![Value::from("henry"), Value::from("tag")])
            .unwrap();
        assert_eq!(
            henry.call("hasPerm", vec![Value::from("tag")]).unwrap(),
            Value::Bool(false)
        );
        let all = admin.call("getAllPerms", vec![]).unwrap();
        let names: Vec<&str> = all
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p.get("name").and_then(Value::as_str))
            .collect();
        assert_eq!(names.first().copied(), Some("admin"));
        assert!(names.contains(&"draft-promoter") && names.contains(&"regen-repo"));
    })
    .await;
}

#[tokio::test]
async fn multicall_sub_calls_stand_or_fall_alone() {
    let hub = TestHub::start().await;
    hub.add_user("admin", "pw", &["admin"]).await;
    let admin = session(&hub);
    let results = blocking(move || {
        admin.login_password("admin", "pw").unwrap();
        let call = |method: &str, args: Vec<Value>| {
            (
                method.to_owned(),
                Params {
                    positional: args,
                    keywords: Default::default(),
                },
            )
        };
        let results = admin
            .multicall(vec![
                call("createUser", vec![Value::from("ivy")]),
                call("createUser", vec![Value::from("ivy")]),
                // After a rolled-back sub-call, and before another one.
                call("createUser", vec![Value::from("jo")]),
                call("createUser", vec![Value::from("jo")]),
                call("noSuchMethod", vec![]),
                call("createUser", vec![Value::from("kim")]),
                call("getUser", vec![Value::from("ivy")]),
            ])
            .unwrap();
        let users = admin.call("listUsers", vec![]).unwrap();
        (results, users)
    })
    .await;
    let (results, users) = results;
    assert!(results[0].is_ok());
    assert_eq!(
        results[1].as_ref().unwrap_err().message,
        "user ivy already exists"
    );
    assert!(results[2].is_ok());
    assert_eq!(results[3].as_ref().unwrap_err().message, "user jo already exists");
    assert_eq!(
        results[4].as_ref().unwrap_err().message,
        "Invalid method: noSuchMethod"
    );
    assert!(results[5].is_ok());
    assert_eq!(
        results[6].as_ref().unwrap().get("name"),
        Some(&Value::from("ivy"))
    );
    let names: Vec<&str> = users
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|u| u.get("name").and_then(Value::as_str))
        .collect();
    assert_eq!(names, vec!["admin", "ivy", "jo", "kim"]);
}

#[tokio::test]
async fn events_are_numbered_and_findable() {
    let hub = TestHub::start().await;
    hub.add_user("admin", "pw", &["admin"]).await;
    let admin = session(&hub);
    blocking(move || {
        let before = admin.call("getLastEvent", vec![]).unwrap();
        admin.login_password("admin", "pw").unwrap();
        admin
            .call("grantPermission", vec![Value::from("admin"), Value::from("repo")])
            .unwrap();
        let after = admin.call("getLastEvent", vec![]).unwrap();
        let (before_id, after_id) = (
            before.get("id").unwrap().as_i64().unwrap(),
            after.get("id").unwrap().as_i64().unwrap(),
        );
        assert!(after_id > before_id);
        let event = admin.call("getEvent", vec![Value::Int(after_id)]).unwrap();
        assert_eq!(event, after);
        let ts = after.get("ts").cloned().unwrap();
        let earlier = admin
            .call_kw("getLastEvent", vec![], vec![("before", ts)])
            .unwrap();
        assert!(earlier.get("id").unwrap().as_i64().unwrap() < after_id);
        let (code, message) = fault_code(admin.call("getEvent", vec![Value::Int(999_999)]));
        assert_eq!(
            (code, message.as_str()),
            (FaultCode::Generic.code(), "No such event: 999999")
        );
        let (code, _) =
            fault_code(admin.call_kw("getLastEvent", vec![], vec![("before", Value::from("yesterday"))]));
        assert_eq!(code, FaultCode::Parameter.code());
    })
    .await;
}
