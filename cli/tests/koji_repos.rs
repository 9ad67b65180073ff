//! Repo commands through kiln and the stock `koji` client side by side: `regen-repo`
//! (a request, or a `newRepo` task with `--make-task`), `request-repo` and `wait-repo`, with
//! the test playing the build host that makes the repo.

mod support;

use std::path::Path;
use std::process::Command;

use common::client::ClientSession;
use common::xmlrpc::{Value, encode_response};
use hub::config::RepoConfig;
use hub::test_clients::{add_host, blocking, check_in, login};
use hub::testing::{TestHub, TestHubOptions};
use kiln_tests::{KojiCli, Output};
use support::{kiln, masked};

/// Plays a builder through a newRepo task: open, `host.repoInit`, one `repomd.xml` per arch,
/// `host.repoDone`, close. Returns the repo id.
fn play_new_repo(host: &ClientSession, task_id: i64, tag: &str, arches: &[&str]) -> i64 {
    host.call("host.openTask", vec![Value::Int(task_id)]).unwrap();
    let init = host
        .call_kw(
            "host.repoInit",
            vec![Value::from(tag)],
            vec![("task_id", Value::Int(task_id))],
        )
        .unwrap();
    let repo_id = init.as_array().unwrap()[0].as_i64().unwrap();
    let event_id = init.as_array().unwrap()[1].as_i64().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut data = Vec::new();
    for arch in arches {
        let local = dir.path().join("repomd.xml");
        std::fs::write(&local, format!("<repomd arch='{arch}'/>")).unwrap();
        let remote = format!("tasks/{}/{task_id}/{arch}", task_id % 10000);
        host.upload_file(&local, &remote, "repomd.xml", 1 << 16).unwrap();
        data.push((
            *arch,
            Value::Array(vec![
                Value::from(remote.as_str()),
                Value::Array(vec![Value::from("repomd.xml")]),
            ]),
        ));
    }
    host.call("host.repoDone", vec![Value::Int(repo_id), Value::structure(data)])
        .unwrap();
    let result = Value::Array(vec![Value::Int(repo_id), Value::Int(event_id)]);
    host.call(
        "host.closeTask",
        vec![Value::Int(task_id), Value::from(encode_response(&result))],
    )
    .unwrap();
    repo_id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repo_commands_print_as_koji() {
    let hub = TestHub::start_with(TestHubOptions {
        repos: Some(RepoConfig {
            enabled: false,
            ..RepoConfig::default()
        }),
        ..TestHubOptions::default()
    })
    .await;
    hub.add_user("admin", "pw", &["admin"]).await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("koji.conf");
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
    let koji = KojiCli {
        config: config.clone(),
    };
    let url = hub.url();
    blocking(move || {
        let admin = login(&url, "admin", "pw");
        admin
            .call_kw(
                "createTag",
                vec![Value::from("f40-build")],
                vec![("arches", Value::from("x86_64"))],
            )
            .unwrap();
        admin.call("createTag", vec![Value::from("f40")]).unwrap();
        admin.call("createTag", vec![Value::from("bare")]).unwrap();
        admin
            .call(
                "createBuildTarget",
                vec![Value::from("f40"), Value::from("f40-build"), Value::from("f40")],
            )
            .unwrap();
        let (_, host) = add_host(&url, &admin, "builder1", &["x86_64"]);
        admin
            .call(
                "addHostToChannel",
                vec![Value::from("builder1"), Value::from("createrepo")],
            )
            .unwrap();
        check_in(&host, &["newRepo"], 10);
        let auth = |args: &[&'static str]| -> Vec<&'static str> {
            ["--user", "admin", "--password", "pw"]
                .iter()
                .chain(args)
                .copied()
                .collect()
        };
        let same = |args: &[&str]| {
            let ours = kiln(&config, args);
            let theirs = koji.run(args);
            assert_eq!(
                ours.stdout, theirs.stdout,
                "{args:?}\n{}\n{}",
                ours.stderr, theirs.stderr
            );
            assert_eq!(
                ours.code, theirs.code,
                "{args:?}\n{}\n{}",
                ours.stderr, theirs.stderr
            );
            assert_eq!(ours.stderr, theirs.stderr, "{args:?}");
            ours
        };

        // No repo yet: a request (the second client gets the same one back).
        let out = same(&auth(&["regen-repo", "f40-build"]));
        assert!(out.stdout.starts_with("Got request: "), "{}", out.stdout);
        same(&auth(&["request-repo", "--target", "f40"]));
        same(&auth(&["regen-repo", "bare"]));

        // --make-task: a newRepo task each, printed alike.
        let ours = kiln(
            &config,
            &auth(&["regen-repo", "--make-task", "--nowait", "f40-build"]),
        )
        .ok();
        let theirs = koji
            .run(&auth(&["regen-repo", "--make-task", "--nowait", "f40-build"]))
            .ok();
        assert_eq!(masked(&ours.stdout), masked(&theirs.stdout));
        assert!(
            ours.stdout.contains(&format!(
                "Task info: http://{}/koji/taskinfo?taskID=",
                hub_addr(&url)
            )),
            "{}",
            ours.stdout
        );
        let tasks: Vec<i64> = host
            .call("host.getTasks", vec![])
            .unwrap()
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.get("id").and_then(Value::as_i64).unwrap())
            .collect();
        assert_eq!(tasks.len(), 2, "{tasks:?}");
        let repo_id = play_new_repo(&host, tasks[0], "f40-build", &["x86_64"]);
        let second = play_new_repo(&host, tasks[1], "f40-build", &["x86_64"]);
        assert!(second > repo_id);

        // Now the repo is there: the same commands answer with it.
        let out = same(&auth(&["regen-repo", "f40-build"]));
        assert_eq!(
            out.stdout,
            format!(
                "Got repo {second}\nRepo info: http://{}/koji/repoinfo?repoID={second}\n",
                hub_addr(&url)
            )
        );
        same(&auth(&["request-repo", "--wait", "f40-build"]));
        same(&["wait-repo", "f40-build"]);
        same(&["wait-repo", "--target", "f40"]);
        same(&auth(&["wait-repo", "--request", "f40-build"]));
        same(&["wait-repo", "--quiet", "--no-request", "f40-build"]);

        // Bad paths.
        for args in [&["wait-repo", "nope"][..], &["wait-repo", "--target", "nope"]] {
            let ours = kiln(&config, args);
            let theirs = koji.run(args);
            assert_eq!(
                (ours.code, theirs.code),
                (2, 2),
                "{args:?}: {} / {}",
                ours.stderr,
                theirs.stderr
            );
            assert_eq!(ours.stdout, theirs.stdout);
        }
        let out = kiln(&config, &auth(&["regen-repo", "nope"]));
        assert_eq!(out.code, 2);
        assert_eq!(out.stderr, "error: No such tag: nope\n");
    })
    .await;
}

fn hub_addr(url: &str) -> String {
    url.trim_start_matches("http://")
        .trim_end_matches("/kojihub")
        .to_owned()
}

/// Runs kiln and the stock client with the same arguments; both must print the same and exit
/// alike. Returns kiln's run.
fn same(config: &Path, koji: &KojiCli, args: &[&str]) -> Output {
    let ours = kiln(config, args);
    let theirs = koji.run(args);
    assert_eq!(
        ours.stdout, theirs.stdout,
        "{args:?}\n{}\n{}",
        ours.stderr, theirs.stderr
    );
    assert_eq!(
        ours.code, theirs.code,
        "{args:?}\n{}\n{}",
        ours.stderr, theirs.stderr
    );
    assert_eq!(ours.stderr, theirs.stderr, "{args:?}");
    ours
}

/// Starts a command in the background with its output captured.
fn spawn(mut command: Command, config: &Path, args: &[&str]) -> std::process::Child {
    command
        .arg("-c")
        .arg(config)
        .args(args)
        .env("HOME", config.parent().unwrap())
        .env_remove("RUST_LOG")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

fn output_of(child: std::process::Child) -> Output {
    let output = child.wait_with_output().unwrap();
    Output {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Creates a newRepo task for the tag through kiln, and plays the builder through it.
fn make_repo(config: &Path, host: &ClientSession, tag: &str) -> i64 {
    let args = [
        "--user",
        "admin",
        "--password",
        "pw",
        "regen-repo",
        "--make-task",
        "--nowait",
        tag,
    ];
    kiln(config, &args).ok();
    let tasks = host.call("host.getTasks", vec![]).unwrap();
    let task = tasks.as_array().unwrap().last().unwrap();
    play_new_repo(
        host,
        task.get("id").and_then(Value::as_i64).unwrap(),
        tag,
        &["x86_64"],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_repo_for_builds_as_koji() {
    use hub::testing_content::{RpmSpec, insert_build, make_rpms, tag_build, tag_id, user_id};

    let hub = TestHub::start_with(TestHubOptions {
        repos: Some(RepoConfig {
            enabled: false,
            ..RepoConfig::default()
        }),
        ..TestHubOptions::default()
    })
    .await;
    hub.add_user("admin", "pw", &["admin"]).await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("koji.conf");
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
    let koji = KojiCli {
        config: config.clone(),
    };
    let url = hub.url();
    let host = blocking(move || {
        let admin = login(&url, "admin", "pw");
        admin
            .call_kw(
                "createTag",
                vec![Value::from("f40-build")],
                vec![("arches", Value::from("x86_64"))],
            )
            .unwrap();
        admin.call("createTag", vec![Value::from("f40")]).unwrap();
        // Koji lists tagged builds only of packages on the tag's package list.
        admin
            .call(
                "packageListAdd",
                vec![Value::from("f40-build"), Value::from("foo"), Value::from("admin")],
            )
            .unwrap();
        admin
            .call(
                "createBuildTarget",
                vec![Value::from("f40"), Value::from("f40-build"), Value::from("f40")],
            )
            .unwrap();
        let (_, host) = add_host(&url, &admin, "builder1", &["x86_64"]);
        admin
            .call(
                "addHostToChannel",
                vec![Value::from("builder1"), Value::from("createrepo")],
            )
            .unwrap();
        check_in(&host, &["newRepo"], 10);
        host
    })
    .await;
    let files = dir.path().join("rpms");
    let rpms = blocking(move || {
        make_rpms(
            &files,
            &[RpmSpec::noarch("foo", "1", "1"), RpmSpec::noarch("foo", "1", "2")],
        )
    })
    .await;
    let admin_id = user_id(&hub.ctx.pool, "admin").await;
    let tag = tag_id(&hub.ctx.pool, "f40-build").await;
    let mut build_ids = Vec::new();
    for rpm in &rpms {
        build_ids.push(insert_build(&hub.ctx.pool, &hub.topdir(), admin_id, rpm).await);
    }

    // Not tagged: both give up at once with the same words.
    let (config_c, koji_c) = (config.clone(), koji.clone());
    blocking(move || {
        let out = same(&config_c, &koji_c, &["wait-repo", "f40-build", "--build", "foo-1-1", "--timeout", "0"]);
        assert_eq!(out.code, 1);
        assert!(out.stderr.contains("No foo builds in tag f40-build"), "{}", out.stderr);
        assert!(
            out.stderr.ends_with(
                "Failed to get repo -- Unsuccessfully waited 0:00 for foo-1-1 to appear in the f40-build repo\n"
            ),
            "{}",
            out.stderr
        );
        // The stock client logs the error with a time stamp; the message is the same.
        let args = ["wait-repo", "f40-build", "--build", "foo", "--timeout", "0"];
        let (ours, theirs) = (kiln(&config_c, &args), koji_c.run(&args));
        assert_eq!((ours.code, theirs.code), (1, 1));
        assert_eq!(ours.stderr, "GenericError: invalid format: foo\n");
        assert!(
            theirs.stderr.ends_with(" koji: GenericError: invalid format: foo\n"),
            "{}",
            theirs.stderr
        );
    })
    .await;

    // Tagged, no repo yet: a request for one times out alike.
    tag_build(&hub.ctx.pool, tag, build_ids[0], admin_id).await;
    let (config_c, koji_c) = (config.clone(), koji.clone());
    let host = blocking(move || {
        let auth = ["--user", "admin", "--password", "pw"];
        let args: Vec<&str> = auth
            .iter()
            .copied()
            .chain([
                "wait-repo",
                "--request",
                "f40-build",
                "--build",
                "foo-1-1",
                "--timeout",
                "0",
            ])
            .collect();
        let out = same(&config_c, &koji_c, &args);
        assert_eq!(out.code, 1);
        assert!(
            out.stderr
                .starts_with("Failed to get repo -- Unsuccessfully waited 0:0"),
            "{}",
            out.stderr
        );
        // Anonymous, the stock client polls for ever here; kiln keeps to --timeout.
        let out = kiln(
            &config_c,
            &["wait-repo", "f40-build", "--build", "foo-1-1", "--timeout", "0"],
        );
        assert_eq!(out.code, 1);
        assert!(
            out.stderr.ends_with(" for a new f40-build repo\n"),
            "{}",
            out.stderr
        );

        // Both wait; a repo holding the build ends both waits.
        let args = ["wait-repo", "--no-request", "f40-build", "--build", "foo-1-1"];
        let ours = spawn(Command::new(env!("CARGO_BIN_EXE_kiln")), &config_c, &args);
        let theirs = spawn(Command::new(kiln_tests::koji_cli_path()), &config_c, &args);
        std::thread::sleep(std::time::Duration::from_secs(2));
        let repo_id = make_repo(&config_c, &host, "f40-build");
        let (ours, theirs) = (output_of(ours), output_of(theirs));
        assert_eq!(ours.code, 0, "{}", ours.stderr);
        assert_eq!(
            ours.stdout,
            format!(
                "Got repo {repo_id}\nRepo info: http://{}/koji/repoinfo?repoID={repo_id}\n",
                hub_addr(&koji_url(&config_c))
            )
        );
        assert_eq!(
            (ours.stdout, ours.stderr, ours.code),
            (theirs.stdout, theirs.stderr, theirs.code)
        );
        host
    })
    .await;

    // A newer build tagged after the repo: the repo still serves the older one (with a
    // warning), not the newer one.
    tag_build(&hub.ctx.pool, tag, build_ids[1], admin_id).await;
    let (config_c, koji_c) = (config.clone(), koji.clone());
    blocking(move || {
        let out = same(
            &config_c,
            &koji_c,
            &["wait-repo", "f40-build", "--build", "foo-1-1"],
        );
        assert_eq!(out.code, 0);
        assert!(
            out.stderr
                .contains("nvr foo-1-1 is not current in tag f40-build\n  latest build is foo-1-2"),
            "{}",
            out.stderr
        );
        let auth = ["--user", "admin", "--password", "pw"];
        let args: Vec<&str> = auth
            .iter()
            .copied()
            .chain([
                "wait-repo",
                "--request",
                "--target",
                "f40",
                "--build",
                "foo-1-2",
                "--timeout",
                "0",
            ])
            .collect();
        let out = same(&config_c, &koji_c, &args);
        assert_eq!(out.code, 1);
        let repo_id = make_repo(&config_c, &host, "f40-build");
        let out = same(
            &config_c,
            &koji_c,
            &["wait-repo", "--target", "f40", "--build", "foo-1-2"],
        );
        assert!(
            out.stdout.starts_with(&format!("Got repo {repo_id}\n")),
            "{}",
            out.stdout
        );
    })
    .await;
}

/// The server URL in a koji.conf.
fn koji_url(config: &Path) -> String {
    let text = std::fs::read_to_string(config).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("server = "))
        .unwrap()
        .to_owned()
}
