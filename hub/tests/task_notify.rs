//! What the `task` table announces on `kiln_host` while a host runs a task: the assignment and
//! the end, not the opening (nobody listens for it, and a NOTIFY serialises commits).

use std::time::Duration;

use common::xmlrpc::{Value, encode_response};
use futures_util::StreamExt;
use hub::test_clients::{add_host, blocking, check_in, login, make_task};
use hub::testing::TestHub;
use tokio::sync::mpsc;
use tokio_postgres::{AsyncMessage, NoTls};

/// Listens on `kiln_host` in the test's database and forwards each payload.
async fn listen(url: &str) -> (tokio_postgres::Client, mpsc::UnboundedReceiver<String>) {
    let (client, mut connection) = tokio_postgres::connect(url, NoTls).await.unwrap();
    let (sender, receiver) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(Ok(message)) = messages.next().await {
            if let AsyncMessage::Notification(n) = message {
                let _ = sender.send(n.payload().to_owned());
            }
        }
    });
    client.batch_execute("LISTEN kiln_host").await.unwrap();
    (client, receiver)
}

#[tokio::test]
async fn a_task_run_announces_its_assignment_and_its_end_but_not_its_opening() {
    let hub = TestHub::start().await;
    hub.add_user("admin", "pw", &["admin"]).await;
    let (_listener, mut payloads) = listen(&hub.db.url).await;
    let url = hub.url();
    let (host_id, task_id) = blocking(move || {
        let admin = login(&url, "admin", "pw");
        let (host_id, host) = add_host(&url, &admin, "builder1", &["x86_64"]);
        check_in(&host, &["sleep"], 4);
        let task_id = make_task(&admin, "sleep", vec![Value::Int(0)], vec![]);
        let assigned = host.call("host.getTasks", vec![]).unwrap();
        assert_eq!(assigned.as_array().map(<[Value]>::len), Some(1));
        let opened = host.call("host.openTask", vec![Value::Int(task_id)]).unwrap();
        assert_eq!(opened.get("state"), Some(&Value::Int(1)));
        host.call(
            "host.closeTask",
            vec![
                Value::Int(task_id),
                Value::from(encode_response(&Value::from("slept"))),
            ],
        )
        .unwrap();
        (host_id, task_id)
    })
    .await;
    let closed = format!("{host_id} {task_id} 2");
    let mut heard = Vec::new();
    // Notifications arrive in commit order: once the close is heard, nothing earlier is missing.
    while heard.last() != Some(&closed) {
        let payload = tokio::time::timeout(Duration::from_secs(30), payloads.recv())
            .await
            .expect("the close is announced")
            .expect("the listener is running");
        heard.push(payload);
    }
    assert_eq!(heard, [format!("{host_id} {task_id} 4"), closed]);
}
