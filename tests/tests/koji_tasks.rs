//! The stock `koji` 1.36.1 client with real builders: adding and editing hosts, channels,
//! `list-hosts`, `hostinfo`, `make-task` and `watch-task` (with children), `taskinfo -v`,
//! `list-tasks`, `cancel` on a running task, and `download-task --logs`.

use std::time::Duration;

use common::client::ClientSession;
use common::xmlrpc::{Value, encode_response};
use hub::test_clients::{blocking, check_in, login, make_task};
use hub::testing::TestHub;
use kiln_tests::cluster::{Builder, BuilderOptions, assert_clean, eventually, marked_processes, new_marker};
use kiln_tests::{KojiCli, Output};

fn koji_conf(hub: &TestHub, dir: &std::path::Path) -> KojiCli {
    let config = dir.join("koji.conf");
    std::fs::write(
        &config,
        format!(
            "[koji]\nserver = {url}\ntopurl = http://{addr}/kojifiles\nweburl = http://{addr}/koji\n\
             authtype = password\nmax_retries = 0\npoll_interval = 1\n",
            url = hub.url(),
            addr = hub.addr
        ),
    )
    .unwrap();
    KojiCli { config }
}

fn task_id_from(out: &Output) -> i64 {
    out.stdout
        .trim()
        .strip_prefix("Created task id ")
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("no task id in {:?}", out.stdout))
}

fn state_of(admin: &ClientSession, task_id: i64) -> i64 {
    admin
        .call("getTaskInfo", vec![Value::Int(task_id)])
        .unwrap()
        .get("state")
        .and_then(Value::as_i64)
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn koji_cli_drives_hosts_builders_and_tasks() {
    let hub = TestHub::start().await;
    hub.add_user("admin", "pw", &["admin"]).await;
    let dir = tempfile::tempdir().unwrap();
    let koji = koji_conf(&hub, dir.path());
    let url = hub.url();
    let files = dir.path().to_path_buf();
    blocking(move || {
        let marker = new_marker();
        let admin_cli = |args: &[&str]| {
            let mut all = vec!["--user", "admin", "--password", "pw"];
            all.extend_from_slice(args);
            koji.run(&all)
        };
        let out = admin_cli(&["add-host", "builder1", "x86_64"]).ok();
        assert_eq!(out.stdout.trim(), "builder1 added: id 1");
        let out = admin_cli(&["add-host", "builder1", "x86_64"]);
        assert_ne!(out.code, 0, "{}", out.stdout);
        admin_cli(&[
            "edit-host",
            "builder1",
            "--capacity",
            "4",
            "--description",
            "the first builder",
        ])
        .ok();
        admin_cli(&["add-host-to-channel", "builder1", "createrepo"]).ok();
        // Builders log in with a password set through Kiln's editUser keyword.
        admin_cli(&["call", "editUser", "builder1", "password=hostpw"]).ok();

        let out = koji.run(&["list-hosts"]).ok();
        let row = out
            .stdout
            .lines()
            .find(|l| l.starts_with("builder1"))
            .unwrap()
            .to_owned();
        assert!(row.contains("x86_64"), "{row}");
        assert!(row.contains("0.0/4.0"), "{row}");
        let out = koji.run(&["hostinfo", "builder1"]).ok();
        for line in [
            "Name: builder1",
            "Capacity: 4.0",
            "Description: the first builder",
            "Channels: default createrepo",
            "Enabled: yes",
        ] {
            assert!(out.stdout.contains(line), "{line} missing from:\n{}", out.stdout);
        }
        let out = koji.run(&["list-channels"]).ok();
        assert!(
            out.stdout.contains("default") && out.stdout.contains("createrepo"),
            "{}",
            out.stdout
        );

        let mut builders = vec![Builder::start(
            &url,
            "builder1",
            "hostpw",
            &files,
            &marker,
            &BuilderOptions::default(),
        )];
        let admin = login(&url, "admin", "pw");
        eventually(Duration::from_secs(30), "the builder to check in", || {
            let host = admin.call("getHost", vec![Value::from("builder1")]).unwrap();
            (host.get("ready") == Some(&Value::Bool(true))).then_some(())
        });
        let out = koji.run(&["list-hosts", "--ready"]).ok();
        assert!(out.stdout.contains("builder1"), "{}", out.stdout);

        // Long enough that the stock client, slow to start on a loaded machine, sees it open.
        let sleep = task_id_from(&admin_cli(&["make-task", "sleep", "4"]).ok());
        let out = koji.run(&["watch-task", &sleep.to_string()]).ok();
        assert!(
            out.stdout
                .contains(&format!("{sleep} sleep (noarch): open (builder1) -> closed")),
            "{}",
            out.stdout
        );
        assert!(
            out.stdout
                .contains(&format!("{sleep} sleep (noarch) completed successfully")),
            "{}",
            out.stdout
        );
        let out = koji.run(&["taskinfo", "-v", &sleep.to_string()]).ok();
        for line in [
            format!("Task: {sleep}"),
            "Type: sleep".to_owned(),
            "State: closed".to_owned(),
            "Owner: admin".to_owned(),
            "Host: builder1".to_owned(),
        ] {
            assert!(out.stdout.contains(&line), "{line} missing from:\n{}", out.stdout);
        }
        assert!(out.stdout.contains("task.log"), "{}", out.stdout);

        let parent = task_id_from(&admin_cli(&["make-task", "waittest", "2", "1"]).ok());
        let out = koji.run(&["watch-task", &parent.to_string()]).ok();
        assert!(
            out.stdout.contains(&format!("{parent} waittest (noarch): ")),
            "{}",
            out.stdout
        );
        let children: std::collections::BTreeSet<&str> = out
            .stdout
            .lines()
            .filter(|l| l.starts_with("  ") && l.contains(" sleep (noarch)"))
            .filter_map(|l| l.split_whitespace().next())
            .collect();
        assert_eq!(children.len(), 3, "{}", out.stdout);
        assert!(
            out.stdout
                .contains("FAILED: ParameterError: sleep() argument must be a number"),
            "{}",
            out.stdout
        );
        assert!(
            out.stdout
                .contains(&format!("{parent} waittest (noarch) completed successfully")),
            "{}",
            out.stdout
        );

        // cancel on a running task stops its process.
        let long = task_id_from(&admin_cli(&["make-task", "sleep", "120"]).ok());
        eventually(Duration::from_secs(30), "the long task to open", || {
            (state_of(&admin, long) == 1).then_some(())
        });
        let out = admin_cli(&["list-tasks"]).ok();
        assert!(
            out.stdout
                .lines()
                .any(|l| l.starts_with(&long.to_string()) && l.contains("sleep")),
            "{}",
            out.stdout
        );
        let before = marked_processes(&marker).len();
        assert!(before >= 2, "builder and task process expected, found {before}");
        admin_cli(&["cancel", &long.to_string()]).ok();
        assert_eq!(state_of(&admin, long), 3);
        eventually(Duration::from_secs(30), "the task process to stop", || {
            (marked_processes(&marker).len() == before - 1).then_some(())
        });
        let out = admin_cli(&["list-tasks"]).ok();
        assert!(!out.stdout.contains(&format!("{long} ")), "{}", out.stdout);

        download_a_build_log(&url, &admin, &koji, &files);
        assert_clean(&admin, &mut builders, &marker);
    })
    .await;
}

/// `download-task --logs` fetches a buildArch task's files over HTTP from `/kojifiles`; test
/// code plays a builder that has such a task.
fn download_a_build_log(url: &str, admin: &ClientSession, koji: &KojiCli, files: &std::path::Path) {
    let (_, fake) = hub::test_clients::add_host(url, admin, "fakebuilder", &["x86_64"]);
    check_in(&fake, &["buildArch"], 1);
    let task = make_task(
        admin,
        "buildArch",
        vec![Value::from("foo")],
        vec![
            ("assign", Value::from("fakebuilder")),
            ("arch", Value::from("x86_64")),
        ],
    );
    fake.call("host.openTask", vec![Value::Int(task)]).unwrap();
    let local = files.join("outputs");
    std::fs::create_dir_all(&local).unwrap();
    std::fs::write(local.join("build.log"), "compiling foo\n").unwrap();
    std::fs::write(local.join("foo-1-1.x86_64.rpm"), vec![7_u8; 300_000]).unwrap();
    let remote = format!("tasks/{}/{task}", task % 10000);
    for name in ["build.log", "foo-1-1.x86_64.rpm"] {
        fake.upload_file(&local.join(name), &remote, name, 65536).unwrap();
    }
    fake.call(
        "host.closeTask",
        vec![Value::Int(task), Value::from(encode_response(&Value::Nil))],
    )
    .unwrap();
    let into = files.join("downloads");
    std::fs::create_dir_all(&into).unwrap();
    koji.run_in(
        &into,
        &["download-task", "--logs", "--noprogress", &task.to_string()],
    )
    .ok();
    assert_eq!(
        std::fs::read_to_string(into.join("build.x86_64.log")).unwrap(),
        "compiling foo\n"
    );
    assert_eq!(
        std::fs::read(into.join("foo-1-1.x86_64.rpm")).unwrap(),
        vec![7_u8; 300_000]
    );
}
