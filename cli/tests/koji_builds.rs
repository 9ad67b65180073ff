//! Build commands through kiln and the stock `koji` client side by side: builds imported
//! with the stock client, `tag-build` tasks the test runs as the build host, the listings
//! (`list-tagged`, `latest-build`, `buildinfo`, `list-builds`), `untag-build` and `build`.

mod support;

use std::path::Path;
use std::process::Command;

use common::client::ClientSession;
use common::xmlrpc::{Value, encode_response};
use hub::test_clients::{add_host, blocking, check_in, login};
use hub::test_rpms::build_noarch;
use hub::testing::TestHub;
use kiln_tests::KojiCli;
use support::{kiln, masked};

/// Runs every waiting `tagBuild` task as the build host does: `host.tagBuild`, then close.
fn run_tag_tasks(host: &ClientSession) -> usize {
    let tasks = host.call("host.getTasks", vec![]).unwrap();
    let mut n = 0;
    for task in tasks.as_array().unwrap() {
        let task_id = task.get("id").and_then(Value::as_i64).unwrap();
        host.call("host.openTask", vec![Value::Int(task_id)]).unwrap();
        let request = host.call("getTaskRequest", vec![Value::Int(task_id)]).unwrap();
        let params = request.as_array().unwrap();
        let mut args = vec![Value::Int(task_id)];
        args.extend(params.iter().take(4).cloned());
        host.call("host.tagBuild", args).unwrap();
        host.call(
            "host.closeTask",
            vec![Value::Int(task_id), Value::from(encode_response(&Value::Nil))],
        )
        .unwrap();
        n += 1;
    }
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn build_commands_print_as_koji() {
    let hub = TestHub::start().await;
    hub.add_user("admin", "pw", &["admin"]).await;
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().to_path_buf();
    let config = work.join("koji.conf");
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
        let auth = |args: &[&str]| -> Vec<String> {
            ["--user", "admin", "--password", "pw"]
                .iter()
                .chain(args)
                .map(|s| (*s).to_owned())
                .collect()
        };
        let run_koji = |args: &[String]| koji.run(&args.iter().map(String::as_str).collect::<Vec<_>>());
        let run_kiln = |args: &[String]| kiln(&config, &args.iter().map(String::as_str).collect::<Vec<_>>());
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
            ours
        };
        let first = build_noarch(&work.join("fixtures"), "hello", "1.0", "1");
        let second = build_noarch(&work.join("fixtures"), "hello", "1.1", "1");
        for built in [&first, &second] {
            run_koji(&auth(&[
                "import",
                &built.srpm.display().to_string(),
                &built.rpm.display().to_string(),
            ]))
            .ok();
        }
        for args in [
            &["add-tag", "dest"][..],
            &["add-tag", "child", "--parent", "dest"],
            &["add-tag", "build-tag", "--arches", "noarch", "--parent", "dest"],
            &["add-target", "tgt", "build-tag", "dest"],
            &["add-pkg", "--owner", "admin", "dest", "hello"],
        ] {
            run_koji(&auth(args)).ok();
        }
        let admin = login(&url, "admin", "pw");
        let (_, host) = add_host(&url, &admin, "builder1", &["noarch"]);
        check_in(&host, &["tagBuild"], 10);

        // tag-build through each client, the host running the tasks.
        let ours = run_kiln(&auth(&["tag-build", "dest", "hello-1.0-1"])).ok();
        assert_eq!(run_tag_tasks(&host), 1);
        let theirs = run_koji(&auth(&["tag-build", "dest", "hello-1.1-1"])).ok();
        assert_eq!(run_tag_tasks(&host), 1);
        assert_eq!(masked(&ours.stdout), masked(&theirs.stdout));
        assert!(ours.stdout.starts_with("Created task "), "{}", ours.stdout);

        for args in [
            &["list-tagged", "dest"][..],
            &["list-tagged", "--latest", "dest"],
            &["list-tagged", "--inherit", "child"],
            &["list-tagged", "--rpms", "dest"],
            &["list-tagged", "--arch", "noarch", "--latest", "dest", "hello"],
            &["list-tagged", "--sigs", "dest"],
            &["list-tagged", "--quiet", "dest"],
            &["latest-build", "dest", "hello"],
            &["latest-build", "--all", "child"],
            &["latest-build", "--arch", "noarch", "dest", "hello"],
            &["latest-build", "--paths", "dest", "hello"],
            &["buildinfo", "hello-1.0-1"],
            &["buildinfo", "2", "hello-1.1-1"],
            &["buildinfo", "--changelog", "hello-1.1-1"],
            &["list-builds", "--package", "hello"],
            &["list-builds", "--buildid", "1"],
            &["list-builds", "--state", "COMPLETE", "-k", "owner_name", "-r"],
            &["list-builds", "--pattern", "hello-1.1*", "--quiet"],
            &["list-tags", "--build", "hello-1.0-1"],
            &["list-history", "--build", "hello-1.0-1"],
        ] {
            same(args);
        }
        for (args, message, code) in [
            (&["buildinfo", "nope-1-1"][..], "No such build: nope-1-1", 1),
            (&["list-tagged", "nope"], "No such tag: nope", 2),
            (&["list-builds"], "Filter must be provided for list", 2),
            (&["list-builds", "--package", "nope"], "No such package: nope", 2),
            (
                &["latest-build", "dest"],
                "A tag name and package name must be specified",
                2,
            ),
        ] {
            let ours = kiln(&config, args);
            let theirs = koji.run(args);
            assert_eq!(
                (ours.code, theirs.code),
                (code, code),
                "{args:?}: {} / {}",
                ours.stderr,
                theirs.stderr
            );
            assert!(theirs.stderr.contains(message), "{}", theirs.stderr);
            assert!(ours.stderr.contains(message), "{}", ours.stderr);
            assert_eq!(ours.stdout, theirs.stdout);
        }

        // download-build into a directory per client.
        for args in [
            &["download-build", "hello-1.0-1"][..],
            &["download-build", "--arch", "noarch", "--noprogress", "2"],
        ] {
            let ours_dir = tempfile::tempdir().unwrap();
            let theirs_dir = tempfile::tempdir().unwrap();
            let mut command = Command::new(env!("CARGO_BIN_EXE_kiln"));
            let ours = command
                .arg("-c")
                .arg(&config)
                .args(args)
                .current_dir(ours_dir.path())
                .output()
                .unwrap();
            let theirs = koji.run_in(theirs_dir.path(), args);
            assert_eq!(String::from_utf8_lossy(&ours.stdout), theirs.stdout, "{args:?}");
            assert_eq!(ours.status.code(), Some(theirs.code));
            let files = |d: &Path| {
                let mut names: Vec<(String, Vec<u8>)> = std::fs::read_dir(d)
                    .unwrap()
                    .map(|e| {
                        let path = e.unwrap().path();
                        (
                            path.file_name().unwrap().to_string_lossy().into_owned(),
                            std::fs::read(&path).unwrap(),
                        )
                    })
                    .collect();
                names.sort();
                names
            };
            assert_eq!(files(ours_dir.path()), files(theirs_dir.path()), "{args:?}");
            assert!(!files(ours_dir.path()).is_empty());
        }
        let ours = kiln(&config, &["download-build", "nope-1-1"]);
        assert_eq!(
            (ours.code, ours.stderr.as_str()),
            (1, "No such build: nope-1-1\n")
        );

        // untag-build: a dry run through both, then each untags one build.
        same(
            &auth(&["untag-build", "-n", "-v", "dest", "hello-1.0-1"])
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
        );
        let ours = run_kiln(&auth(&["untag-build", "-v", "dest", "hello-1.0-1"])).ok();
        let theirs = run_koji(&auth(&["untag-build", "-v", "dest", "hello-1.1-1"])).ok();
        assert_eq!(masked(&ours.stdout), masked(&theirs.stdout));
        same(&["list-tagged", "dest"]);
        same(&["list-history", "--tag", "dest"]);
        let ours = run_kiln(&auth(&["untag-build", "dest", "nope-1-1"]));
        let theirs = run_koji(&auth(&["untag-build", "dest", "nope-1-1"]));
        assert_eq!((ours.code, theirs.code), (1, 1));
        assert_eq!(ours.stderr.trim(), theirs.stderr.trim());

        // build: an SRPM upload and a build task each (nobody runs it).
        let srpm = first.srpm.display().to_string();
        let ours = run_kiln(&auth(&["build", "--nowait", "--scratch", "tgt", &srpm])).ok();
        let theirs = run_koji(&auth(&["build", "--nowait", "--scratch", "tgt", &srpm])).ok();
        assert_eq!(masked(&ours.stdout), masked(&theirs.stdout), "{}", ours.stderr);
        let task = ours
            .stdout
            .lines()
            .find_map(|l| l.strip_prefix("Created task: "))
            .unwrap()
            .to_owned();
        same(&["taskinfo", "-v", &task]);
        same(&["list-tasks", "--quiet"]);

        // build --wait on a terminal: the live tree of the task until it ends (here canceled,
        // so exit code 1 and the canceled mark).
        let command = format!(
            "{} -c {} --user admin --password pw build --wait --scratch tgt {srpm}",
            env!("CARGO_BIN_EXE_kiln"),
            config.display()
        );
        let admin = login(&url, "admin", "pw");
        let known = build_task_ids(&admin).into_iter().max().unwrap_or_default();
        let live = Command::new("script")
            .args(["-q", "-e", "-c", &command, "/dev/null"])
            .env("HOME", &work)
            .env("TERM", "xterm")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let waited = (0..600).find_map(|_| {
            let newest = build_task_ids(&admin).into_iter().find(|id| *id > known);
            if newest.is_none() {
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            newest
        });
        let waited = waited.expect("build --wait made no task");
        // Let the watch show the task before it ends.
        std::thread::sleep(std::time::Duration::from_secs(2));
        admin.call("cancelTask", vec![Value::Int(waited)]).unwrap();
        let live = live.wait_with_output().unwrap();
        let screen = String::from_utf8_lossy(&live.stdout).into_owned();
        let tail: String = screen
            .chars()
            .skip(screen.chars().count().saturating_sub(1500))
            .collect();
        assert_eq!(live.status.code(), Some(1), "{tail}");
        assert!(
            screen.contains('\u{1b}'),
            "no terminal control sequences: {tail:?}"
        );
        assert!(screen.contains(&format!("Created task: {waited}")), "{tail:?}");
        let label = format!("{waited} build (tgt, hello-1.0-1.src.rpm)");
        assert!(screen.contains(&format!("{label}  free")), "{tail:?}");
        assert!(screen.contains(&format!("{label}  canceled")), "{tail:?}");
        assert!(screen.contains('⊘'), "{tail:?}");
        assert!(
            !screen.contains("Watching tasks"),
            "the tree replaces the lines: {tail:?}"
        );
        let ours = run_kiln(&auth(&["build", "--nowait", "nope", &srpm]));
        assert_eq!(ours.code, 2);
        assert!(
            ours.stderr.contains("No such build target: nope"),
            "{}",
            ours.stderr
        );
        let ours = run_kiln(&auth(&["build", "--nowait", "tgt", "/nonexistent.src.rpm"]));
        assert_eq!(ours.code, 1);
        assert_eq!(ours.stderr.lines().count(), 1, "{}", ours.stderr);
    })
    .await;
}

/// The ids of every `build` task.
fn build_task_ids(session: &ClientSession) -> Vec<i64> {
    let tasks = session
        .call_kw(
            "listTasks",
            vec![],
            vec![("opts", Value::structure([("method", Value::from("build"))]))],
        )
        .unwrap();
    tasks
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t.get("id").and_then(Value::as_i64))
        .collect()
}
