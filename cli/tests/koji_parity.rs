//! The acceptance scenario: every command kiln shares with the stock `koji` 1.36.1 client
//! run through both against one in-process hub, stdout and exit codes compared.
//!
//! Writing commands run once per client on objects of their own (`k-…` for kiln, `j-…` for
//! koji) and their outputs are compared with those prefixes (and new ids) masked; reading
//! commands run through both on the same objects and must print the same bytes. Tasks are
//! driven by the test playing a build host through `host.*` calls, so every state change
//! happens when the test says.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::Duration;

use common::client::ClientSession;
use common::xmlrpc::{Value, encode_fault, encode_response};
use hub::test_clients::{add_host, blocking, check_in, login};
use hub::testing::TestHub;
use kiln_tests::{KojiCli, Output};

/// Both clients, configured alike.
struct Clients {
    koji: KojiCli,
    config: PathBuf,
    home: PathBuf,
}

impl Clients {
    fn new(hub: &TestHub, dir: &Path) -> Clients {
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
        Clients {
            koji: KojiCli {
                config: config.clone(),
            },
            config,
            home: dir.to_path_buf(),
        }
    }

    fn kiln_command(&self, dir: &Path, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_kiln"));
        command
            .arg("-c")
            .arg(&self.config)
            .args(args)
            .current_dir(dir)
            .env("HOME", &self.home)
            .env_remove("RUST_LOG");
        command
    }

    fn kiln_in(&self, dir: &Path, args: &[&str]) -> Output {
        let output = self.kiln_command(dir, args).output().unwrap();
        Output {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    fn kiln(&self, args: &[&str]) -> Output {
        self.kiln_in(&self.home, args)
    }

    fn koji(&self, args: &[&str]) -> Output {
        self.koji.run(args)
    }

    /// Runs a command line through both; stdout and exit codes must match.
    fn same(&self, args: &[&str]) -> Output {
        let ours = self.kiln(args);
        let theirs = self.koji(args);
        assert_eq!(
            ours.stdout, theirs.stdout,
            "stdout differs for {args:?}\nkiln stderr: {}\nkoji stderr: {}",
            ours.stderr, theirs.stderr
        );
        assert_eq!(
            ours.code, theirs.code,
            "exit code differs for {args:?}\nkiln: {}\nkoji: {}",
            ours.stderr, theirs.stderr
        );
        assert!(!ours.stderr.contains("panicked"), "{}", ours.stderr);
        ours
    }

    /// Both fail alike: same exit code and stdout, and the same error message on stderr
    /// (kiln's one line ends with the text koji's message contains).
    fn same_error(&self, args: &[&str], message: &str, code: i32) {
        let ours = self.kiln(args);
        let theirs = self.koji(args);
        assert_eq!(ours.code, code, "{args:?}: {}", ours.stderr);
        assert_eq!(theirs.code, code, "{args:?}: {}", theirs.stderr);
        assert!(
            theirs.stderr.contains(message),
            "koji stderr for {args:?}: {}",
            theirs.stderr
        );
        let lines: Vec<&str> = ours.stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        assert!(
            lines.len() <= 2 && lines.iter().any(|l| l.ends_with(message)),
            "kiln stderr for {args:?}: {}",
            ours.stderr
        );
        assert_eq!(ours.stdout, theirs.stdout, "{args:?}");
    }
}

const AUTH: [&str; 4] = ["--user", "admin", "--password", "pw"];

fn auth<'a>(args: &[&'a str]) -> Vec<&'a str> {
    AUTH.iter().chain(args).copied().collect()
}

/// `text` with a client's prefix made neutral and the numbers after `id ` masked.
fn neutral(text: &str, prefix: &str) -> String {
    let text = text.replace(&format!("{prefix}-"), "X-");
    let mut out = String::new();
    let mut rest = text.as_str();
    while let Some(at) = rest.find("id ") {
        out.push_str(&rest[..at + 3]);
        rest = rest[at + 3..].trim_start_matches(|c: char| c.is_ascii_digit());
        out.push('N');
    }
    out.push_str(rest);
    out
}

/// Runs a writing command through both clients on their own objects and compares.
fn same_write(clients: &Clients, args: &[&str]) {
    let with = |prefix: &str| -> Vec<String> {
        args.iter()
            .map(|a| a.replace("P-", &format!("{prefix}-")))
            .collect()
    };
    let ours_args = with("k");
    let theirs_args = with("j");
    let ours = clients.kiln(&auth(&ours_args.iter().map(String::as_str).collect::<Vec<_>>()));
    let theirs = clients.koji(&auth(&theirs_args.iter().map(String::as_str).collect::<Vec<_>>()));
    assert_eq!(
        neutral(&ours.stdout, "k"),
        neutral(&theirs.stdout, "j"),
        "{args:?}\nkiln stderr: {}\nkoji stderr: {}",
        ours.stderr,
        theirs.stderr
    );
    assert_eq!(ours.code, 0, "{args:?}: {}", ours.stderr);
    assert_eq!(theirs.code, 0, "{args:?}: {}", theirs.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tags_targets_packages_hosts_and_history_print_as_koji() {
    let hub = TestHub::start().await;
    hub.add_user("admin", "pw", &["admin"]).await;
    hub.add_user("bob", "pw", &[]).await;
    let dir = tempfile::tempdir().unwrap();
    let clients = Clients::new(&hub, dir.path());
    blocking(move || {
        for args in [
            &[
                "add-tag",
                "P-base",
                "--arches",
                "x86_64,aarch64",
                "-x",
                "rpm.macro.dist=.fc40",
                "-x",
                "mock.new_chroot=0",
            ][..],
            &["add-tag", "P-other"],
            &["add-tag", "P-build", "--parent", "P-base", "--arches", "x86_64"],
            &[
                "edit-tag",
                "P-build",
                "--perm",
                "admin",
                "--lock",
                "-x",
                "foo=[1, 2]",
                "-x",
                "bar=text",
            ],
            &["edit-tag", "P-base", "-r", "mock.new_chroot"],
            &[
                "add-tag-inheritance",
                "P-build",
                "P-other",
                "--priority",
                "10",
                "--maxdepth",
                "2",
                "--pkg-filter",
                "foo.*",
            ],
            &["add-target", "P-target", "P-build", "P-base"],
            &["add-target", "P-build", "P-build"],
            &["add-pkg", "--owner", "admin", "P-base", "pkga", "pkgb"],
            &[
                "add-pkg",
                "--owner",
                "admin",
                "--extra-arches",
                "ppc64le",
                "P-base",
                "pkga",
                "pkgc",
            ],
            &["block-pkg", "P-build", "pkgb"],
            &["add-host", "P-builder", "x86_64", "aarch64"],
            &["add-host-to-channel", "P-builder", "createrepo"],
            &["add-host-to-channel", "--new", "P-builder", "P-channel"],
            &["add-tag", "P-doomed"],
            &["remove-tag", "P-doomed"],
            &["edit-target", "P-build", "--rename", "P-build2"],
            &["remove-target", "P-build2"],
        ] {
            same_write(&clients, args);
        }
        for args in [
            &["edit-tag", "P-other", "--rename", "P-other2"][..],
            &["edit-tag", "P-base", "--arches", "x86_64 s390x"],
            &["edit-tag", "P-other2", "--rename", "P-other"],
            &[
                "edit-tag",
                "P-build",
                "--unlock",
                "--no-perm",
                "-b",
                "rpm.macro.dist",
            ],
            &["edit-tag", "P-build", "--lock"],
        ] {
            same_write(&clients, args);
        }

        for args in [
            &["list-tags"][..],
            &["list-tags", "--show-id", "--verbose"],
            &["list-tags", "k-*", "*-other"],
            &["list-tags", "--unlocked"],
            &["list-tags", "--package", "pkga"],
            &["taginfo", "k-build"],
            &["taginfo", "j-build", "k-base", "j-other"],
            &["list-tag-inheritance", "k-build"],
            &["list-tag-inheritance", "--reverse", "j-base"],
            &["list-targets"],
            &["list-targets", "--name", "k-target"],
            &["list-targets", "--quiet"],
            &["list-pkgs", "--tag", "k-base"],
            &["list-pkgs", "--tag", "k-build", "--show-blocked"],
            &["list-pkgs", "--tag", "j-build", "--noinherit"],
            &["list-pkgs"],
            &["list-pkgs", "--owner", "admin"],
            &["list-pkgs", "--package", "pkga"],
            &["list-pkgs", "--tag", "k-base", "--quiet"],
            &["list-history", "--tag", "k-build"],
            &["list-history", "--tag", "j-base", "-v"],
            &["list-history", "--all", "-e"],
            &["list-history", "--host", "k-builder"],
            &["list-history", "--package", "pkgb", "--active"],
            &["list-history", "--tag", "k-doomed"],
            &["list-history", "--user", "bob"],
            &["list-history", "--permission", "admin", "--utc"],
            &["list-history", "--channel", "createrepo", "-v"],
            &["list-history", "--all", "-s", "tag_config,tag_extra", "--revoked"],
            &[
                "list-history",
                "--tag",
                "j-build",
                "--after",
                "2000-01-01",
                "--before",
                "4000000000",
            ],
            &["list-hosts"],
            &["list-hosts", "--show-channels", "--description", "--comment"],
            &["list-hosts", "--arch", "aarch64", "--channel", "createrepo"],
            &["list-hosts", "--not-ready", "--quiet"],
            &["hostinfo", "k-builder", "j-builder"],
        ] {
            clients.same(args);
        }
        // Koji queries at an event with these too.
        let event = clients.kiln(&["--noauth", "call", "getLastEvent"]).ok();
        let event_id = event
            .stdout
            .split("'id': ")
            .nth(1)
            .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
            .unwrap()
            .to_owned();
        clients.same(&["taginfo", "--event", &event_id, "k-build"]);
        clients.same(&["list-pkgs", "--tag", "k-base", "--event", &event_id]);

        // Bad paths: one line, Koji's exit code.
        clients.same_error(&["taginfo", "nope"], "GenericError: No such tagInfo: 'nope'", 1);
        clients.same_error(&["list-tag-inheritance", "nope"], "No such tag: nope", 2);
        clients.same_error(
            &["list-targets", "--name", "nope"],
            "No such build target: nope",
            2,
        );
        clients.same_error(&["list-pkgs", "--tag", "nope"], "No such tag: nope", 2);
        clients.same_error(&["list-pkgs", "--tag", "k-other"], "(no matching packages)", 1);
        clients.same_error(
            &["list-history"],
            "Please specify an option to limit the query",
            2,
        );
        clients.same_error(&["hostinfo", "ghost"], "No such host: ghost", 1);
        clients.same_error(
            &auth(&["add-tag", "k-base"]),
            "GenericError: A tag with the name 'k-base' already exists",
            1,
        );
        clients.same_error(&auth(&["remove-tag", "nope"]), "No such tag: nope", 1);
        clients.same_error(
            &auth(&["add-pkg", "k-base", "pkga"]),
            "Please specify an owner for the package(s)",
            2,
        );
        clients.same_error(
            &auth(&["add-pkg", "--owner", "ghost", "k-base", "pkga"]),
            "No such user: ghost",
            1,
        );
        clients.same_error(
            &auth(&["block-pkg", "k-base", "nopkg"]),
            "Package nopkg doesn't exist in tag k-base",
            1,
        );
        clients.same_error(
            &auth(&["add-tag-inheritance", "k-build", "k-other"]),
            "Please use --force if this is what you really want to do.",
            1,
        );
        clients.same_error(
            &auth(&["add-target", "k-t2", "k-other"]),
            "Build tag has no arches: k-other",
            1,
        );
        clients.same_error(
            &auth(&["add-host", "k-builder", "x86_64"]),
            "k-builder is already in the database",
            1,
        );
        clients.same_error(
            &auth(&["add-host-to-channel", "k-builder", "nochannel"]),
            "No such channel: nochannel",
            1,
        );
        let bob = ["--user", "bob", "--password", "pw"];
        let as_bob =
            |args: &[&'static str]| -> Vec<&'static str> { bob.iter().chain(args).copied().collect() };
        clients.same_error(
            &as_bob(&["add-tag", "bobs"]),
            "This action requires tag or admin privileges",
            2,
        );
        clients.same_error(
            &as_bob(&["add-target", "t", "k-build"]),
            "This action requires target or admin privileges",
            2,
        );
        clients.same_error(
            &as_bob(&["edit-tag", "k-base", "--lock"]),
            "ActionNotAllowed: tag permission required (logged in as bob)",
            1,
        );

        // --json on the listings is kiln's own: parseable and carrying the rows.
        for (args, needle) in [
            (&["list-tags", "--json"][..], "\"name\": \"k-base\""),
            (&["list-targets", "--json"], "\"build_tag_name\": \"k-build\""),
            (
                &["list-pkgs", "--tag", "k-base", "--json"],
                "\"package_name\": \"pkga\"",
            ),
            (&["list-hosts", "--json"], "\"name\": \"k-builder\""),
            (&["list-history", "--tag", "k-base", "--json"], "\"tag_config\""),
            (
                &["list-tag-inheritance", "k-build", "--json"],
                "\"name\": \"k-other\"",
            ),
        ] {
            let out = clients.kiln(args).ok();
            let parsed: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
            assert!(!parsed.is_null(), "{args:?}");
            assert!(out.stdout.contains(needle), "{args:?}: {}", out.stdout);
        }
    })
    .await;
}

/// A build host the test plays.
struct Host {
    session: ClientSession,
}

impl Host {
    fn take(&self) -> Vec<i64> {
        let tasks = self.session.call("host.getTasks", vec![]).unwrap();
        tasks
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.get("id").and_then(Value::as_i64).unwrap())
            .collect()
    }

    fn open(&self, task_id: i64) {
        self.session
            .call("host.openTask", vec![Value::Int(task_id)])
            .unwrap();
    }

    fn upload(&self, task_id: i64, name: &str, text: &str) {
        let dir = format!("tasks/{}/{task_id}", task_id % 10000);
        self.session
            .upload_chunk(&dir, name, 0, text.as_bytes(), true)
            .unwrap();
    }

    fn close(&self, task_id: i64) {
        self.session
            .call(
                "host.closeTask",
                vec![Value::Int(task_id), Value::from(encode_response(&Value::Nil))],
            )
            .unwrap();
    }

    fn fail(&self, task_id: i64, message: &str) {
        self.session
            .call(
                "host.failTask",
                vec![Value::Int(task_id), Value::from(encode_fault(1005, message))],
            )
            .unwrap();
    }

    fn subtask(&self, parent: i64, seconds: i64) -> i64 {
        self.session
            .call(
                "host.subtask",
                vec![
                    Value::from("sleep"),
                    Value::Array(vec![Value::Int(seconds)]),
                    Value::Int(parent),
                ],
            )
            .unwrap()
            .as_i64()
            .unwrap()
    }
}

fn created_id(out: &Output) -> i64 {
    out.stdout
        .trim()
        .strip_prefix("Created task id ")
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("no task id in {out:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tasks_print_as_koji() {
    let hub = TestHub::start().await;
    hub.add_user("admin", "pw", &["admin"]).await;
    let dir = tempfile::tempdir().unwrap();
    let clients = Clients::new(&hub, dir.path());
    let url = hub.url();
    blocking(move || {
        let admin = login(&url, "admin", "pw");
        let (_, session) = add_host(&url, &admin, "builder1", &["x86_64", "noarch"]);
        admin
            .call_kw(
                "editHost",
                vec![Value::from("builder1")],
                vec![("capacity", Value::Double(50.0))],
            )
            .unwrap();
        check_in(&session, &["sleep"], 10);
        let host = Host { session };

        // make-task through both clients, in a channel the host is not in so they stay free.
        let ours = clients
            .kiln(&auth(&["make-task", "--channel", "createrepo", "sleep", "5"]))
            .ok();
        let theirs = clients
            .koji(&auth(&["make-task", "--channel", "createrepo", "sleep", "5"]))
            .ok();
        assert_eq!(neutral(&ours.stdout, "k"), neutral(&theirs.stdout, "j"));
        let (free_a, free_b) = (created_id(&ours), created_id(&theirs));
        clients.same(&["list-tasks"]);
        clients.same(&auth(&[
            "list-tasks",
            "--channel",
            "createrepo",
            "--arch",
            "noarch,x86_64",
        ]));

        // A parent with children, logs and outputs, then closed.
        let parent = created_id(&clients.kiln(&auth(&["make-task", "sleep", "1"])).ok());
        let taken = host.take();
        assert!(taken.contains(&parent), "{taken:?}");
        for task in &taken {
            host.open(*task);
        }
        let child = host.subtask(parent, 2);
        let second = host.subtask(parent, 3);
        clients.same(&auth(&["list-tasks"]));
        clients.same(&auth(&["list-tasks", "--quiet", "--method", "sleep"]));
        clients.same(&auth(&["list-tasks", "--mine"]));
        clients.same(&auth(&["list-tasks", "--host", "builder1"]));
        clients.same(&["taskinfo", &parent.to_string()]);
        for task in host.take() {
            host.open(task);
        }
        host.upload(parent, "task.log", "parent log line 1\nline 2\n");
        host.upload(child, "task.log", "child log\n");
        host.upload(child, "result.txt", "the result\n");
        host.close(child);
        host.fail(second, "sleep was interrupted");
        host.close(parent);
        for task in taken.iter().filter(|t| **t != parent) {
            host.close(*task);
        }
        let (parent_s, child_s) = (parent.to_string(), child.to_string());
        clients.same(&["taskinfo", "-r", "-v", &parent_s]);
        clients.same(&["taskinfo", &child_s, &second.to_string()]);
        clients.same(&["watch-task", &parent_s]);
        clients.same(&["watch-task", &second.to_string()]);
        clients.same(&["watch-logs", &parent_s]);
        clients.same(&["watch-logs", "-f", &parent_s]);
        clients.same(&["watch-logs", "--log", "task.log", &child_s]);
        clients.same(&["list-tasks", "--quiet", "--user", "admin"]);
        clients.same(&auth(&["list-tasks", "--all", "--after", "2000-01-01 00:00"]));

        // download-task into a directory per client.
        for args in [
            &["download-task", "--all", "--noprogress", &child_s][..],
            &["download-task", "--logs", &parent_s],
            &["download-task", "--all", "--logs", "--dirpertask", &parent_s],
        ] {
            let ours_dir = tempfile::tempdir().unwrap();
            let theirs_dir = tempfile::tempdir().unwrap();
            let ours = clients.kiln_in(ours_dir.path(), args);
            let theirs = clients.koji.run_in(theirs_dir.path(), args);
            assert_eq!(
                ours.stdout, theirs.stdout,
                "{args:?}\n{}\n{}",
                ours.stderr, theirs.stderr
            );
            assert_eq!(ours.code, theirs.code, "{args:?}");
            let listing = |d: &Path| {
                let mut files: Vec<(String, Vec<u8>)> = walk(d)
                    .into_iter()
                    .map(|p| {
                        (
                            p.strip_prefix(d).unwrap().display().to_string(),
                            std::fs::read(&p).unwrap(),
                        )
                    })
                    .collect();
                files.sort();
                files
            };
            assert_eq!(listing(ours_dir.path()), listing(theirs_dir.path()), "{args:?}");
        }
        let ours_dir = tempfile::tempdir().unwrap();
        let out = clients.kiln_in(
            ours_dir.path(),
            &["download-task", "--all", "--noprogress", &child_s],
        );
        assert_eq!(
            std::fs::read_to_string(ours_dir.path().join("result.noarch.txt")).unwrap(),
            "the result\n",
            "{out:?}"
        );
        clients.same_error(
            &["download-task", "--nowait", &free_a.to_string()],
            &format!("Task {free_a} has not finished yet."),
            1,
        );

        // cancel: a free task each, then one already closed (a fault, printed as a warning).
        clients.kiln(&auth(&["cancel", &free_a.to_string()])).ok();
        clients.koji(&auth(&["cancel", &free_b.to_string()])).ok();
        clients.same(&["taskinfo", &free_a.to_string()]);
        // Nothing left running: the selections find nothing.
        clients.same(&auth(&["watch-task", "--mine"]));
        clients.same(&auth(&["watch-logs", "--mine"]));
        clients.same(&["watch-task", "--method", "sleep", "--arch", "noarch"]);
        clients.same(&["watch-task", "--user", "nobody"]);
        clients.same(&auth(&["list-tasks", "--channel", "nochannel"]));
        clients.same_error(
            &["watch-task", "--mine", "1"],
            "Selection options cannot be combined with a task list",
            2,
        );
        let out = clients.kiln(&["--debug", "taginfo", "nope"]);
        assert_eq!(out.code, 1);
        // Debug logging goes to stderr too; the error is the last line.
        assert_eq!(
            out.stderr.lines().last(),
            Some("GenericError: No such tagInfo: 'nope' (fault code 1000)")
        );
        for args in [
            &["cancel", &parent_s][..],
            &["cancel", "999999", "--justone"],
            &["cancel", "--full", "999998"],
        ] {
            let ours = clients.kiln(&auth(args));
            let theirs = clients.koji(&auth(args));
            assert_eq!(
                ours.code, theirs.code,
                "{args:?}: {} / {}",
                ours.stderr, theirs.stderr
            );
            assert_eq!(ours.stderr.trim(), theirs.stderr.trim(), "{args:?}");
            assert_eq!(ours.stdout, theirs.stdout, "{args:?}");
        }
        assert_eq!(clients.kiln(&auth(&["cancel", "999999"])).code, 1);
        clients.same_error(
            &auth(&["cancel", "notatask"]),
            "please specify only task ids (integer) or builds (n-v-r)",
            2,
        );
        clients.same_error(&["taskinfo", "999999"], "No such task: 999999", 1);
        clients.same_error(&["watch-task", "x"], "task id must be an integer", 2);
    })
    .await;
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// Reads `n` lines of a child's piped stdout; the rest stays readable.
fn first_lines(mut child: std::process::Child, n: usize) -> (std::process::Child, String) {
    use std::io::Read;
    let mut stdout = child.stdout.take().unwrap();
    let mut text = Vec::new();
    let mut byte = [0_u8; 1];
    while text.iter().filter(|b| **b == b'\n').count() < n && stdout.read(&mut byte).unwrap() == 1 {
        text.push(byte[0]);
    }
    child.stdout = Some(stdout);
    (child, String::from_utf8_lossy(&text).into_owned())
}

/// Everything a child prints on stdout until it closes it.
fn rest_of(child: &mut std::process::Child) -> String {
    use std::io::Read;
    let mut text = String::new();
    child.stdout.take().unwrap().read_to_string(&mut text).unwrap();
    text
}

/// Moves a task through free → open → closed, pausing between steps long enough for
/// watchers polling every second to see each state.
fn run_task(host: &Host, task_id: i64, fail: bool) {
    let pause = Duration::from_millis(2500);
    thread::sleep(pause);
    assert!(host.take().contains(&task_id));
    host.open(task_id);
    thread::sleep(pause);
    let child = host.subtask(task_id, 1);
    thread::sleep(pause);
    // Taken, then opened a pause later: both watchers see ASSIGNED (a quick open would show
    // it to whichever happens to poll in between).
    let taken = host.take();
    thread::sleep(pause);
    for task in taken {
        host.open(task);
    }
    host.upload(child, "task.log", "child\n");
    thread::sleep(pause);
    host.close(child);
    thread::sleep(pause);
    if fail {
        host.upload(task_id, "task.log", "what went wrong\n");
        host.fail(task_id, "it broke");
    } else {
        host.close(task_id);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_task_live_and_piped() {
    let hub = TestHub::start().await;
    hub.add_user("admin", "pw", &["admin"]).await;
    let dir = tempfile::tempdir().unwrap();
    let clients = Clients::new(&hub, dir.path());
    let url = hub.url();
    blocking(move || {
        let admin = login(&url, "admin", "pw");
        let (_, session) = add_host(&url, &admin, "builder1", &["noarch"]);
        check_in(&session, &["sleep"], 10);
        let host = Host { session };

        // Piped: kiln and koji watch the same task side by side and print the same lines.
        for fail in [false, true] {
            let task = created_id(&clients.kiln(&auth(&["make-task", "sleep", "1"])).ok());
            let task_s = task.to_string();
            let ours = clients
                .kiln_command(&clients.home, &["watch-task", &task_s])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let koji_path = kiln_tests::koji_cli_path();
            let theirs = Command::new(koji_path)
                .arg("-c")
                .arg(&clients.config)
                .args(["watch-task", &task_s])
                .env("HOME", &clients.home)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            // Both must have seen the task free before it moves (koji starts slowly).
            let (mut ours, ours_head) = first_lines(ours, 2);
            let (mut theirs, theirs_head) = first_lines(theirs, 2);
            run_task(&host, task, fail);
            let ours_rest = rest_of(&mut ours);
            let theirs_rest = rest_of(&mut theirs);
            let ours = ours.wait_with_output().unwrap();
            let theirs = theirs.wait_with_output().unwrap();
            let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
            let ours_text = ours_head + &ours_rest;
            assert_eq!(ours_text, theirs_head + &theirs_rest, "{}", text(&ours.stderr));
            let ours = std::process::Output {
                stdout: ours_text.into_bytes(),
                ..ours
            };
            assert_eq!(ours.status.code(), theirs.status.code());
            assert_eq!(ours.status.code(), Some(i32::from(fail)));
            let stdout = text(&ours.stdout);
            assert!(
                stdout.contains(&format!("{task} sleep (noarch): free -> open (builder1)")),
                "{stdout}"
            );
            if fail {
                assert!(stdout.contains("FAILED: BuildError: it broke"), "{stdout}");
                let log = format!("{task} sleep (noarch): open (builder1) -> FAILED: BuildError: it broke\n  Relevant logs:\n  http://");
                assert!(stdout.contains(&log), "{stdout}");
                assert!(stdout.contains(&format!("/kojifiles/work/tasks/{task}/{task}/task.log\n")), "{stdout}");
            } else {
                assert!(
                    stdout.ends_with(&format!("{task} sleep (noarch) completed successfully\n")),
                    "{stdout}"
                );
            }
        }

        // On a terminal: the live tree (spinners, a progress bar, ✔ for closed tasks).
        let task = created_id(&clients.kiln(&auth(&["make-task", "sleep", "1"])).ok());
        let command = format!(
            "{} -c {} watch-task {task}",
            env!("CARGO_BIN_EXE_kiln"),
            clients.config.display()
        );
        let live = Command::new("script")
            .args(["-q", "-e", "-c", &command, "/dev/null"])
            .env("HOME", &clients.home)
            .env("TERM", "xterm")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        run_task(&host, task, false);
        let live = live.wait_with_output().unwrap();
        let screen = String::from_utf8_lossy(&live.stdout).into_owned();
        assert_eq!(live.status.code(), Some(0), "{screen}");
        assert!(
            screen.contains('\u{1b}'),
            "no terminal control sequences: {screen:?}"
        );
        assert!(
            screen.contains(&format!("{task} sleep (noarch)  open (builder1)")),
            "{screen:?}"
        );
        assert!(screen.contains('✔'), "{screen:?}");
        assert!(screen.contains("2/2 done"), "{screen:?}");
        assert!(
            !screen.contains("Watching tasks"),
            "the tree replaces Koji's lines: {screen:?}"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_hub_is_one_line() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = closed.local_addr().unwrap();
    drop(closed);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("koji.conf");
    std::fs::write(
        &config,
        format!("[koji]\nserver = http://{addr}/kojihub\nmax_retries = 0\nanon_retry = false\n"),
    )
    .unwrap();
    let config_s = config.display().to_string();
    blocking(move || {
        for args in [
            &["list-tags"][..],
            &["taginfo", "x"],
            &["list-hosts"],
            &["watch-task", "1"],
        ] {
            let out = Command::new(env!("CARGO_BIN_EXE_kiln"))
                .args(["-c", &config_s])
                .args(args)
                .env("HOME", dir.path())
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
            assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
            assert!(
                stderr.starts_with(&format!(
                    "Error: Unable to connect to server http://{addr}/kojihub: "
                )),
                "{stderr}"
            );
        }
    })
    .await;
}
