//! Figures for the Module Build Service frontend: how long validating the largest modulemd
//! fixture takes, and how many submissions per second an in-process hub records (each one reads
//! the module from git and resolves three component refs with `git ls-remote`).
//!
//! Run: `TEST_DATABASE_URL=… cargo run --release -p hub --example mbs_figures [SUBMISSIONS]`.

#![expect(
    clippy::unwrap_used,
    clippy::print_stdout,
    reason = "a measuring program, not library code"
)]

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use base64::Engine;
use common::modulemd::mbs::load_modulemd;
use common::modulemd::{ParseMode, parse_stream};
use hub::mbs::config::MbsConfig;
use hub::testing::{TestHub, TestHubOptions};
use serde_json::json;

const SPEC: &str = include_str!("../../common/src/modulemd/fixtures/spec-modulemd_stream_v2.yaml");
const TESTMODULE: &str = include_str!("../../common/src/modulemd/fixtures/mbs-testmodule_v2.yaml");

fn git(dir: &Path, date: &str, args: &[&str]) -> String {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "Bench")
        .env("GIT_AUTHOR_EMAIL", "bench@example.com")
        .env("GIT_COMMITTER_NAME", "Bench")
        .env("GIT_COMMITTER_EMAIL", "bench@example.com")
        .env("GIT_AUTHOR_DATE", date)
        .env("GIT_COMMITTER_DATE", date)
        .output()
        .unwrap();
    assert!(output.status.success(), "git {args:?}");
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// How a request authenticates: HTTP Basic (an argon2 check per request) or Koji session
/// headers.
#[derive(Clone)]
enum Auth {
    Basic(String),
    Session(i64, String),
}

fn post(url: &str, auth: &Auth, body: &serde_json::Value) -> u16 {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent();
    let request = match auth {
        Auth::Basic(user) => {
            let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:pw"));
            agent.post(url).header("Authorization", format!("Basic {token}"))
        }
        Auth::Session(id, key) => agent
            .post(url)
            .header("Koji-Session-Id", id.to_string())
            .header("Koji-Session-Key", key.as_str()),
    };
    request
        .send(body.to_string().as_bytes())
        .unwrap()
        .status()
        .as_u16()
}

fn validation_figure() {
    let rounds = 2000;
    let started = Instant::now();
    for _ in 0..rounds {
        let stream = parse_stream(SPEC, ParseMode::Lenient).unwrap();
        stream.validate().unwrap();
    }
    let per_document = started.elapsed() / rounds;
    let started = Instant::now();
    for _ in 0..rounds {
        load_modulemd(SPEC, Some("spec.yaml")).unwrap();
    }
    let loaded = started.elapsed() / rounds;
    println!(
        "validation of spec-modulemd_stream_v2.yaml ({} bytes): parse+validate {per_document:?}, MBS load {loaded:?} per document ({rounds} rounds)",
        SPEC.len()
    );
}

#[tokio::main]
async fn main() {
    validation_figure();
    let submissions: usize = std::env::args().nth(1).and_then(|n| n.parse().ok()).unwrap_or(40);
    let git_dir = tempfile::tempdir().unwrap();
    let rpms = git_dir.path().join("rpms");
    for package in ["perl-List-Compare", "perl-Tangerine", "tangerine"] {
        let dir = rpms.join(package);
        std::fs::create_dir_all(&dir).unwrap();
        git(&dir, "2020-01-01T00:00:00Z", &["init", "-q", "-b", "master"]);
        git(
            &dir,
            "2020-01-01T00:00:00Z",
            &["commit", "-q", "--allow-empty", "-m", "x"],
        );
    }
    let module_dir = git_dir.path().join("modules/testmodule");
    std::fs::create_dir_all(&module_dir).unwrap();
    std::fs::write(module_dir.join("testmodule.yaml"), TESTMODULE).unwrap();
    git(
        &module_dir,
        "2020-01-01T00:00:00Z",
        &["init", "-q", "-b", "master"],
    );
    git(&module_dir, "2020-01-01T00:00:00Z", &["add", "testmodule.yaml"]);
    let mut commits = Vec::new();
    for n in 0..submissions {
        let date = format!("2020-01-01T00:{:02}:{:02}Z", n / 60, n % 60);
        git(&module_dir, &date, &["commit", "-q", "--allow-empty", "-m", "x"]);
        commits.push(git(&module_dir, &date, &["rev-parse", "HEAD"]));
    }

    let mut mbs = MbsConfig::dev();
    mbs.rpms_default_repository = format!("file://{}/", rpms.display());
    let hub = TestHub::start_with(TestHubOptions {
        mbs: Some(mbs),
        ..TestHubOptions::default()
    })
    .await;
    hub.add_user("admin", "pw", &["admin"]).await;
    let url = hub.url();
    let session = tokio::task::spawn_blocking(move || {
        let admin = hub::test_clients::login(&url, "admin", "pw");
        admin
            .call("createTag", vec![common::xmlrpc::Value::from("f28-build")])
            .unwrap();
        admin.credentials().unwrap()
    })
    .await
    .unwrap();
    let api = format!("http://{}/module-build-service/1/", hub.addr);
    let platform = "document: modulemd\nversion: 2\ndata:\n  name: platform\n  stream: f28\n  version: 1\n  summary: p\n  description: p\n  license:\n    module: [MIT]\n  xmd:\n    mbs:\n      koji_tag: f28-build\n";
    let status = tokio::task::spawn_blocking({
        let url = format!("{api}import-module/");
        move || {
            post(
                &url,
                &Auth::Basic("admin".into()),
                &json!({ "modulemd": platform }),
            )
        }
    })
    .await
    .unwrap();
    assert_eq!(status, 201);

    let session = Auth::Session(session.0, session.1);
    let runs = [
        (1_usize, Auth::Basic("admin".into()), "HTTP Basic"),
        (1, session.clone(), "session headers"),
        (4, session, "session headers"),
    ];
    for (clients, auth, how) in runs {
        let chunk: Vec<String> = commits.drain(..submissions / 3).collect();
        let count = chunk.len();
        let started = Instant::now();
        let mut workers = Vec::new();
        for part in 0..clients {
            let mine: Vec<String> = chunk.iter().skip(part).step_by(clients).cloned().collect();
            let url = format!("{api}module-builds/");
            let module_dir = module_dir.clone();
            let auth = auth.clone();
            workers.push(tokio::task::spawn_blocking(move || {
                for commit in mine {
                    let body = json!({
                        "scmurl": format!("file://{}?#{commit}", module_dir.display()),
                        "branch": "master",
                    });
                    assert_eq!(post(&url, &auth, &body), 201);
                }
            }));
        }
        for worker in workers {
            worker.await.unwrap();
        }
        let seconds = started.elapsed().as_secs_f64();
        #[expect(clippy::cast_precision_loss, reason = "small counts")]
        let rate = count as f64 / seconds;
        println!("submissions: {count} with {clients} client(s), {how}, in {seconds:.2} s = {rate:.1}/s");
    }
    hub.shutdown().await;
}
