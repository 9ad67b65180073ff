//! `kiln module-build-watch` and `kiln module-build --watch` piped, against a real hub: the test
//! moves a submitted module and its components through MBS's states with SQL (standing in for
//! the backend) and checks the line printed for each change, the SOP's closing report and the
//! exit code; then the failed path, `--json` and an unknown id.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use hub::mbs::config::MbsConfig;
use hub::testing::{TestHub, TestHubOptions};
use tokio::sync::mpsc;

const TESTMODULE: &str = include_str!("../../common/src/modulemd/fixtures/mbs-testmodule_v2.yaml");

fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .env("GIT_AUTHOR_DATE", "2023-11-07T10:00:00Z")
        .env("GIT_COMMITTER_DATE", "2023-11-07T10:00:00Z")
        .output()
        .unwrap();
    assert!(output.status.success(), "git {args:?}");
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// A repository at `dir` with one commit on `master` holding `files`.
fn repo(dir: &Path, files: &[(&str, &str)]) -> String {
    std::fs::create_dir_all(dir).unwrap();
    git(dir, &["init", "-q", "-b", "master"]);
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
        git(dir, &["add", name]);
    }
    git(dir, &["commit", "-q", "-m", "init"]);
    git(dir, &["rev-parse", "HEAD"])
}

/// A hub with the platform module imported and testmodule's repositories; the module's SCM URL.
struct Setup {
    hub: TestHub,
    dir: tempfile::TempDir,
    config: PathBuf,
    scmurl: String,
}

fn kiln_command(config: &Path, home: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kiln"));
    command
        .arg("-c")
        .arg(config)
        .args(args)
        .env("HOME", home)
        .env_remove("RUST_LOG");
    command
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

async fn kiln(setup: &Setup, args: &[&str]) -> Run {
    let mut command = kiln_command(&setup.config, setup.dir.path(), args);
    tokio::task::spawn_blocking(move || {
        let output = command.output().unwrap();
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    })
    .await
    .unwrap()
}

async fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let git_dir = dir.path().join("git");
    let mut mbs = MbsConfig::dev();
    mbs.rpms_default_repository = format!("file://{}/rpms/", git_dir.display());
    let hub = TestHub::start_with(TestHubOptions {
        mbs: Some(mbs),
        ..TestHubOptions::default()
    })
    .await;
    hub.add_user("admin", "pw", &["admin"]).await;
    hub.add_user("alice", "pw", &[]).await;
    let url = hub.url();
    hub::test_clients::blocking(move || {
        let admin = hub::test_clients::login(&url, "admin", "pw");
        admin
            .call("createTag", vec![common::xmlrpc::Value::from("f39-build")])
            .unwrap();
    })
    .await;
    let addr = hub.addr;
    let config = dir.path().join("koji.conf");
    std::fs::write(
        &config,
        format!(
            "[koji]\nserver = http://{addr}/kojihub\nweburl = http://{addr}/koji\ntopurl = http://{addr}/kojifiles\nauthtype = password\nmax_retries = 0\n"
        ),
    )
    .unwrap();
    for package in ["perl-List-Compare", "perl-Tangerine", "tangerine"] {
        repo(&git_dir.join("rpms").join(package), &[("x.spec", package)]);
    }
    let document = TESTMODULE.replace("[f28]", "[f39]");
    let commit = repo(
        &git_dir.join("modules/testmodule"),
        &[("testmodule.yaml", &document)],
    );
    let scmurl = format!("git+file://{}/modules/testmodule?#{commit}", git_dir.display());
    let setup = Setup {
        hub,
        dir,
        config,
        scmurl,
    };
    let imported = kiln(
        &setup,
        &[
            "--user",
            "admin",
            "--password",
            "pw",
            "module-import",
            "--tag",
            "f39-build",
            "platform:f39",
        ],
    )
    .await;
    assert_eq!(imported.code, 0, "{}", imported.stderr);
    setup
}

/// A command running in the background, its standard output read line by line.
struct Watching {
    child: Child,
    lines: mpsc::UnboundedReceiver<String>,
}

impl Watching {
    fn start(setup: &Setup, args: &[&str]) -> Watching {
        let mut child = kiln_command(&setup.config, setup.dir.path(), args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (send, lines) = mpsc::unbounded_channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                if send.send(line.unwrap()).is_err() {
                    break;
                }
            }
        });
        Watching { child, lines }
    }

    /// The next lines printed, which must be `expected`.
    async fn expect(&mut self, expected: &[String]) {
        let mut got = Vec::new();
        while got.len() < expected.len() {
            // A guard against a hang, not a speed check.
            match tokio::time::timeout(Duration::from_secs(60), self.lines.recv()).await {
                Ok(Some(line)) => got.push(line),
                _ => break,
            }
        }
        assert_eq!(got, expected);
    }

    /// Waits for the exit; the rest of standard output, standard error and the exit code.
    async fn finish(mut self) -> (Vec<String>, String, i32) {
        let mut child = self.child;
        let (stderr, code) = tokio::task::spawn_blocking(move || {
            let status = child.wait().unwrap();
            let mut stderr = String::new();
            std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
            (stderr, status.code().unwrap_or(-1))
        })
        .await
        .unwrap();
        let mut rest = Vec::new();
        while let Some(line) = self.lines.recv().await {
            rest.push(line);
        }
        (rest, stderr, code)
    }
}

/// Runs SQL in one transaction, as the backend changes one thing at a time.
async fn sql(hub: &TestHub, statements: &str) {
    let client = hub.ctx.pool.get().await.unwrap();
    client
        .batch_execute(&format!("BEGIN; {statements}; COMMIT"))
        .await
        .unwrap();
}

async fn nsvc(hub: &TestHub, module_id: i64) -> String {
    let client = hub.ctx.pool.get().await.unwrap();
    let row = client
        .query_one(
            "SELECT name || ':' || stream || ':' || version || ':' || context FROM module_builds WHERE id = $1",
            &[&module_id],
        )
        .await
        .unwrap();
    row.get(0)
}

fn lines(text: &[&str]) -> Vec<String> {
    text.iter().map(|l| (*l).to_owned()).collect()
}

const INTRO: &str = "Watching module builds (this may be safely interrupted)...";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submit_and_watch_a_module_to_ready() {
    let setup = setup().await;
    let addr = setup.hub.addr;
    let mut watching = Watching::start(
        &setup,
        &[
            "--user",
            "alice",
            "--password",
            "pw",
            "module-build",
            &setup.scmurl,
            "master",
            "--watch",
            "--interval",
            "0.2",
        ],
    );
    watching
        .expect(&lines(&[
            "Submitting the module build...",
            "The build #2 was submitted to the MBS",
            "Build URLs:",
            &format!("http://{addr}/module-build-service/1/module-builds/2"),
            INTRO,
        ]))
        .await;
    let module = format!("#2 {}", nsvc(&setup.hub, 2).await);
    // The same watch on a terminal, beside it.
    let command = format!(
        "{} -c {} module-build-watch --interval 0.2 2",
        env!("CARGO_BIN_EXE_kiln"),
        setup.config.display()
    );
    let live = Command::new("script")
        .args(["-q", "-e", "-c", &command, "/dev/null"])
        .env("HOME", setup.dir.path())
        .env("TERM", "xterm")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    watching
        .expect(&lines(&[
            &format!("{module}: init"),
            "  batch 2: waiting",
            "    perl-List-Compare: waiting",
            "    perl-Tangerine: waiting",
            "  batch 3: waiting",
            "    tangerine: waiting",
        ]))
        .await;

    sql(&setup.hub, "UPDATE module_builds SET state = 1 WHERE id = 2").await;
    watching
        .expect(&lines(&[&format!("{module}: init -> wait")]))
        .await;

    // The wait step: module-build-macros in batch 1, then the module enters build.
    sql(
        &setup.hub,
        "INSERT INTO component_builds (module_id, package, batch, state, task_id) \
         VALUES (2, 'module-build-macros', 1, 0, 100)",
    )
    .await;
    watching
        .expect(&lines(&[
            "  batch 1: building",
            "    module-build-macros (task 100): building",
        ]))
        .await;
    sql(
        &setup.hub,
        "UPDATE module_builds SET state = 2, batch = 1 WHERE id = 2",
    )
    .await;
    watching
        .expect(&lines(&[&format!("{module}: wait -> build (batch 1/3)")]))
        .await;
    sql(
        &setup.hub,
        "UPDATE component_builds SET state = 1, nvr = 'module-build-macros-0.1-1.module_f39+2+abc' \
         WHERE package = 'module-build-macros'",
    )
    .await;
    watching
        .expect(&lines(&[
            "  batch 1: building -> complete",
            "  3 waiting  0 building  1 complete  0 failed",
            "    module-build-macros-0.1-1.module_f39+2+abc (task 100): building -> complete",
            "  3 waiting  0 building  1 complete  0 failed",
        ]))
        .await;

    // Batch 2 builds its two components, batch 3 its last.
    sql(&setup.hub, "UPDATE module_builds SET batch = 2 WHERE id = 2").await;
    watching
        .expect(&lines(&[&format!(
            "{module}: build (batch 1/3) -> build (batch 2/3)"
        )]))
        .await;
    sql(
        &setup.hub,
        "UPDATE component_builds SET state = 0, task_id = 100 + id WHERE batch = 2",
    )
    .await;
    let compare = task_id(&setup.hub, "perl-List-Compare").await;
    let tangerine_lib = task_id(&setup.hub, "perl-Tangerine").await;
    watching
        .expect(&lines(&[
            "  batch 2: waiting -> building",
            &format!("    perl-List-Compare (task {compare}): waiting -> building"),
            &format!("    perl-Tangerine (task {tangerine_lib}): waiting -> building"),
        ]))
        .await;
    sql(
        &setup.hub,
        "UPDATE component_builds SET state = 1, nvr = package || '-1-1.module_f39' WHERE batch = 2",
    )
    .await;
    watching
        .expect(&lines(&[
            "  batch 2: building -> complete",
            "  1 waiting  0 building  3 complete  0 failed",
            &format!("    perl-List-Compare-1-1.module_f39 (task {compare}): building -> complete"),
            "  1 waiting  0 building  3 complete  0 failed",
            &format!("    perl-Tangerine-1-1.module_f39 (task {tangerine_lib}): building -> complete"),
            "  1 waiting  0 building  3 complete  0 failed",
        ]))
        .await;
    sql(&setup.hub, "UPDATE module_builds SET batch = 3 WHERE id = 2").await;
    watching
        .expect(&lines(&[&format!(
            "{module}: build (batch 2/3) -> build (batch 3/3)"
        )]))
        .await;
    sql(
        &setup.hub,
        "UPDATE component_builds SET state = 1, task_id = 300, nvr = 'tangerine-1-1.module_f39' \
         WHERE package = 'tangerine'",
    )
    .await;
    watching
        .expect(&lines(&[
            "  batch 3: waiting -> complete",
            "  0 waiting  0 building  4 complete  0 failed",
            "    tangerine-1-1.module_f39 (task 300): waiting -> complete",
            "  0 waiting  0 building  4 complete  0 failed",
        ]))
        .await;

    // done is not the end for a non-scratch build: ready is.
    sql(&setup.hub, "UPDATE module_builds SET state = 3 WHERE id = 2").await;
    watching
        .expect(&lines(&[&format!("{module}: build (batch 3/3) -> done")]))
        .await;
    sql(&setup.hub, "UPDATE module_builds SET state = 5 WHERE id = 2").await;
    let (rest, stderr, code) = watching.finish().await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        rest,
        lines(&[
            &format!("{module}: done -> ready"),
            "  0 waiting  0 building  4 complete  0 failed",
            "",
            &format!("{module} completed successfully"),
            "Summary:",
            "   4 components in the COMPLETE state",
            "alice's build #2 of testmodule-master is in the \"ready\" state",
        ])
    );
    let live = tokio::task::spawn_blocking(move || live.wait_with_output().unwrap())
        .await
        .unwrap();
    let screen = String::from_utf8_lossy(&live.stdout).into_owned();
    // The last frame and what follows, for messages.
    let tail: String = screen
        .chars()
        .skip(screen.chars().count().saturating_sub(1500))
        .collect();
    assert_eq!(live.status.code(), Some(0), "{tail}");
    assert!(
        screen.contains('\u{1b}'),
        "no terminal control sequences: {tail:?}"
    );
    assert!(!screen.contains(INTRO), "the tree replaces the lines: {tail:?}");
    for shown in [
        format!("{module}  ready  [4/4]"),
        "└─ batch 1  complete  [1/1]".to_owned(),
        "└─ module-build-macros-0.1-1.module_f39+2+abc (task 100)  complete".to_owned(),
        "alice's build #2 of testmodule-master is in the \"ready\" state".to_owned(),
        "4/4 done  0 building  0 failed".to_owned(),
    ] {
        assert!(screen.contains(&shown), "{shown:?} not in {tail:?}");
    }
    assert!(screen.contains('✔'), "{tail:?}");
}

async fn task_id(hub: &TestHub, package: &str) -> i64 {
    let client = hub.ctx.pool.get().await.unwrap();
    let row = client
        .query_one(
            "SELECT task_id FROM component_builds WHERE package = $1",
            &[&package],
        )
        .await
        .unwrap();
    row.get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_component_fails_the_watch() {
    let setup = setup().await;
    let addr = setup.hub.addr;
    let submitted = kiln(
        &setup,
        &[
            "--user",
            "alice",
            "--password",
            "pw",
            "module-build",
            &setup.scmurl,
            "master",
        ],
    )
    .await;
    assert_eq!(submitted.code, 0, "{}", submitted.stderr);
    let module = format!("#2 {}", nsvc(&setup.hub, 2).await);
    sql(
        &setup.hub,
        "UPDATE module_builds SET state = 2, batch = 2 WHERE id = 2; \
         UPDATE component_builds SET state = 0, task_id = 101 WHERE package = 'perl-List-Compare'; \
         UPDATE component_builds SET state = 0, task_id = 102 WHERE package = 'perl-Tangerine'",
    )
    .await;

    let mut watching = Watching::start(&setup, &["module-build-watch", "--interval", "0.2", "2"]);
    watching
        .expect(&lines(&[
            INTRO,
            &format!("{module}: build (batch 2/3)"),
            "  batch 2: building",
            "    perl-List-Compare (task 101): building",
            "    perl-Tangerine (task 102): building",
            "  batch 3: waiting",
            "    tangerine: waiting",
        ]))
        .await;
    sql(
        &setup.hub,
        "UPDATE component_builds SET state = 3, \
         state_reason = 'Failed to build artifact perl-List-Compare in Koji' \
         WHERE package = 'perl-List-Compare'",
    )
    .await;
    watching
        .expect(&lines(&[
            "    perl-List-Compare (task 101): building -> FAILED: Failed to build artifact perl-List-Compare in Koji",
            "  1 waiting  1 building  0 complete  1 failed",
        ]))
        .await;
    // The batch is over once its other component is: the module fails.
    sql(
        &setup.hub,
        "UPDATE component_builds SET state = 1, nvr = 'perl-Tangerine-1-1.module_f39' \
         WHERE package = 'perl-Tangerine'",
    )
    .await;
    watching
        .expect(&lines(&[
            "  batch 2: building -> FAILED: 1 of 2 components failed",
            "  1 waiting  0 building  1 complete  1 failed",
            "    perl-Tangerine-1-1.module_f39 (task 102): building -> complete",
            "  1 waiting  0 building  1 complete  1 failed",
        ]))
        .await;
    sql(
        &setup.hub,
        "UPDATE module_builds SET state = 4, \
         state_reason = 'Component(s) perl-List-Compare failed to build.' WHERE id = 2",
    )
    .await;
    let (rest, stderr, code) = watching.finish().await;
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(stderr, "");
    assert_eq!(
        rest,
        lines(&[
            &format!(
                "{module}: build (batch 2/3) -> FAILED: Component(s) perl-List-Compare failed to build."
            ),
            "  1 waiting  0 building  1 complete  1 failed",
            "",
            &format!("{module} failed"),
            "Failed:",
            &format!("   perl-List-Compare http://{addr}/koji/taskinfo?taskID=101"),
            "Summary:",
            "   1 components in the COMPLETE state",
            "   1 components in the FAILED state",
            "   1 components in the undefined state",
            "alice's build #2 of testmodule-master is in the \"failed\" state",
        ])
    );

    // A finished build: --json prints only its final JSON, and the exit code still says failed.
    let json = kiln(&setup, &["module-build-watch", "--json", "2"]).await;
    assert_eq!(json.code, 1, "{}", json.stderr);
    let builds: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(builds[0]["id"], 2);
    assert_eq!(builds[0]["state_name"], "failed");
    assert_eq!(
        builds[0]["tasks"]["rpms"]["perl-List-Compare"]["state"],
        serde_json::json!(3)
    );

    // Unknown builds: one line, nothing watched.
    let missing = kiln(&setup, &["module-build-watch", "--interval", "0.2", "2", "99"]).await;
    assert_eq!(missing.code, 1);
    assert_eq!(missing.stdout, "");
    assert_eq!(
        missing.stderr,
        "Failed to get information about the module build #99: No such module found.\n"
    );
    let usage = kiln(&setup, &["module-build-watch"]).await;
    assert_eq!(usage.code, 2, "{}", usage.stderr);
}
