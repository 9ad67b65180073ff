//! Real builders against a hub: many small tasks across two builders, each run exactly once;
//! a builder killed mid-task (the task runs again elsewhere, or on the restarted builder); the
//! hub killed mid-run (builders and tasks carry on where the database says); a task process
//! that dies; a builder that logs in with a certificate.

use std::collections::BTreeMap;
use std::time::Duration;

use common::client::ClientSession;
use common::xmlrpc::{STARSTAR, Value};
use hub::config::SchedulerConfig;
use hub::test_clients::{blocking, login, make_task};
use hub::testing::{TestDb, TestHub, TestHubOptions};
use kiln_tests::cluster::{
    Builder, BuilderOptions, HubProcess, assert_clean, eventually, marked_processes, new_marker,
};

/// Adds a host whose builder logs in with `hostpw`.
fn add_host(admin: &ClientSession, name: &str) {
    admin
        .call_kw(
            "addHost",
            vec![Value::from(name), Value::Array(vec![Value::from("x86_64")])],
            vec![("password", Value::from("hostpw"))],
        )
        .unwrap();
}

/// `waittest(count, seconds, bad=False)`: a parent with `count` sleep children.
fn waittest(admin: &ClientSession, count: i64, seconds: i64) -> i64 {
    let kwargs = Value::structure([("bad", Value::Bool(false)), (STARSTAR, Value::Bool(true))]);
    make_task(
        admin,
        "waittest",
        vec![Value::Int(count), Value::Int(seconds), kwargs],
        vec![],
    )
}

fn info(admin: &ClientSession, task_id: i64) -> Value {
    admin.call("getTaskInfo", vec![Value::Int(task_id)]).unwrap()
}

fn state(admin: &ClientSession, task_id: i64) -> i64 {
    info(admin, task_id).get("state").and_then(Value::as_i64).unwrap()
}

/// Every task with its state and how many times it was handed to a host.
fn tasks_and_runs(admin: &ClientSession) -> BTreeMap<i64, (i64, usize)> {
    let mut tasks: BTreeMap<i64, (i64, usize)> = admin
        .call("listTasks", vec![])
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t.get("id").and_then(Value::as_i64).unwrap(),
                (t.get("state").and_then(Value::as_i64).unwrap(), 0),
            )
        })
        .collect();
    let runs = admin.call("scheduler.getTaskRuns", vec![]).unwrap();
    for run in runs.as_array().unwrap() {
        let task_id = run.get("task_id").and_then(Value::as_i64).unwrap();
        if let Some(entry) = tasks.get_mut(&task_id) {
            entry.1 += 1;
        }
    }
    tasks
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_builders_run_200_sleeps_in_20_parents_each_exactly_once() {
    let hub = TestHub::start().await;
    hub.add_user("admin", "pw", &["admin"]).await;
    let url = hub.url();
    let dir = tempfile::tempdir().unwrap();
    let files = dir.path().to_path_buf();
    blocking(move || {
        let marker = new_marker();
        let admin = login(&url, "admin", "pw");
        add_host(&admin, "b1");
        add_host(&admin, "b2");
        let options = BuilderOptions::default();
        let mut builders = vec![
            Builder::start(&url, "b1", "hostpw", &files, &marker, &options),
            Builder::start(&url, "b2", "hostpw", &files, &marker, &options),
        ];
        let parents: Vec<i64> = (0..20).map(|_| waittest(&admin, 10, 0)).collect();
        eventually(Duration::from_secs(600), "all parents to finish", || {
            parents.iter().all(|p| state(&admin, *p) == 2).then_some(())
        });
        let tasks = tasks_and_runs(&admin);
        assert_eq!(tasks.len(), 220);
        for (task_id, (state, runs)) in &tasks {
            assert_eq!(*state, 2, "task {task_id} is not CLOSED");
            assert_eq!(*runs, 1, "task {task_id} was handed out {runs} times");
        }
        for parent in &parents {
            let children = admin.call("getTaskChildren", vec![Value::Int(*parent)]).unwrap();
            assert_eq!(children.as_array().unwrap().len(), 10);
        }
        let hosts: std::collections::BTreeSet<i64> = tasks
            .keys()
            .filter_map(|id| info(&admin, *id).get("host_id").and_then(Value::as_i64))
            .collect();
        eprintln!("tasks ran on hosts {hosts:?}");
        assert_clean(&admin, &mut builders, &marker);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_of_a_killed_builder_runs_again_on_another() {
    let hub = TestHub::start_with(TestHubOptions {
        scheduler: Some(SchedulerConfig {
            host_timeout_seconds: 3.0,
            check_interval_seconds: 0.5,
            ..SchedulerConfig::default()
        }),
        ..TestHubOptions::default()
    })
    .await;
    hub.add_user("admin", "pw", &["admin"]).await;
    let url = hub.url();
    let dir = tempfile::tempdir().unwrap();
    let files = dir.path().to_path_buf();
    blocking(move || {
        let marker = new_marker();
        let admin = login(&url, "admin", "pw");
        add_host(&admin, "b1");
        add_host(&admin, "b2");
        let options = BuilderOptions::default();
        let mut first = Builder::start(&url, "b1", "hostpw", &files, &marker, &options);
        let task = make_task(&admin, "sleep", vec![Value::Int(3)], vec![]);
        eventually(Duration::from_secs(30), "the task to open on b1", || {
            (state(&admin, task) == 1).then_some(())
        });
        let b1 = info(&admin, task).get("host_id").cloned();
        first.sigkill();
        // The task process dies with its builder.
        eventually(Duration::from_secs(10), "the task process to die", || {
            marked_processes(&marker).is_empty().then_some(())
        });
        assert_eq!(state(&admin, task), 1, "the hub does not know yet");
        let mut builders = vec![
            Builder::start(&url, "b2", "hostpw", &files, &marker, &options),
            first,
        ];
        eventually(Duration::from_secs(60), "the task to close on b2", || {
            (state(&admin, task) == 2).then_some(())
        });
        let closed = info(&admin, task);
        assert_ne!(closed.get("host_id").cloned(), b1);
        assert_eq!(tasks_and_runs(&admin)[&task].1, 2);
        let log = admin.call("scheduler.getLogMessages", vec![]).unwrap();
        assert!(
            log.as_array()
                .unwrap()
                .iter()
                .any(|m| m.get("msg") == Some(&Value::from("Freeing task from unresponsive host"))),
            "{log}"
        );
        builders.pop();
        assert_clean(&admin, &mut builders, &marker);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_builder_gives_back_and_reruns_what_it_held() {
    let hub = TestHub::start().await;
    hub.add_user("admin", "pw", &["admin"]).await;
    let url = hub.url();
    let dir = tempfile::tempdir().unwrap();
    let files = dir.path().to_path_buf();
    blocking(move || {
        let marker = new_marker();
        let admin = login(&url, "admin", "pw");
        add_host(&admin, "b1");
        let mut builder = Builder::start(&url, "b1", "hostpw", &files, &marker, &BuilderOptions::default());
        let task = make_task(&admin, "sleep", vec![Value::Int(2)], vec![]);
        eventually(Duration::from_secs(30), "the task to open", || {
            (state(&admin, task) == 1).then_some(())
        });
        builder.sigkill();
        eventually(Duration::from_secs(10), "the task process to die", || {
            marked_processes(&marker).is_empty().then_some(())
        });
        builder.restart();
        eventually(Duration::from_secs(60), "the task to close", || {
            (state(&admin, task) == 2).then_some(())
        });
        assert_eq!(tasks_and_runs(&admin)[&task].1, 2);
        assert_clean(&admin, &mut [builder], &marker);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn builders_and_tasks_carry_on_when_the_hub_is_killed() {
    let db = TestDb::new().await;
    hub::testing::add_user(&db.pool(), "admin", "pw", &["admin"]).await;
    let dir = tempfile::tempdir().unwrap();
    let files = dir.path().to_path_buf();
    let database_url = db.url.clone();
    blocking(move || {
        let marker = new_marker();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let url = format!("http://127.0.0.1:{port}/kojihub");
        let config = format!(
            "listen = \"127.0.0.1:{port}\"\nstate_dir = {:?}\ntopdir = {:?}\ndatabase_url = {:?}\n\
             db_pool_size = 8\n\n[auth]\ncheck_client_ip = true\n",
            files.join("state").display().to_string(),
            files.join("topdir").display().to_string(),
            database_url,
        );
        let mut hub = HubProcess::start(&config, &files, &url, &marker);
        let admin = login(&url, "admin", "pw");
        add_host(&admin, "b1");
        add_host(&admin, "b2");
        let options = BuilderOptions::default();
        let mut builders = vec![
            Builder::start(&url, "b1", "hostpw", &files, &marker, &options),
            Builder::start(&url, "b2", "hostpw", &files, &marker, &options),
        ];
        let parents: Vec<i64> = (0..3).map(|_| waittest(&admin, 4, 2)).collect();
        eventually(Duration::from_secs(60), "children to run", || {
            let tasks = tasks_and_runs(&admin);
            (tasks.values().filter(|(s, _)| *s == 1).count() >= 4).then_some(())
        });
        hub.sigkill();
        std::thread::sleep(Duration::from_secs(2));
        hub.restart(&url);
        let admin = login(&url, "admin", "pw");
        eventually(Duration::from_secs(120), "all parents to finish", || {
            parents.iter().all(|p| state(&admin, *p) == 2).then_some(())
        });
        let tasks = tasks_and_runs(&admin);
        assert_eq!(tasks.len(), 15);
        for (task_id, (state, runs)) in &tasks {
            assert_eq!(*state, 2, "task {task_id} is not CLOSED");
            assert_eq!(*runs, 1, "task {task_id} was handed out {runs} times");
        }
        assert_clean(&admin, &mut builders, &marker);
        drop(hub);
    })
    .await;
    drop(db);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_whose_process_dies_fails_and_forked_processes_are_cleaned_up() {
    let hub = TestHub::start().await;
    hub.add_user("admin", "pw", &["admin"]).await;
    let url = hub.url();
    let dir = tempfile::tempdir().unwrap();
    let files = dir.path().to_path_buf();
    blocking(move || {
        let marker = new_marker();
        let admin = login(&url, "admin", "pw");
        add_host(&admin, "b1");
        let builder = Builder::start(&url, "b1", "hostpw", &files, &marker, &BuilderOptions::default());
        let task = make_task(&admin, "sleep", vec![Value::Int(120)], vec![]);
        eventually(Duration::from_secs(30), "the task to open", || {
            (state(&admin, task) == 1).then_some(())
        });
        let builder_pid = i32::try_from(builder.pid()).unwrap();
        let task_pid = eventually(Duration::from_secs(10), "the task process", || {
            marked_processes(&marker)
                .into_iter()
                .find(|pid| *pid != builder_pid)
        });
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(task_pid),
            nix::sys::signal::Signal::SIGKILL,
        )
        .unwrap();
        eventually(Duration::from_secs(30), "the task to fail", || {
            (state(&admin, task) == 5).then_some(())
        });
        let result = admin
            .call_kw(
                "getTaskResult",
                vec![Value::Int(task)],
                vec![("raise_fault", Value::Bool(false))],
            )
            .unwrap();
        let message = result
            .get("faultString")
            .and_then(Value::as_str)
            .unwrap()
            .to_owned();
        assert!(
            message.contains("was killed by signal SIGKILL before finishing it"),
            "{message}"
        );

        // fork leaves sleep processes behind; they go with the task's process group.
        let forked = make_task(&admin, "fork", vec![Value::Int(2), Value::Int(60)], vec![]);
        eventually(Duration::from_secs(30), "the fork task to close", || {
            (state(&admin, forked) == 2).then_some(())
        });
        eventually(Duration::from_secs(10), "the forked processes to go", || {
            (marked_processes(&marker) == vec![builder_pid]).then_some(())
        });
        assert_clean(&admin, &mut [builder], &marker);
    })
    .await;
}

/// A private CA with a server certificate for 127.0.0.1 and a client certificate for `host`:
/// `(ca.crt, server.crt, server.key, host.pem)`.
fn pki(
    dir: &std::path::Path,
    host: &str,
) -> (
    std::path::PathBuf,
    std::path::PathBuf,
    std::path::PathBuf,
    std::path::PathBuf,
) {
    use rcgen::{
        BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    };
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(DnType::CommonName, "test CA");
    let ca = CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
    let server_key = KeyPair::generate().unwrap();
    let mut server_params =
        CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
    server_params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    server_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let server = server_params.signed_by(&server_key, &ca).unwrap();
    let host_key = KeyPair::generate().unwrap();
    let mut host_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    host_params.distinguished_name.push(DnType::CommonName, host);
    host_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let host_cert = host_params.signed_by(&host_key, &ca).unwrap();
    let files = (
        dir.join("ca.crt"),
        dir.join("server.crt"),
        dir.join("server.key"),
        dir.join("host.pem"),
    );
    std::fs::write(&files.0, ca.pem()).unwrap();
    std::fs::write(&files.1, server.pem()).unwrap();
    std::fs::write(&files.2, server_key.serialize_pem()).unwrap();
    std::fs::write(
        &files.3,
        format!("{}{}", host_cert.pem(), host_key.serialize_pem()),
    )
    .unwrap();
    files
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_builder_logs_in_with_a_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key, host_pem) = pki(dir.path(), "certbuilder");
    let hub = TestHub::start_with(TestHubOptions {
        tls: Some(hub::config::TlsConfig {
            cert,
            key,
            client_ca: Some(ca.clone()),
        }),
        ..TestHubOptions::default()
    })
    .await;
    hub.add_user("admin", "pw", &["admin"]).await;
    let url = hub.url();
    let https = format!("https://{}/kojihub", hub.addr);
    let files = dir.path().to_path_buf();
    blocking(move || {
        let marker = new_marker();
        let admin = login(&url, "admin", "pw");
        admin
            .call(
                "addHost",
                vec![
                    Value::from("certbuilder"),
                    Value::Array(vec![Value::from("x86_64")]),
                ],
            )
            .unwrap();
        let auth = format!(
            "cert = {:?}\nserverca = {:?}\n",
            host_pem.display().to_string(),
            ca.display().to_string()
        );
        let builder = Builder::start_with_auth(
            &https,
            "certbuilder",
            &auth,
            &files,
            &marker,
            &BuilderOptions::default(),
        );
        let task = make_task(&admin, "sleep", vec![Value::Int(0)], vec![]);
        eventually(Duration::from_secs(60), "the task to close", || {
            (state(&admin, task) == 2).then_some(())
        });
        let host = admin.call("getHost", vec![Value::from("certbuilder")]).unwrap();
        assert_eq!(info(&admin, task).get("host_id"), host.get("id"));
        let output = admin.call("listTaskOutput", vec![Value::Int(task)]).unwrap();
        assert_eq!(output, Value::Array(vec![Value::from("task.log")]));
        assert_clean(&admin, &mut [builder], &marker);
    })
    .await;
}
