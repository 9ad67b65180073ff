//! Tasks against a real hub, with test code playing the builder through `host.*`: creation and
//! the records clients see, the builder protocol, subtasks and waiting, cancellation, the
//! scheduler's choices, long polling, and every refusal leaving the task as it was.

use std::time::Duration;

use common::FaultCode;
use common::client::ClientSession;
use common::xmlrpc::{Value, encode_fault, encode_response};
use hub::config::SchedulerConfig;
use hub::test_clients::{add_host, blocking, check_in, fault, login, make_task, task_state};
use hub::testing::{TestHub, TestHubOptions};

const FREE: i64 = 0;
const OPEN: i64 = 1;
const CLOSED: i64 = 2;
const CANCELED: i64 = 3;
const ASSIGNED: i64 = 4;
const FAILED: i64 = 5;

fn ids(value: &Value) -> Vec<i64> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.get("id").and_then(Value::as_i64).unwrap())
        .collect()
}

/// The host's assigned tasks after asking for work.
fn take(host: &ClientSession) -> Vec<i64> {
    ids(&host.call("host.getTasks", vec![]).unwrap())
}

fn open(host: &ClientSession, task_id: i64) -> Value {
    host.call("host.openTask", vec![Value::Int(task_id)]).unwrap()
}

fn close(host: &ClientSession, task_id: i64, value: Value) {
    host.call(
        "host.closeTask",
        vec![Value::Int(task_id), Value::from(encode_response(&value))],
    )
    .unwrap();
}

#[tokio::test]
async fn made_tasks_look_like_kojis() {
    let hub = TestHub::start().await;
    hub.add_user("admin", "pw", &["admin"]).await;
    hub.add_user("bob", "pw", &[]).await;
    let url = hub.url();
    blocking(move || {
        let admin = login(&url, "admin", "pw");
        let bob = login(&url, "bob", "pw");
        let task_id = make_task(&admin, "sleep", vec![Value::Int(1)], vec![("priority", Value::from("15"))]);
        let info = admin.call("getTaskInfo", vec![Value::Int(task_id)]).unwrap();
        let keys: Vec<&str> = info.as_struct().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "arch", "awaited", "channel_id", "completion_time", "completion_ts", "create_time", "create_ts",
                "host_id", "id", "label", "method", "owner", "parent", "priority", "start_time", "start_ts", "state",
                "waiting", "weight"
            ]
        );
        assert_eq!(info.get("arch"), Some(&Value::from("noarch")));
        assert_eq!(info.get("priority"), Some(&Value::Int(15)));
        assert_eq!(info.get("channel_id"), Some(&Value::Int(1)));
        assert_eq!(info.get("state"), Some(&Value::Int(FREE)));
        assert_eq!(info.get("weight"), Some(&Value::Double(1.0)));
        let with_request = admin
            .call_kw("getTaskInfo", vec![Value::Int(task_id)], vec![("request", Value::Bool(true))])
            .unwrap();
        assert_eq!(with_request.get("request"), Some(&Value::Array(vec![Value::Int(1)])));
        let many = admin
            .call("getTaskInfo", vec![Value::Array(vec![Value::Int(task_id), Value::Int(999)])])
            .unwrap();
        assert_eq!(many.as_array().unwrap()[1], Value::Nil);
        assert_eq!(
            admin.call("getTaskRequest", vec![Value::Int(task_id)]).unwrap(),
            Value::Array(vec![Value::Int(1)])
        );
        let listed = admin.call("listTasks", vec![]).unwrap();
        let row = &listed.as_array().unwrap()[0];
        assert_eq!(
            row.get("request").and_then(Value::as_str),
            Some("<?xml version='1.0'?>\n<methodCall>\n<methodName>sleep</methodName>\n<params>\n<param>\n<value><int>1</int></value>\n</param>\n</params>\n</methodCall>\n")
        );
        assert_eq!(row.get("result"), Some(&Value::Nil));
        assert_eq!(row.get("owner_name"), Some(&Value::from("admin")));
        assert_eq!(row.get("owner_type"), Some(&Value::Int(0)));
        let decoded = admin
            .call(
                "listTasks",
                vec![
                    Value::structure([("decode", Value::Bool(true)), ("state", Value::Array(vec![Value::Int(0)]))]),
                    Value::structure([("order", Value::from("-id"))]),
                ],
            )
            .unwrap();
        assert_eq!(
            decoded.as_array().unwrap()[0].get("request"),
            Some(&Value::Array(vec![Value::Int(1)]))
        );
        let count = admin
            .call(
                "listTasks",
                vec![
                    Value::structure([("state", Value::Array(vec![Value::Int(2)]))]),
                    Value::structure([("countOnly", Value::Bool(true))]),
                ],
            )
            .unwrap();
        assert_eq!(count, Value::Int(0));
        let (code, message) = fault(admin.call("getTaskResult", vec![Value::Int(task_id)]));
        assert_eq!((code, message), (1000, format!("Task {task_id} is not finished")));
        assert_eq!(admin.call("taskFinished", vec![Value::Int(task_id)]).unwrap(), Value::Bool(false));
        let (code, _) = fault(bob.call_kw(
            "makeTask",
            vec![],
            vec![("method", Value::from("sleep")), ("arglist", Value::Array(vec![]))],
        ));
        assert_eq!(code, FaultCode::ActionNotAllowed.code());
        let (code, _) = fault(admin.call_kw(
            "makeTask",
            vec![],
            vec![
                ("method", Value::from("sleep")),
                ("arglist", Value::Array(vec![])),
                ("channel", Value::from("nope")),
            ],
        ));
        assert_eq!(code, 1000);
    })
    .await;
}

#[tokio::test]
async fn the_builder_protocol_runs_a_task_once() {
    let hub = TestHub::start().await;
    hub.add_user("admin", "pw", &["admin"]).await;
    let url = hub.url();
    blocking(move || {
        let admin = login(&url, "admin", "pw");
        let (host_id, host) = add_host(&url, &admin, "b1", &["x86_64"]);
        let task_id = make_task(&admin, "sleep", vec![Value::Int(0)], vec![]);
        assert_eq!(take(&host), Vec::<i64>::new(), "not ready yet");
        check_in(&host, &["sleep"], 5);
        assert_eq!(take(&host), vec![task_id]);
        assert_eq!(task_state(&admin, task_id), ASSIGNED);
        let opened = open(&host, task_id);
        assert_eq!(opened.get("state"), Some(&Value::Int(OPEN)));
        assert_eq!(opened.get("host_id"), Some(&Value::Int(host_id)));
        assert!(
            opened
                .get("request")
                .and_then(Value::as_str)
                .unwrap()
                .starts_with("<?xml version='1.0'?>\n<methodCall>")
        );
        assert_eq!(open(&host, task_id), Value::Nil, "a task opens once");
        host.call(
            "host.setTaskWeight",
            vec![Value::Int(task_id), Value::Double(0.25)],
        )
        .unwrap();
        let open_tasks = host.call("host.getHostTasks", vec![]).unwrap();
        assert_eq!(ids(&open_tasks), vec![task_id]);
        close(&host, task_id, Value::Nil);
        assert_eq!(task_state(&admin, task_id), CLOSED);
        assert_eq!(
            admin.call("getTaskResult", vec![Value::Int(task_id)]).unwrap(),
            Value::Nil
        );
        let (code, message) = fault(host.call(
            "host.closeTask",
            vec![Value::Int(task_id), Value::from(encode_response(&Value::Int(7)))],
        ));
        assert_eq!(
            (code, message),
            (
                FaultCode::ActionNotAllowed.code(),
                format!("host {host_id} does not own task {task_id}")
            )
        );
        assert_eq!(
            admin.call("getTaskResult", vec![Value::Int(task_id)]).unwrap(),
            Value::Nil
        );
        let runs = admin
            .call(
                "scheduler.getTaskRuns",
                vec![Value::Array(vec![Value::Array(vec![
                    Value::from("task_id"),
                    Value::from("="),
                    Value::Int(task_id),
                ])])],
            )
            .unwrap();
        assert_eq!(runs.as_array().unwrap().len(), 1);
        assert_eq!(
            runs.as_array().unwrap()[0].get("active"),
            Some(&Value::Bool(false))
        );

        let failing = make_task(&admin, "sleep", vec![Value::from("BAD")], vec![]);
        assert_eq!(take(&host), vec![failing]);
        open(&host, failing);
        let (code, _) = fault(host.call(
            "host.failTask",
            vec![Value::Int(failing), Value::from(encode_response(&Value::Nil))],
        ));
        assert_eq!(code, 1019, "failTask needs a fault document");
        host.call(
            "host.failTask",
            vec![Value::Int(failing), Value::from(encode_fault(1005, "bad sleep"))],
        )
        .unwrap();
        assert_eq!(task_state(&admin, failing), FAILED);
        assert_eq!(
            fault(admin.call("getTaskResult", vec![Value::Int(failing)])),
            (1005, "bad sleep".to_owned())
        );
        let as_struct = admin
            .call_kw(
                "getTaskResult",
                vec![Value::Int(failing)],
                vec![("raise_fault", Value::Bool(false))],
            )
            .unwrap();
        assert_eq!(as_struct.get("faultCode"), Some(&Value::Int(1005)));
        let decoded = admin
            .call(
                "listTasks",
                vec![Value::structure([
                    ("decode", Value::Bool(true)),
                    ("state", Value::Array(vec![Value::Int(5)])),
                ])],
            )
            .unwrap();
        assert_eq!(
            decoded.as_array().unwrap()[0]
                .get("result")
                .and_then(|r| r.get("faultString")),
            Some(&Value::from("bad sleep"))
        );
    })
    .await;
}

#[tokio::test]
async fn hosts_cannot_touch_tasks_they_do_not_hold() {
    let hub = TestHub::start().await;
    hub.add_user("admin", "pw", &["admin"]).await;
    let url = hub.url();
    blocking(move || {
        let admin = login(&url, "admin", "pw");
        let (_, host_a) = add_host(&url, &admin, "a", &["x86_64"]);
        let (host_b_id, host_b) = add_host(&url, &admin, "b", &["x86_64"]);
        check_in(&host_a, &["sleep"], 5);
        let task_id = make_task(&admin, "sleep", vec![Value::Int(0)], vec![]);
        assert_eq!(take(&host_a), vec![task_id]);
        assert_eq!(open(&host_b, task_id), Value::Nil, "assigned to another host");
        open(&host_a, task_id);
        let refused = [
            host_b.call(
                "host.closeTask",
                vec![Value::Int(task_id), Value::from(encode_response(&Value::Nil))],
            ),
            host_b.call(
                "host.failTask",
                vec![Value::Int(task_id), Value::from(encode_fault(1, "x"))],
            ),
            host_b.call(
                "host.setTaskWeight",
                vec![Value::Int(task_id), Value::Double(9.0)],
            ),
            host_b.call(
                "host.subtask",
                vec![
                    Value::from("sleep"),
                    Value::Array(vec![Value::Int(0)]),
                    Value::Int(task_id),
                ],
            ),
            host_b.call("host.taskSetWait", vec![Value::Int(task_id), Value::Nil]),
            host_b.call("host.taskWait", vec![Value::Int(task_id)]),
            host_b.call("host.taskWaitResults", vec![Value::Int(task_id), Value::Nil]),
            host_b.call_kw(
                "host.waitSubtasks",
                vec![Value::Int(task_id)],
                vec![("timeout", Value::Int(0))],
            ),
        ];
        for result in refused {
            let (code, message) = fault(result);
            assert_eq!(code, FaultCode::ActionNotAllowed.code(), "{message}");
            assert_eq!(message, format!("host {host_b_id} does not own task {task_id}"));
        }
        host_b
            .call("host.freeTasks", vec![Value::Array(vec![Value::Int(task_id)])])
            .unwrap();
        host_b
            .call_kw(
                "host.refuseTask",
                vec![Value::Int(task_id)],
                vec![("msg", Value::from("no"))],
            )
            .unwrap();
        let info = admin.call("getTaskInfo", vec![Value::Int(task_id)]).unwrap();
        assert_eq!(info.get("state"), Some(&Value::Int(OPEN)));
        assert_eq!(info.get("weight"), Some(&Value::Double(1.0)));
        assert_eq!(
            admin.call("getTaskChildren", vec![Value::Int(task_id)]).unwrap(),
            Value::Array(vec![])
        );
        // The host that holds it can give it back.
        host_a
            .call("host.freeTasks", vec![Value::Array(vec![Value::Int(task_id)])])
            .unwrap();
        assert_eq!(task_state(&admin, task_id), FREE);
    })
    .await;
}

#[tokio::test]
async fn parents_spawn_children_and_wait_for_them() {
    let hub = TestHub::start().await;
    hub.add_user("admin", "pw", &["admin"]).await;
    let url = hub.url();
    blocking(move || {
        let admin = login(&url, "admin", "pw");
        let (_, host) = add_host(&url, &admin, "b1", &["x86_64"]);
        check_in(&host, &["waittest", "sleep"], 10);
        admin
            .call_kw(
                "editHost",
                vec![Value::from("b1")],
                vec![("capacity", Value::Double(10.0))],
            )
            .unwrap();
        let parent = make_task(&admin, "waittest", vec![Value::Int(2)], vec![]);
        assert_eq!(take(&host), vec![parent]);
        open(&host, parent);
        let subtask = |label: &str, arg: Value| {
            host.call_kw(
                "host.subtask",
                vec![Value::from("sleep"), Value::Array(vec![arg]), Value::Int(parent)],
                vec![("label", Value::from(label))],
            )
            .unwrap()
            .as_i64()
            .unwrap()
        };
        let first = subtask("0", Value::Int(0));
        assert_eq!(subtask("0", Value::Int(0)), first, "labels deduplicate");
        let second = subtask("1", Value::Int(0));
        let bad = host
            .call(
                "host.subtask2",
                vec![
                    Value::Int(parent),
                    Value::structure([("label", Value::from("bad"))]),
                    Value::from("sleep"),
                    Value::from("BAD"),
                ],
            )
            .unwrap()
            .as_i64()
            .unwrap();
        let child = admin.call("getTaskInfo", vec![Value::Int(first)]).unwrap();
        assert_eq!(child.get("parent"), Some(&Value::Int(parent)));
        assert_eq!(child.get("priority"), Some(&Value::Int(19)));
        assert_eq!(child.get("label"), Some(&Value::from("0")));
        host.call(
            "host.taskSetWait",
            vec![
                Value::Int(parent),
                Value::Array(vec![Value::Int(first), Value::Int(second), Value::Int(bad)]),
            ],
        )
        .unwrap();
        let waited = host.call("host.taskWait", vec![Value::Int(parent)]).unwrap();
        assert_eq!(
            waited,
            Value::Array(vec![
                Value::Array(vec![]),
                Value::Array(vec![Value::Int(first), Value::Int(second), Value::Int(bad)])
            ])
        );
        let mut taken = take(&host);
        taken.sort_unstable();
        assert_eq!(taken, vec![first, second, bad]);
        for child in [first, second] {
            open(&host, child);
            close(&host, child, Value::Nil);
        }
        open(&host, bad);
        host.call(
            "host.failTask",
            vec![Value::Int(bad), Value::from(encode_fault(1019, "bad argument"))],
        )
        .unwrap();
        let alerts = host.call("host.getHostTasks", vec![]).unwrap();
        assert_eq!(
            alerts.as_array().unwrap()[0].get("alert"),
            Some(&Value::Bool(true))
        );
        let waited = host
            .call_kw(
                "host.waitSubtasks",
                vec![Value::Int(parent)],
                vec![("timeout", Value::Int(5))],
            )
            .unwrap();
        assert_eq!(
            waited,
            Value::Array(vec![
                Value::Array(vec![Value::Int(first), Value::Int(second), Value::Int(bad)]),
                Value::Array(vec![])
            ])
        );
        let all = Value::Array(vec![Value::Int(first), Value::Int(second), Value::Int(bad)]);
        let (code, _) = fault(host.call("host.taskWaitResults", vec![Value::Int(parent), all.clone()]));
        assert_eq!(code, 1019, "a failed child raises its fault unless it may fail");
        let results = host
            .call_kw(
                "host.taskWaitResults",
                vec![Value::Int(parent), all],
                vec![("canfail", Value::Array(vec![Value::Int(bad)]))],
            )
            .unwrap();
        let results = results.as_array().unwrap();
        assert_eq!(results[0], Value::Array(vec![Value::Int(first), Value::Nil]));
        assert_eq!(
            results[2].as_array().unwrap()[1].get("faultCode"),
            Some(&Value::Int(1019))
        );
        let children = admin
            .call_kw(
                "getTaskChildren",
                vec![Value::Int(parent)],
                vec![("request", Value::Bool(true))],
            )
            .unwrap();
        assert_eq!(ids(&children), vec![first, second, bad]);
        assert_eq!(
            children.as_array().unwrap()[2].get("request"),
            Some(&Value::Array(vec![Value::from("BAD")]))
        );
        let tree = admin
            .call("getTaskDescendents", vec![Value::Int(parent)])
            .unwrap();
        assert_eq!(tree.as_struct().unwrap().len(), 4);
        assert_eq!(
            ids(tree.get(&parent.to_string()).unwrap()),
            vec![first, second, bad]
        );
        close(&host, parent, Value::Nil);
        let (code, _) = fault(host.call_kw(
            "host.subtask",
            vec![Value::from("sleep"), Value::Array(vec![]), Value::Int(parent)],
            vec![("label", Value::from("late"))],
        ));
        assert_eq!(code, FaultCode::ActionNotAllowed.code(), "the parent is closed");
    })
    .await;
}

#[tokio::test]
async fn cancelling_needs_ownership_and_follows_the_tree() {
    let hub = TestHub::start().await;
    hub.add_user("admin", "pw", &["admin"]).await;
    hub.add_user("bob", "pw", &[]).await;
    hub.add_user("carol", "pw", &[]).await;
    let url = hub.url();
    blocking(move || {
        let admin = login(&url, "admin", "pw");
        let bob = login(&url, "bob", "pw");
        let carol = login(&url, "carol", "pw");
        let (_, host) = add_host(&url, &admin, "b1", &["x86_64"]);
        check_in(&host, &["waittest", "sleep"], 10);
        let parent = make_task(
            &admin,
            "waittest",
            vec![Value::Int(1)],
            vec![("owner", Value::from("bob"))],
        );
        assert_eq!(take(&host), vec![parent]);
        open(&host, parent);
        let child = host
            .call_kw(
                "host.subtask",
                vec![
                    Value::from("sleep"),
                    Value::Array(vec![Value::Int(5)]),
                    Value::Int(parent),
                ],
                vec![("label", Value::from("0"))],
            )
            .unwrap()
            .as_i64()
            .unwrap();
        assert_eq!(
            admin
                .call("getTaskInfo", vec![Value::Int(child)])
                .unwrap()
                .get("owner"),
            admin
                .call("getTaskInfo", vec![Value::Int(parent)])
                .unwrap()
                .get("owner"),
        );
        let (code, message) = fault(carol.call("cancelTask", vec![Value::Int(parent)]));
        assert_eq!(
            (code, message.as_str()),
            (
                FaultCode::ActionNotAllowed.code(),
                "admin permission required (logged in as carol)"
            )
        );
        let (code, _) = fault(carol.call("cancelTaskChildren", vec![Value::Int(parent)]));
        assert_eq!(code, FaultCode::ActionNotAllowed.code());
        let (code, _) = fault(bob.call("cancelTaskFull", vec![Value::Int(parent)]));
        assert_eq!(code, FaultCode::ActionNotAllowed.code());
        assert_eq!(task_state(&admin, parent), OPEN);
        assert_eq!(task_state(&admin, child), FREE);
        bob.call("cancelTask", vec![Value::Int(parent)]).unwrap();
        assert_eq!(task_state(&admin, parent), CANCELED);
        assert_eq!(task_state(&admin, child), CANCELED);
        let (code, message) = fault(admin.call("getTaskResult", vec![Value::Int(parent)]));
        assert_eq!((code, message), (1000, format!("Task {parent} is canceled")));
        bob.call("cancelTask", vec![Value::Int(parent)]).unwrap();
        let (code, _) = fault(admin.call("freeTask", vec![Value::Int(parent)]));
        assert_eq!(code, 1000, "finished tasks cannot be freed");

        let top = make_task(&admin, "waittest", vec![Value::Int(1)], vec![]);
        assert_eq!(take(&host), vec![top]);
        open(&host, top);
        let kid = host
            .call(
                "host.subtask",
                vec![
                    Value::from("sleep"),
                    Value::Array(vec![Value::Int(5)]),
                    Value::Int(top),
                ],
            )
            .unwrap()
            .as_i64()
            .unwrap();
        let (code, message) = fault(admin.call("cancelTaskFull", vec![Value::Int(kid)]));
        assert_eq!(
            (code, message),
            (1000, format!("Task {kid} is not top-level (parent={top})"))
        );
        // The host running the parent may cancel its children (Koji's failany path).
        host.call("cancelTaskChildren", vec![Value::Int(top)]).unwrap();
        assert_eq!(task_state(&admin, kid), CANCELED);
        assert_eq!(task_state(&admin, top), OPEN);
        admin
            .call_kw(
                "cancelTaskFull",
                vec![Value::Int(kid)],
                vec![("strict", Value::Bool(false))],
            )
            .unwrap();
        assert_eq!(task_state(&admin, top), CANCELED);
    })
    .await;
}

#[tokio::test]
async fn the_scheduler_respects_channels_arches_methods_and_capacity() {
    let hub = TestHub::start().await;
    hub.add_user("admin", "pw", &["admin"]).await;
    let url = hub.url();
    blocking(move || {
        let admin = login(&url, "admin", "pw");
        let (_, x86) = add_host(&url, &admin, "x86", &["x86_64"]);
        let (_, arm) = add_host(&url, &admin, "arm", &["aarch64"]);
        check_in(&x86, &["sleep", "newRepo"], 2);
        check_in(&arm, &["sleep"], 10);
        let repo = make_task(
            &admin,
            "newRepo",
            vec![],
            vec![("channel", Value::from("createrepo"))],
        );
        let build = make_task(&admin, "buildArch", vec![], vec![]);
        let for_arm = make_task(
            &admin,
            "sleep",
            vec![Value::Int(0)],
            vec![("arch", Value::from("aarch64"))],
        );
        let urgent = make_task(
            &admin,
            "sleep",
            vec![Value::Int(0)],
            vec![("priority", Value::Int(5))],
        );
        let later = make_task(&admin, "sleep", vec![Value::Int(0)], vec![]);
        let last = make_task(&admin, "sleep", vec![Value::Int(0)], vec![]);
        // x86 is not in createrepo, has no buildArch handler, is not aarch64, and takes two jobs.
        assert_eq!(take(&x86), vec![urgent, later]);
        assert_eq!(take(&arm), vec![for_arm, last]);
        admin
            .call(
                "addHostToChannel",
                vec![Value::from("x86"), Value::from("createrepo")],
            )
            .unwrap();
        for task in [urgent, later] {
            open(&x86, task);
            close(&x86, task, Value::Nil);
        }
        assert_eq!(take(&x86), vec![repo]);
        assert_eq!(task_state(&admin, build), FREE);
        // A hard refusal keeps a task away from that host.
        open(&arm, for_arm);
        arm.call_kw(
            "host.refuseTask",
            vec![Value::Int(for_arm)],
            vec![("soft", Value::Bool(false)), ("msg", Value::from("no thanks"))],
        )
        .unwrap();
        assert_eq!(take(&arm), vec![last]);
        open(&arm, last);
        close(&arm, last, Value::Nil);
        assert_eq!(take(&arm), Vec::<i64>::new());
        assert_eq!(task_state(&admin, for_arm), FREE);
        let refusals = admin.call("scheduler.getTaskRefusals", vec![]).unwrap();
        assert_eq!(
            refusals.as_array().unwrap()[0].get("msg"),
            Some(&Value::from("no thanks"))
        );
        // A disabled host gets nothing new.
        admin.call("disableHost", vec![Value::from("arm")]).unwrap();
        let fresh = make_task(&admin, "sleep", vec![Value::Int(0)], vec![]);
        assert_eq!(take(&arm), Vec::<i64>::new());
        assert_eq!(task_state(&admin, fresh), FREE);
    })
    .await;
}

#[tokio::test]
async fn waiting_builders_learn_of_new_work() {
    let hub = TestHub::start().await;
    hub.add_user("admin", "pw", &["admin"]).await;
    let url = hub.url();
    blocking(move || {
        let admin = login(&url, "admin", "pw");
        let (_, host) = add_host(&url, &admin, "b1", &["x86_64"]);
        check_in(&host, &["sleep"], 5);
        let waiter = std::thread::spawn(move || {
            host.call_kw("host.waitTasks", vec![], vec![("timeout", Value::Int(50))])
                .unwrap()
        });
        std::thread::sleep(Duration::from_millis(300));
        let task_id = make_task(&admin, "sleep", vec![Value::Int(0)], vec![]);
        let tasks = waiter.join().unwrap();
        assert_eq!(ids(&tasks), vec![task_id]);
        assert_eq!(task_state(&admin, task_id), ASSIGNED);
    })
    .await;
}

#[tokio::test]
async fn tasks_of_silent_hosts_are_freed_then_failed() {
    let hub = TestHub::start_with(TestHubOptions {
        scheduler: Some(SchedulerConfig {
            host_timeout_seconds: 0.5,
            check_interval_seconds: 3600.0,
            max_task_runs: 2,
            ..SchedulerConfig::default()
        }),
        ..TestHubOptions::default()
    })
    .await;
    hub.add_user("admin", "pw", &["admin"]).await;
    let url = hub.url();
    blocking(move || {
        let admin = login(&url, "admin", "pw");
        let (_, host) = add_host(&url, &admin, "b1", &["x86_64"]);
        let task_id = make_task(&admin, "sleep", vec![Value::Int(0)], vec![]);
        for round in 1..=2 {
            check_in(&host, &["sleep"], 5);
            assert_eq!(take(&host), vec![task_id]);
            open(&host, task_id);
            std::thread::sleep(Duration::from_millis(700));
            assert_eq!(admin.call("scheduler.doRun", vec![]).unwrap(), Value::Bool(true));
            let expected = if round == 1 { FREE } else { FAILED };
            assert_eq!(task_state(&admin, task_id), expected, "round {round}");
        }
        let host_info = admin.call("getHost", vec![Value::from("b1")]).unwrap();
        assert_eq!(host_info.get("ready"), Some(&Value::Bool(false)));
        let (code, message) = fault(admin.call("getTaskResult", vec![Value::Int(task_id)]));
        assert_eq!(code, 1000);
        assert!(message.contains("lost its host 2 times"), "{message}");
        let log = admin.call("scheduler.getLogMessages", vec![]).unwrap();
        assert!(!log.as_array().unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn admins_steer_tasks() {
    let hub = TestHub::start().await;
    hub.add_user("admin", "pw", &["admin"]).await;
    hub.add_user("bob", "pw", &[]).await;
    let url = hub.url();
    blocking(move || {
        let admin = login(&url, "admin", "pw");
        let bob = login(&url, "bob", "pw");
        let (host_id, host) = add_host(&url, &admin, "b1", &["x86_64"]);
        check_in(&host, &["waittest", "sleep"], 10);
        let parent = make_task(&admin, "waittest", vec![Value::Int(1)], vec![]);
        assert_eq!(take(&host), vec![parent]);
        open(&host, parent);
        let child = host
            .call(
                "host.subtask",
                vec![
                    Value::from("sleep"),
                    Value::Array(vec![Value::Int(1)]),
                    Value::Int(parent),
                ],
            )
            .unwrap()
            .as_i64()
            .unwrap();
        admin
            .call("setTaskPriority", vec![Value::Int(parent), Value::Int(3)])
            .unwrap();
        for task in [parent, child] {
            assert_eq!(
                admin
                    .call("getTaskInfo", vec![Value::Int(task)])
                    .unwrap()
                    .get("priority"),
                Some(&Value::Int(3))
            );
        }
        assert_eq!(
            fault(bob.call("setTaskPriority", vec![Value::Int(child), Value::Int(1)])).0,
            FaultCode::ActionNotAllowed.code()
        );
        assert_eq!(
            fault(bob.call("freeTask", vec![Value::Int(parent)])).0,
            FaultCode::ActionNotAllowed.code()
        );
        assert_eq!(task_state(&admin, parent), OPEN);
        admin.call("freeTask", vec![Value::Int(parent)]).unwrap();
        assert_eq!(task_state(&admin, parent), FREE);
        assert_eq!(
            admin
                .call("assignTask", vec![Value::Int(parent), Value::from("b1")])
                .unwrap(),
            Value::Bool(true)
        );
        let info = admin.call("getTaskInfo", vec![Value::Int(parent)]).unwrap();
        assert_eq!(info.get("state"), Some(&Value::Int(ASSIGNED)));
        assert_eq!(info.get("host_id"), Some(&Value::Int(host_id)));
        open(&host, parent);
        assert_eq!(
            admin
                .call("assignTask", vec![Value::Int(parent), Value::from("b1")])
                .unwrap(),
            Value::Bool(false),
            "an open task is not reassigned without force"
        );
        let load = host.call("host.getLoadData", vec![]).unwrap();
        let [hosts, tasks] = load.as_array().unwrap() else {
            panic!("getLoadData returned {load}");
        };
        assert_eq!(
            hosts.as_array().unwrap()[0].get("channels"),
            Some(&Value::Array(vec![Value::Int(1)]))
        );
        assert_eq!(ids(tasks), vec![child]);
        assert_eq!(host.call("host.isEnabled", vec![]).unwrap(), Value::Bool(true));
    })
    .await;
}
