//! Figures for repo regeneration (a benchmark, not a test; nothing is asserted): the time from
//! tagging one more build into a build tag holding N packages to a READY repo containing it,
//! with a real builder running `newRepo` and `createrepo_c`, for N = 10 and N = 1000; and how
//! it splits: the repo loop's reaction (tagging → newRepo task), scheduling, the hub's
//! `host.repoInit` (content query and skeleton), `createrepo_c` itself, and the rest
//! (uploads, `host.repoDone`, task handoffs). The debounce is set to zero, so the figure is
//! the pipeline's latency, not the configured quiet window.
//!
//! Run with `cargo bench -p kiln-tests --bench repo_regen` (`TEST_DATABASE_URL` as for tests).

use std::process::Command;
use std::time::{Duration, Instant};

use common::client::ClientSession;
use common::xmlrpc::{Params, Value};
use hub::config::RepoConfig;
use hub::test_clients::{blocking, login};
use hub::testing::{TestHub, TestHubOptions};
use hub::testing_content::{RpmSpec, insert_build, make_rpms, tag_build, tag_id, user_id};
use kiln_tests::cluster::{Builder, BuilderOptions, assert_clean, eventually, new_marker};

fn s(text: &str) -> Value {
    Value::from(text)
}

fn ts(info: &Value, key: &str) -> f64 {
    match info.get(key) {
        Some(Value::Double(v)) => *v,
        Some(Value::Int(v)) => *v as f64,
        _ => f64::NAN,
    }
}

fn tasks(admin: &ClientSession, method: &str) -> Vec<Value> {
    let list = admin
        .call_kw(
            "listTasks",
            vec![],
            vec![("opts", Value::structure([("method", s(method))]))],
        )
        .unwrap();
    let mut list = list.as_array().unwrap().to_vec();
    list.sort_by_key(|t| t.get("id").and_then(Value::as_i64).unwrap());
    list
}

async fn scenario(n: usize) {
    let hub = TestHub::start_with(TestHubOptions {
        repos: Some(RepoConfig {
            debounce_seconds: 0.0,
            ..RepoConfig::default()
        }),
        ..TestHubOptions::default()
    })
    .await;
    hub.add_user("admin", "pw", &["admin"]).await;
    let url = hub.url();
    let dir = tempfile::tempdir().unwrap();
    let files = dir.path().to_path_buf();
    let names: Vec<String> = (0..=n).map(|i| format!("pkg{i:04}")).collect();
    blocking({
        let url = url.clone();
        let names = names.clone();
        move || {
            let admin = login(&url, "admin", "pw");
            admin
                .call_kw("createTag", vec![s("bench-build")], vec![("arches", s("x86_64"))])
                .unwrap();
            for chunk in names.chunks(200) {
                let calls = chunk
                    .iter()
                    .map(|name| {
                        (
                            "packageListAdd".to_owned(),
                            Params::from_wire(vec![s("bench-build"), s(name), s("admin")]),
                        )
                    })
                    .collect();
                admin.multicall(calls).unwrap();
            }
            admin
                .call("groupListAdd", vec![s("bench-build"), s("build")])
                .unwrap();
            admin
                .call_kw(
                    "addHost",
                    vec![s("builder"), Value::Array(vec![s("x86_64")])],
                    vec![("password", s("hostpw"))],
                )
                .unwrap();
            admin
                .call("addHostToChannel", vec![s("builder"), s("createrepo")])
                .unwrap();
        }
    })
    .await;
    let specs: Vec<RpmSpec> = names.iter().map(|name| RpmSpec::noarch(name, "1", "1")).collect();
    let rpms = blocking({
        let files = files.clone();
        move || make_rpms(&files, &specs)
    })
    .await;
    let admin_id = user_id(&hub.ctx.pool, "admin").await;
    let tag = tag_id(&hub.ctx.pool, "bench-build").await;
    let mut builds = Vec::new();
    for rpm in &rpms {
        builds.push(insert_build(&hub.ctx.pool, &hub.topdir(), admin_id, rpm).await);
    }
    for build_id in &builds[..n] {
        tag_build(&hub.ctx.pool, tag, *build_id, admin_id).await;
    }
    let marker = new_marker();
    let topdir = hub.topdir();
    let (mut builders, admin) = blocking({
        let url = url.clone();
        let files = files.clone();
        let marker = marker.clone();
        let topdir = topdir.clone();
        move || {
            let options = BuilderOptions {
                topdir: Some(topdir),
                ..BuilderOptions::default()
            };
            let builders = vec![Builder::start(
                &url, "builder", "hostpw", &files, &marker, &options,
            )];
            let admin = login(&url, "admin", "pw");
            // The target makes the tag a build tag: its first repo (N packages) is the baseline.
            admin
                .call(
                    "createBuildTarget",
                    vec![s("bench"), s("bench-build"), s("bench-build")],
                )
                .unwrap();
            eventually(Duration::from_secs(300), "the first repo", || {
                let repo = admin.call("getRepo", vec![s("bench-build")]).unwrap();
                (!repo.is_nil()).then_some(())
            });
            (builders, admin)
        }
    })
    .await;
    let started = Instant::now();
    tag_build(&hub.ctx.pool, tag, builds[n], admin_id).await;
    let (repo, total) = blocking(move || {
        let event = admin.call("tagLastChangeEvent", vec![s("bench-build")]).unwrap();
        let repo = eventually(Duration::from_secs(300), "the new repo", || {
            let repo = admin
                .call_kw(
                    "getRepo",
                    vec![s("bench-build")],
                    vec![("min_event", event.clone())],
                )
                .unwrap();
            (!repo.is_nil()).then_some(repo)
        });
        let total = started.elapsed().as_secs_f64();
        (repo, total)
    })
    .await;
    let tagged_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
        - total;
    let url2 = url.clone();
    blocking(move || {
        let admin = login(&url2, "admin", "pw");
        let new_repo = tasks(&admin, "newRepo").last().cloned().unwrap();
        let createrepo = tasks(&admin, "createrepo").last().cloned().unwrap();
        let repo_id = repo.get("id").and_then(Value::as_i64).unwrap();
        let loop_reaction = ts(&new_repo, "create_ts") - tagged_at;
        let pickup = ts(&new_repo, "start_ts") - ts(&new_repo, "create_ts");
        let createrepo_task = ts(&createrepo, "completion_ts") - ts(&createrepo, "start_ts");
        // The hub's part, timed directly: host.repoInit for the same tag as another host.
        let (_, host) = hub::test_clients::add_host(&url2, &admin, "timer", &["x86_64"]);
        let t = Instant::now();
        let init = host.call("host.repoInit", vec![s("bench-build")]).unwrap();
        let repo_init = t.elapsed().as_secs_f64();
        let spare = init.as_array().unwrap()[0].as_i64().unwrap();
        admin.call("repoProblem", vec![Value::Int(spare)]).unwrap();
        // createrepo_c alone, on the same package list.
        let repo_dir = topdir.join(format!("repos/bench-build/{repo_id}"));
        let out = files.join("createrepo-timing");
        std::fs::create_dir_all(&out).unwrap();
        let t = Instant::now();
        let status = Command::new("createrepo_c")
            .arg("--no-database")
            .arg("--quiet")
            .arg("-o")
            .arg(&out)
            .arg("-i")
            .arg(repo_dir.join("x86_64/pkglist"))
            .arg("-g")
            .arg(repo_dir.join("groups/comps.xml"))
            .arg(repo_dir.join("x86_64"))
            .status()
            .unwrap();
        let createrepo_c = t.elapsed().as_secs_f64();
        assert!(status.success());
        let rest = total - loop_reaction - pickup - createrepo_task - repo_init;
        println!(
            "{n:>5} packages: tagBuild -> READY {total:6.3} s = loop {loop_reaction:.3} + pickup {pickup:.3} \
             + hub repoInit {repo_init:.3} + createrepo task {createrepo_task:.3} (createrepo_c alone {createrepo_c:.3}) \
             + rest {rest:.3} (subtask handoff, uploads, repoDone)"
        );
        assert_clean(&admin, &mut builders, &marker);
    })
    .await;
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    for n in [10, 1000] {
        scenario(n).await;
    }
}
