//! The XML-RPC transport against a real hub: bad bodies, oversized bodies, unknown methods,
//! argument binding errors, headers, non-POST requests, and the schema upgrade path.

use common::FaultCode;
use common::xmlrpc::{Value, decode_response, encode_call};
use hub::config::Limits;
use hub::testing::{TestDb, TestHub, TestHubOptions, fault_of, raw_post};

/// Posts off the runtime (the hub serves on it).
async fn post(hub: &TestHub, body: String) -> (u16, String) {
    let url = hub.url();
    tokio::task::spawn_blocking(move || raw_post(&url, body, &[("Content-Type", "text/xml".to_owned())]))
        .await
        .unwrap()
}

/// Checks that `body` gets HTTP 200 with fault `code` whose message starts with `message`.
async fn check_fault(hub: &TestHub, body: &str, code: FaultCode, message: &str) {
    let url = hub.url();
    let body = body.to_owned();
    let (status, text) =
        tokio::task::spawn_blocking(move || raw_post(&url, body, &[("Content-Type", "text/xml".to_owned())]))
            .await
            .unwrap();
    assert_eq!(status, 200, "{text}");
    let (got_code, got_message) = fault_of(&text).unwrap_or_else(|| panic!("not a fault: {text}"));
    assert_eq!(got_code, code.code(), "{got_message}");
    assert!(
        got_message.starts_with(message),
        "{got_message:?} does not start with {message:?}"
    );
}

#[tokio::test]
async fn bad_requests_get_faults_not_errors() {
    let hub = TestHub::start().await;
    check_fault(
        &hub,
        "",
        FaultCode::Generic,
        "Invalid request: empty request body",
    )
    .await;
    check_fault(
        &hub,
        "not xml at all",
        FaultCode::Generic,
        "Invalid request: malformed XML",
    )
    .await;
    check_fault(
        &hub,
        "<methodCall><methodName>x</methodName><params>",
        FaultCode::Generic,
        "Invalid request: malformed XML",
    )
    .await;
    check_fault(
        &hub,
        "<html/>",
        FaultCode::Generic,
        "Invalid request: not an XML-RPC methodCall document",
    )
    .await;
    check_fault(
        &hub,
        &encode_call("noSuchMethod", &[]),
        FaultCode::Generic,
        "Invalid method: noSuchMethod",
    )
    .await;
    check_fault(
        &hub,
        &encode_call(
            "getUser",
            &[
                Value::Int(1),
                Value::Int(2),
                Value::Int(3),
                Value::Int(4),
                Value::Int(5),
            ],
        ),
        FaultCode::Parameter,
        "getUser() takes from 0 to 4 positional arguments but 5 were given",
    )
    .await;
    check_fault(
        &hub,
        &encode_call(
            "getEvent",
            &[Value::structure([
                ("bogus", Value::Int(1)),
                ("__starstar", Value::Bool(true)),
            ])],
        ),
        FaultCode::Parameter,
        "getEvent() got an unexpected keyword argument 'bogus'",
    )
    .await;
    check_fault(
        &hub,
        &encode_call("getEvent", &[]),
        FaultCode::Parameter,
        "getEvent() missing 1 required positional argument: 'id'",
    )
    .await;
    check_fault(
        &hub,
        &encode_call("getEvent", &[Value::from("seven")]),
        FaultCode::Parameter,
        "getEvent(): invalid value for argument 'id' (string)",
    )
    .await;
    check_fault(
        &hub,
        &encode_call("multiCall", &[Value::from("x")]),
        FaultCode::Parameter,
        "multiCall() takes exactly one argument",
    )
    .await;
    check_fault(
        &hub,
        "\u{1}\u{2}binary\u{0}",
        FaultCode::Generic,
        "Invalid request",
    )
    .await;
    // The hub still answers normally afterwards.
    let url = hub.url();
    let (_, text) =
        tokio::task::spawn_blocking(move || raw_post(&url, encode_call("getAPIVersion", &[]), &[]))
            .await
            .unwrap();
    assert_eq!(decode_response(text.as_bytes()).unwrap().unwrap(), Value::Int(1));
}

#[tokio::test]
async fn oversized_bodies_are_refused_without_reading_them() {
    let hub = TestHub::start_with(TestHubOptions {
        limits: Some(Limits {
            max_request_bytes: 64 * 1024,
        }),
        ..Default::default()
    })
    .await;
    let big = format!(
        "<methodCall><methodName>echo</methodName><params><param><value>{}</value></param></params></methodCall>",
        "x".repeat(200_000)
    );
    check_fault(&hub, &big, FaultCode::Generic, "Request too long").await;
    let small = encode_call("echo", &[Value::from("x".repeat(1000))]);
    let url = hub.url();
    let (_, text) = tokio::task::spawn_blocking(move || raw_post(&url, small, &[]))
        .await
        .unwrap();
    assert_eq!(
        decode_response(text.as_bytes()).unwrap().unwrap(),
        Value::Array(vec![Value::from("x".repeat(1000))])
    );
}

#[tokio::test]
async fn responses_carry_koji_version_and_non_post_is_405() {
    let hub = TestHub::start().await;
    let url = hub.url();
    let (get_status, allow, version) = tokio::task::spawn_blocking(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .new_agent();
        let response = agent.get(&url).call().unwrap();
        let allow = response
            .headers()
            .get("allow")
            .map(|v| v.to_str().unwrap().to_owned());
        let post = agent.post(&url).send(encode_call("getKojiVersion", &[])).unwrap();
        let version = post
            .headers()
            .get("koji-version")
            .map(|v| v.to_str().unwrap().to_owned());
        (response.status().as_u16(), allow, version)
    })
    .await
    .unwrap();
    assert_eq!(get_status, 405);
    assert_eq!(allow.as_deref(), Some("POST"));
    assert_eq!(version.as_deref(), Some("1.36.1"));
}

#[tokio::test]
async fn echo_and_wire_types_round_trip() {
    let hub = TestHub::start().await;
    let values = vec![
        Value::Nil,
        Value::Bool(true),
        Value::Int(-3),
        Value::Int(1 << 40),
        Value::Double(0.25),
        Value::from("<&> \u{e9}"),
        Value::Array(vec![Value::Int(1)]),
        Value::structure([("k", Value::from("v"))]),
    ];
    let body = encode_call("echo", &values);
    let (status, text) = post(&hub, body).await;
    assert_eq!(status, 200);
    assert!(text.contains("<value><i8>1099511627776</i8></value>"), "{text}");
    assert!(text.contains("<value><int>-3</int></value>"), "{text}");
    assert_eq!(
        decode_response(text.as_bytes()).unwrap().unwrap(),
        Value::Array(values)
    );
    let (_, text) = post(&hub, encode_call("system.listMethods", &[])).await;
    let methods = decode_response(text.as_bytes()).unwrap().unwrap();
    assert!(methods.as_array().unwrap().contains(&Value::from("multiCall")));
}

/// Every column of every table in the public schema, for comparing two databases.
async fn columns(url: &str) -> Vec<(String, String, String, String)> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    client
        .query(
            "SELECT table_name::text, column_name::text, data_type::text, coalesce(column_default, '') \
             FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 2",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect()
}

#[tokio::test]
async fn upgrade_scripts_add_up_to_the_schema() {
    let fresh = TestDb::new().await;
    let empty = TestDb::new().await;
    {
        let (mut client, connection) = tokio_postgres::connect(&empty.url, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(connection);
        client
            .batch_execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
            .await
            .unwrap();
        hub::db::schema::apply_upgrades_only(&mut client).await.unwrap();
    }
    assert_eq!(columns(&fresh.url).await, columns(&empty.url).await);
}
