//! Repos against a real hub, with test code playing the builder through `host.*`: what
//! `host.repoInit` writes (latest builds through inheritance, blocks, comps), `host.repoDone`,
//! the request API, state changes and their permissions, and the repo loop (automatic
//! requests, coalescing, follow-ups, failed tasks).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::client::ClientSession;
use common::xmlrpc::{Value, encode_fault, encode_response};
use hub::config::RepoConfig;
use hub::test_clients::{add_host, anonymous, blocking, fault, login};
use hub::testing::{TestHub, TestHubOptions};
use hub::testing_content::{RpmSpec, insert_build, make_rpms, tag_build, tag_id, user_id};

const READY: i64 = 1;
const EXPIRED: i64 = 2;
const DELETED: i64 = 3;
const PROBLEM: i64 = 4;

fn quick_repos() -> RepoConfig {
    RepoConfig {
        debounce_seconds: 0.5,
        check_interval_seconds: 0.5,
        ..RepoConfig::default()
    }
}

async fn start(repos: RepoConfig) -> TestHub {
    let hub = TestHub::start_with(TestHubOptions {
        repos: Some(repos),
        ..TestHubOptions::default()
    })
    .await;
    hub.add_user("admin", "pw", &["admin"]).await;
    hub.add_user("bob", "pw", &[]).await;
    hub.add_user("ra", "pw", &["repo"]).await;
    hub
}

fn call(session: &ClientSession, method: &str, args: Vec<Value>) -> Value {
    session.call(method, args).unwrap()
}

fn kw(session: &ClientSession, method: &str, args: Vec<Value>, kwargs: Vec<(&str, Value)>) -> Value {
    session.call_kw(method, args, kwargs).unwrap()
}

fn s(text: &str) -> Value {
    Value::from(text)
}

/// `base` (x86_64, packages a b c, groups build) ← `build` (x86_64, blocks b, adds d),
/// target `t` builds in `build`; `empty` has no arches.
fn make_tags(admin: &ClientSession) {
    kw(admin, "createTag", vec![s("base")], vec![("arches", s("x86_64"))]);
    kw(
        admin,
        "createTag",
        vec![s("build")],
        vec![("parent", s("base")), ("arches", s("x86_64"))],
    );
    call(admin, "createTag", vec![s("empty")]);
    for package in ["a", "b", "c"] {
        call(admin, "packageListAdd", vec![s("base"), s(package), s("admin")]);
    }
    call(admin, "packageListAdd", vec![s("build"), s("d"), s("admin")]);
    call(admin, "packageListBlock", vec![s("build"), s("b")]);
    call(admin, "groupListAdd", vec![s("base"), s("build")]);
    call(admin, "groupPackageListAdd", vec![s("base"), s("build"), s("a")]);
    call(admin, "createBuildTarget", vec![s("t"), s("build"), s("build")]);
}

/// Builds the fixture RPMs and records them: a-1, a-2, b-1, c-1 tagged into `base`, d-1 into
/// `build`. Returns the build ids by N-V-R.
async fn fill(hub: &TestHub, dir: &Path) -> Vec<(String, i64)> {
    let specs = vec![
        RpmSpec::noarch("a", "1", "1"),
        RpmSpec::noarch("a", "2", "1"),
        RpmSpec::noarch("b", "1", "1"),
        RpmSpec::noarch("c", "1", "1"),
        RpmSpec::noarch("d", "1", "1"),
    ];
    let rpms = blocking({
        let dir = dir.to_path_buf();
        move || make_rpms(&dir, &specs)
    })
    .await;
    let admin = user_id(&hub.ctx.pool, "admin").await;
    let base = tag_id(&hub.ctx.pool, "base").await;
    let build = tag_id(&hub.ctx.pool, "build").await;
    let mut builds = Vec::new();
    for rpm in &rpms {
        let build_id = insert_build(&hub.ctx.pool, &hub.topdir(), admin, rpm).await;
        let tag = if rpm.spec.name == "d" { build } else { base };
        tag_build(&hub.ctx.pool, tag, build_id, admin).await;
        builds.push((
            format!("{}-{}-{}", rpm.spec.name, rpm.spec.version, rpm.spec.release),
            build_id,
        ));
    }
    builds
}

/// Plays a builder through a newRepo task: open it, `host.repoInit`, upload a stand-in
/// `repomd.xml` per arch, `host.repoDone`, close. `between` runs after repoInit.
fn play_new_repo(
    host: &ClientSession,
    task_id: i64,
    tag: i64,
    arches: &[&str],
    between: impl FnOnce(),
) -> (i64, i64) {
    let opened = host.call("host.openTask", vec![Value::Int(task_id)]).unwrap();
    assert!(!opened.is_nil(), "task {task_id} could not be opened");
    let init = kw(
        host,
        "host.repoInit",
        vec![Value::Int(tag)],
        vec![("task_id", Value::Int(task_id))],
    );
    let repo_id = init.as_array().unwrap()[0].as_i64().unwrap();
    let event_id = init.as_array().unwrap()[1].as_i64().unwrap();
    between();
    let dir = tempfile::tempdir().unwrap();
    let mut data = Vec::new();
    for arch in arches {
        let local = dir.path().join("repomd.xml");
        std::fs::write(&local, format!("<repomd arch='{arch}'/>")).unwrap();
        let remote = format!("tasks/{}/{task_id}/{arch}", task_id % 10000);
        host.upload_file(&local, &remote, "repomd.xml", 1 << 16).unwrap();
        data.push((
            *arch,
            Value::Array(vec![s(&remote), Value::Array(vec![s("repomd.xml")])]),
        ));
    }
    call(
        host,
        "host.repoDone",
        vec![Value::Int(repo_id), Value::structure(data)],
    );
    let result = Value::Array(vec![Value::Int(repo_id), Value::Int(event_id)]);
    call(
        host,
        "host.closeTask",
        vec![Value::Int(task_id), s(&encode_response(&result))],
    );
    (repo_id, event_id)
}

fn new_repo_tasks(admin: &ClientSession) -> Vec<(i64, i64)> {
    let tasks = kw(
        admin,
        "listTasks",
        vec![],
        vec![("opts", Value::structure([("method", s("newRepo"))]))],
    );
    let mut found: Vec<(i64, i64)> = tasks
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t.get("id").and_then(Value::as_i64).unwrap(),
                t.get("state").and_then(Value::as_i64).unwrap(),
            )
        })
        .collect();
    found.sort_unstable();
    found
}

fn wait_for<T>(limit: Duration, what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn pkglist(topdir: &Path, tag: &str, repo_id: i64, arch: &str) -> Vec<String> {
    let path: PathBuf = topdir.join(format!("repos/{tag}/{repo_id}/{arch}/pkglist"));
    let mut lines: Vec<String> = std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    lines.sort();
    lines
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repo_init_writes_latest_builds_through_inheritance_without_blocked_packages() {
    let hub = start(RepoConfig {
        enabled: false,
        ..RepoConfig::default()
    })
    .await;
    let url = hub.url();
    blocking({
        let url = url.clone();
        move || make_tags(&login(&url, "admin", "pw"))
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    fill(&hub, dir.path()).await;
    let topdir = hub.topdir();
    let build_tag = tag_id(&hub.ctx.pool, "build").await;
    blocking(move || {
        let admin = login(&url, "admin", "pw");
        let (_, host) = add_host(&url, &admin, "builder", &["x86_64"]);
        let task_id = call(&admin, "newRepo", vec![s("build")]).as_i64().unwrap();
        let task = kw(
            &admin,
            "getTaskInfo",
            vec![Value::Int(task_id)],
            vec![("request", Value::Bool(true))],
        );
        assert_eq!(task.get("method"), Some(&s("newRepo")));
        assert_eq!(task.get("priority"), Some(&Value::Int(15)));
        assert_eq!(task.get("request"), Some(&Value::Array(vec![s("build")])));
        let (repo_id, event_id) = play_new_repo(&host, task_id, build_tag, &["x86_64"], || {});
        // a-2 is the latest a; b is blocked in build; c comes from base; d from build.
        assert_eq!(
            pkglist(&topdir, "build", repo_id, "x86_64"),
            vec![
                "toplink/packages/a/2/1/noarch/a-2-1.noarch.rpm",
                "toplink/packages/c/1/1/noarch/c-1-1.noarch.rpm",
                "toplink/packages/d/1/1/noarch/d-1-1.noarch.rpm",
            ]
        );
        let repo_dir = topdir.join(format!("repos/build/{repo_id}"));
        assert_eq!(
            std::fs::read_to_string(repo_dir.join("x86_64/blocklist")).unwrap(),
            "b\n"
        );
        assert!(
            repo_dir
                .join("x86_64/toplink/packages/a/2/1/noarch/a-2-1.noarch.rpm")
                .is_file()
        );
        assert!(repo_dir.join("x86_64/repodata/repomd.xml").is_file());
        let comps = std::fs::read_to_string(repo_dir.join("groups/comps.xml")).unwrap();
        assert!(
            comps.contains("<id>build</id>") && comps.contains(">a</packagereq>"),
            "{comps}"
        );
        assert_eq!(
            std::fs::read_link(topdir.join("repos/build/latest")).unwrap(),
            PathBuf::from(repo_id.to_string())
        );
        let info = call(&admin, "repoInfo", vec![Value::Int(repo_id)]);
        assert_eq!(info.get("state"), Some(&Value::Int(READY)));
        assert_eq!(info.get("create_event"), Some(&Value::Int(event_id)));
        assert_eq!(info.get("tag_name"), Some(&s("build")));
        assert_eq!(info.get("task_id"), Some(&Value::Int(task_id)));
        assert_eq!(info.get("custom_opts"), Some(&Value::structure::<&str>([])));
        let got = call(&admin, "getRepo", vec![s("build")]);
        assert_eq!(got.get("id"), Some(&Value::Int(repo_id)));
        let got = kw(
            &admin,
            "getRepo",
            vec![s("build")],
            vec![("min_event", Value::Int(event_id + 1))],
        );
        assert!(got.is_nil());
        let got = kw(
            &admin,
            "getRepo",
            vec![s("build")],
            vec![("event", Value::Int(event_id - 1))],
        );
        assert!(got.is_nil());
        let got = kw(
            &admin,
            "repo.get",
            vec![Value::Int(build_tag)],
            vec![("min_event", Value::Int(event_id))],
        );
        assert_eq!(got.get("id"), Some(&Value::Int(repo_id)));
        let got = kw(
            &admin,
            "repo.get",
            vec![Value::Int(build_tag)],
            vec![("opts", Value::structure([("src", Value::Bool(true))]))],
        );
        assert!(got.is_nil(), "a default repo does not have src");
        assert!(call(&admin, "getRepo", vec![s("base")]).is_nil());
        assert!(call(&admin, "repoInfo", vec![Value::Int(repo_id + 100)]).is_nil());
        assert_eq!(
            fault(admin.call_kw(
                "repoInfo",
                vec![Value::Int(repo_id + 100)],
                vec![("strict", Value::Bool(true))]
            )),
            (1000, format!("No such repo: {}", repo_id + 100))
        );
        assert_eq!(
            fault(admin.call("getRepo", vec![s("nope")])),
            (1000, "No such tagInfo: 'nope'".into())
        );
        // repoDone again: the repo is no longer INIT.
        let (code, message) = fault(host.call(
            "host.repoDone",
            vec![Value::Int(repo_id), Value::structure::<&str>([])],
        ));
        assert_eq!(code, 1000);
        assert_eq!(message, format!("Repo {repo_id} not in INIT state (got READY)"));
        let active = call(&admin, "getActiveRepos", vec![]);
        assert_eq!(active.as_array().unwrap().len(), 1);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repo_init_and_done_refuse_bad_input() {
    let hub = start(RepoConfig {
        enabled: false,
        ..RepoConfig::default()
    })
    .await;
    let url = hub.url();
    let topdir = hub.topdir();
    blocking(move || {
        let admin = login(&url, "admin", "pw");
        make_tags(&admin);
        let (_, host) = add_host(&url, &admin, "builder", &["x86_64"]);
        assert_eq!(
            fault(host.call("host.repoInit", vec![s("empty")])),
            (1000, "Tag empty has no arches".into())
        );
        assert_eq!(
            fault(host.call("host.repoInit", vec![s("nope")])),
            (1000, "No such tagInfo: 'nope'".into())
        );
        assert_eq!(
            fault(host.call_kw(
                "host.repoInit",
                vec![s("build")],
                vec![("opts", Value::structure([("bogus", Value::Bool(true))]))]
            )),
            (1019, "Invalid repo option: bogus".into())
        );
        assert_eq!(
            fault(admin.call("host.repoInit", vec![s("build")])).0,
            1002,
            "only hosts may call host.*"
        );
        let init = call(&host, "host.repoInit", vec![s("build")]);
        let repo_id = init.as_array().unwrap()[0].as_i64().unwrap();
        let again = call(&host, "host.repoInit", vec![s("build")]);
        assert_ne!(again, init, "without a task, each repoInit makes a repo");
        // A newRepo task that runs again (its host died) resumes the repo it started.
        let task_id = call(&admin, "newRepo", vec![s("build")]).as_i64().unwrap();
        call(&host, "host.openTask", vec![Value::Int(task_id)]);
        let first = kw(
            &host,
            "host.repoInit",
            vec![s("build")],
            vec![("task_id", Value::Int(task_id))],
        );
        let rerun = kw(
            &host,
            "host.repoInit",
            vec![s("build")],
            vec![("task_id", Value::Int(task_id))],
        );
        assert_eq!(first, rerun);
        // Every arch must have its repodata; nothing becomes READY otherwise.
        assert_eq!(
            fault(host.call(
                "host.repoDone",
                vec![Value::Int(repo_id), Value::structure::<&str>([])]
            )),
            (1000, format!("Repo {repo_id} has no repodata for arch x86_64"))
        );
        let bogus = Value::structure([("ppc64le", Value::Array(vec![s("x"), Value::Array(vec![])]))]);
        let data = Value::structure([
            ("x86_64", Value::Array(vec![s("x"), Value::Array(vec![])])),
            ("ppc64le", Value::Array(vec![s("x"), Value::Array(vec![])])),
        ]);
        assert_eq!(
            fault(host.call("host.repoDone", vec![Value::Int(repo_id), data])),
            (1000, format!("Repo {repo_id} has no arch ppc64le"))
        );
        assert!(
            fault(host.call("host.repoDone", vec![Value::Int(repo_id), bogus]))
                .1
                .contains("x86_64")
        );
        let escape = Value::structure([(
            "x86_64",
            Value::Array(vec![s("../../etc"), Value::Array(vec![s("passwd")])]),
        )]);
        assert_eq!(
            fault(host.call("host.repoDone", vec![Value::Int(repo_id), escape])).0,
            1000
        );
        let info = call(&admin, "repoInfo", vec![Value::Int(repo_id)]);
        assert_eq!(info.get("state"), Some(&Value::Int(0)));
        assert!(
            call(&admin, "getRepo", vec![s("build")]).is_nil(),
            "an INIT repo is never used"
        );
        assert!(!topdir.join("repos/build/latest").exists());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_states_and_permissions() {
    let hub = start(RepoConfig {
        enabled: false,
        ..RepoConfig::default()
    })
    .await;
    let url = hub.url();
    let topdir = hub.topdir();
    blocking(move || {
        let admin = login(&url, "admin", "pw");
        let bob = login(&url, "bob", "pw");
        let ra = login(&url, "ra", "pw");
        make_tags(&admin);
        let build_tag = call(&admin, "getTag", vec![s("build")])
            .get("id")
            .and_then(Value::as_i64)
            .unwrap();
        let (_, host) = add_host(&url, &admin, "builder", &["x86_64"]);
        // Requests need a login, a known tag and sane arguments.
        assert_eq!(
            fault(anonymous(&url).call("repo.request", vec![s("build")])).0,
            1004
        );
        assert_eq!(
            fault(bob.call("repo.request", vec![s("nope")])),
            (1000, "No such tagInfo: 'nope'".into())
        );
        let last = call(&bob, "tagLastChangeEvent", vec![Value::Int(build_tag)])
            .as_i64()
            .unwrap();
        assert_eq!(
            fault(bob.call_kw(
                "repo.request",
                vec![s("build")],
                vec![("min_event", Value::Int(last)), ("at_event", Value::Int(last))]
            )),
            (1019, "The min_event and at_event options conflict".into())
        );
        assert_eq!(
            fault(bob.call_kw(
                "repo.request",
                vec![s("build")],
                vec![("priority", Value::Int(-5))]
            ))
            .0,
            1004
        );
        let first = kw(
            &bob,
            "repo.request",
            vec![Value::Int(build_tag)],
            vec![("min_event", Value::Int(last))],
        );
        assert!(first.get("repo").unwrap().is_nil());
        assert_eq!(first.get("duplicate"), Some(&Value::Bool(false)));
        let request = first.get("request").unwrap();
        let request_id = request.get("id").and_then(Value::as_i64).unwrap();
        assert_eq!(request.get("priority"), Some(&Value::Int(20)));
        assert_eq!(request.get("min_event"), Some(&Value::Int(last)));
        assert_eq!(request.get("owner_name"), Some(&s("bob")));
        let again = kw(
            &admin,
            "repo.request",
            vec![s("build")],
            vec![("min_event", s("last"))],
        );
        assert_eq!(again.get("duplicate"), Some(&Value::Bool(true)));
        assert_eq!(
            again.get("request").and_then(|r| r.get("id")),
            Some(&Value::Int(request_id))
        );
        let checked = call(
            &anonymous(&url),
            "repo.checkRequest",
            vec![Value::Int(request_id)],
        );
        assert!(checked.get("repo").unwrap().is_nil());
        assert_eq!(
            fault(bob.call("repo.checkRequest", vec![Value::Int(999)])),
            (1000, "No such request".into())
        );
        let queue = kw(
            &admin,
            "repo.queryQueue",
            vec![],
            vec![(
                "clauses",
                Value::Array(vec![Value::Array(vec![
                    s("tag_id"),
                    s("="),
                    Value::Int(build_tag),
                ])]),
            )],
        );
        assert_eq!(queue.as_array().unwrap().len(), 1);
        // A repo made meanwhile fulfils the request.
        let task_id = call(&admin, "newRepo", vec![s("build")]).as_i64().unwrap();
        let (repo_id, event_id) = play_new_repo(&host, task_id, build_tag, &["x86_64"], || {});
        let checked = call(&bob, "repo.checkRequest", vec![Value::Int(request_id)]);
        assert_eq!(
            checked.get("repo").and_then(|r| r.get("id")),
            Some(&Value::Int(repo_id))
        );
        assert_eq!(
            checked.get("request").and_then(|r| r.get("active")),
            Some(&Value::Bool(false))
        );
        // A request an existing repo satisfies gets the repo at once.
        let answer = kw(
            &bob,
            "repo.request",
            vec![s("build")],
            vec![("min_event", Value::Int(event_id))],
        );
        assert_eq!(
            answer.get("repo").and_then(|r| r.get("id")),
            Some(&Value::Int(repo_id))
        );
        assert!(answer.get("request").unwrap().is_nil());
        let rows = kw(
            &bob,
            "repo.query",
            vec![Value::Array(vec![Value::Array(vec![
                s("tag_id"),
                s("="),
                Value::Int(build_tag),
            ])])],
            vec![("fields", Value::Array(vec![s("id"), s("state")]))],
        );
        assert_eq!(
            rows,
            Value::Array(vec![Value::structure([
                ("id", Value::Int(repo_id)),
                ("state", Value::Int(READY))
            ])])
        );
        // State changes need the repo permission and only go forward.
        assert_eq!(fault(bob.call("repoExpire", vec![Value::Int(repo_id)])).0, 1004);
        assert_eq!(fault(bob.call("newRepo", vec![s("build")])).0, 1004);
        call(&ra, "repoExpire", vec![Value::Int(repo_id)]);
        assert_eq!(
            call(&bob, "repoInfo", vec![Value::Int(repo_id)]).get("state"),
            Some(&Value::Int(EXPIRED))
        );
        assert!(call(&bob, "getRepo", vec![s("build")]).is_nil());
        call(&ra, "repoProblem", vec![Value::Int(repo_id)]);
        assert_eq!(
            fault(ra.call("repoExpire", vec![Value::Int(repo_id)])),
            (1000, "Invalid repo state transition 4->2".into())
        );
        assert_eq!(
            call(&bob, "repoInfo", vec![Value::Int(repo_id)]).get("state"),
            Some(&Value::Int(PROBLEM))
        );
        assert_eq!(call(&ra, "repoDelete", vec![Value::Int(repo_id)]), Value::Int(0));
        assert_eq!(
            call(&bob, "repoInfo", vec![Value::Int(repo_id)]).get("state"),
            Some(&Value::Int(DELETED))
        );
        assert!(!topdir.join(format!("repos/build/{repo_id}")).exists());
        assert!(
            call(&bob, "getActiveRepos", vec![])
                .as_array()
                .unwrap()
                .is_empty()
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_50_taggings_makes_at_most_two_regenerations_and_a_late_change_one_follow_up() {
    let hub = start(quick_repos()).await;
    let url = hub.url();
    blocking({
        let url = url.clone();
        move || make_tags(&login(&url, "admin", "pw"))
    })
    .await;
    let specs: Vec<RpmSpec> = (0..56)
        .map(|n| RpmSpec::noarch(&format!("p{n}"), "1", "1"))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let rpms = blocking({
        let dir = dir.path().to_path_buf();
        move || make_rpms(&dir, &specs)
    })
    .await;
    let admin_id = user_id(&hub.ctx.pool, "admin").await;
    let build_tag = tag_id(&hub.ctx.pool, "build").await;
    let mut build_ids = Vec::new();
    for rpm in &rpms {
        build_ids.push(insert_build(&hub.ctx.pool, &hub.topdir(), admin_id, rpm).await);
    }
    blocking({
        let url = url.clone();
        move || {
            let admin = login(&url, "admin", "pw");
            for n in 0..56 {
                call(
                    &admin,
                    "packageListAdd",
                    vec![s("build"), s(&format!("p{n}")), s("admin")],
                );
            }
        }
    })
    .await;
    // The target's build tag already asks for a first repo; let that settle first.
    let (_, host) = blocking({
        let url = url.clone();
        move || {
            let admin = login(&url, "admin", "pw");
            add_host(&url, &admin, "builder", &["x86_64"])
        }
    })
    .await;
    let host = std::sync::Arc::new(host);
    blocking({
        let url = url.clone();
        let host = host.clone();
        move || {
            let admin = login(&url, "admin", "pw");
            let task = wait_for(Duration::from_secs(20), "the first newRepo task", || {
                new_repo_tasks(&admin).first().copied()
            });
            play_new_repo(&host, task.0, build_tag, &["x86_64"], || {});
        }
    })
    .await;
    // The burst: 50 taggings in quick succession.
    for build_id in &build_ids[..50] {
        tag_build(&hub.ctx.pool, build_tag, *build_id, admin_id).await;
    }
    let topdir = hub.topdir();
    let late: Vec<i64> = build_ids[50..].to_vec();
    let pool = hub.ctx.pool.clone();
    let handle = tokio::runtime::Handle::current();
    blocking({
        let url = url.clone();
        let host = host.clone();
        move || {
            let admin = login(&url, "admin", "pw");
            let task = wait_for(Duration::from_secs(20), "the burst's newRepo task", || {
                new_repo_tasks(&admin).get(1).copied()
            });
            // Tagging more after repoInit took its snapshot makes the repo stale at once.
            let (repo_id, _) = play_new_repo(&host, task.0, build_tag, &["x86_64"], || {
                for build_id in &late {
                    handle.block_on(tag_build(&pool, build_tag, *build_id, admin_id));
                }
            });
            assert_eq!(pkglist(&topdir, "build", repo_id, "x86_64").len(), 50);
            std::thread::sleep(Duration::from_secs(3));
            let tasks = new_repo_tasks(&admin);
            assert_eq!(tasks.len(), 3, "one task for the burst, one follow-up: {tasks:?}");
            let (follow_up, _) = play_new_repo(&host, tasks[2].0, build_tag, &["x86_64"], || {});
            assert_eq!(pkglist(&topdir, "build", follow_up, "x86_64").len(), 56);
            std::thread::sleep(Duration::from_secs(2));
            assert_eq!(
                new_repo_tasks(&admin).len(),
                3,
                "nothing changed since: no more tasks"
            );
            // The older repos expired; the newest one is current.
            let older = call(&admin, "repoInfo", vec![Value::Int(repo_id)]);
            assert_eq!(older.get("state"), Some(&Value::Int(EXPIRED)));
            assert!(older.get("end_event").and_then(Value::as_i64).is_some());
            let current = call(&admin, "getRepo", vec![s("build")]);
            assert_eq!(current.get("id"), Some(&Value::Int(follow_up)));
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_regeneration_leaves_a_problem_repo_and_is_retried() {
    let hub = start(quick_repos()).await;
    let url = hub.url();
    let build_tag = {
        let url = url.clone();
        blocking(move || {
            let admin = login(&url, "admin", "pw");
            make_tags(&admin);
            call(&admin, "getTag", vec![s("build")])
                .get("id")
                .and_then(Value::as_i64)
                .unwrap()
        })
        .await
    };
    blocking(move || {
        let admin = login(&url, "admin", "pw");
        let bob = login(&url, "bob", "pw");
        let (_, host) = add_host(&url, &admin, "builder", &["x86_64"]);
        let request = kw(
            &bob,
            "repo.request",
            vec![s("build")],
            vec![("min_event", s("last"))],
        );
        let request_id = request
            .get("request")
            .and_then(|r| r.get("id"))
            .and_then(Value::as_i64)
            .unwrap();
        let first = wait_for(Duration::from_secs(20), "a newRepo task", || {
            new_repo_tasks(&admin).first().copied()
        });
        // The builder initializes the repo, then fails (say createrepo failed on one arch).
        call(&host, "host.openTask", vec![Value::Int(first.0)]);
        let init = kw(
            &host,
            "host.repoInit",
            vec![Value::Int(build_tag)],
            vec![("task_id", Value::Int(first.0))],
        );
        let broken = init.as_array().unwrap()[0].as_i64().unwrap();
        let failure = encode_fault(1000, "createrepo failed on x86_64");
        call(&host, "host.failTask", vec![Value::Int(first.0), s(&failure)]);
        let retry = wait_for(Duration::from_secs(20), "a retry", || {
            new_repo_tasks(&admin).get(1).copied()
        });
        wait_for(Duration::from_secs(10), "the PROBLEM state", || {
            let info = call(&admin, "repoInfo", vec![Value::Int(broken)]);
            (info.get("state") == Some(&Value::Int(PROBLEM))).then_some(())
        });
        assert!(call(&admin, "getRepo", vec![s("build")]).is_nil());
        let checked = call(&bob, "repo.checkRequest", vec![Value::Int(request_id)]);
        assert_eq!(
            checked.get("request").and_then(|r| r.get("tries")),
            Some(&Value::Int(2))
        );
        assert_eq!(
            checked.get("task").and_then(|t| t.get("id")),
            Some(&Value::Int(retry.0))
        );
        let (repo_id, _) = play_new_repo(&host, retry.0, build_tag, &["x86_64"], || {});
        let checked = call(&bob, "repo.checkRequest", vec![Value::Int(request_id)]);
        assert_eq!(
            checked.get("repo").and_then(|r| r.get("id")),
            Some(&Value::Int(repo_id))
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn old_repos_are_deleted_except_the_newest_and_those_a_buildroot_uses() {
    let hub = start(RepoConfig {
        keep_newest: 1,
        delete_after_seconds: 0.0,
        ..quick_repos()
    })
    .await;
    let url = hub.url();
    let (host_id, build_tag) = blocking({
        let url = url.clone();
        move || {
            let admin = login(&url, "admin", "pw");
            make_tags(&admin);
            let host_id = kw(
                &admin,
                "addHost",
                vec![s("builder"), Value::Array(vec![s("x86_64")])],
                vec![("password", s("hostpw"))],
            )
            .as_i64()
            .unwrap();
            let build_tag = call(&admin, "getTag", vec![s("build")])
                .get("id")
                .and_then(Value::as_i64)
                .unwrap();
            (host_id, build_tag)
        }
    })
    .await;
    let host = blocking({
        let url = url.clone();
        move || {
            let host = login(&url, "builder", "hostpw");
            host.exclusive(false).unwrap();
            host
        }
    })
    .await;
    let host = std::sync::Arc::new(host);
    // Three repos in a row, through newRepo tasks the test plays; a buildroot uses the first.
    let mut made = Vec::new();
    for n in 0..3 {
        let host = host.clone();
        let url = url.clone();
        made.push(
            blocking(move || {
                let admin = login(&url, "admin", "pw");
                let task_id = call(&admin, "newRepo", vec![s("build")]).as_i64().unwrap();
                (
                    task_id,
                    play_new_repo(&host, task_id, build_tag, &["x86_64"], || {}).0,
                )
            })
            .await,
        );
        if n == 0 {
            hub::testing_content::insert_buildroot(&hub.ctx.pool, host_id, made[0].1, made[0].0).await;
        }
    }
    let topdir = hub.topdir();
    blocking(move || {
        let admin = login(&url, "admin", "pw");
        let state = |repo_id: i64| {
            call(&admin, "repoInfo", vec![Value::Int(repo_id)])
                .get("state")
                .and_then(Value::as_i64)
                .unwrap()
        };
        let middle = topdir.join(format!("repos/build/{}", made[1].1));
        wait_for(Duration::from_secs(10), "the middle repo deleted", || {
            (state(made[1].1) == DELETED && !middle.exists()).then_some(())
        });
        assert_eq!(state(made[0].1), EXPIRED, "a buildroot uses it");
        assert_eq!(state(made[2].1), READY);
        assert!(topdir.join(format!("repos/build/{}", made[0].1)).exists());
        assert_eq!(
            call(&admin, "repoDelete", vec![Value::Int(made[0].1)]),
            Value::Int(1)
        );
        let refs = call(&admin, "repo.references", vec![Value::Int(made[0].1)]);
        assert_eq!(refs.as_array().unwrap().len(), 1);
    })
    .await;
}
