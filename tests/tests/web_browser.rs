//! Acceptance of the web interface in a real headless Chromium: a hub with a real builder runs
//! tasks made by the stock `koji` client; the browser starts at the index and follows links
//! through every page type, failing on any 4xx or 5xx, on markup stored in the database that
//! reaches the page unescaped, and on a page that takes more than a second; it logs in through
//! the form, cancels a running task with its button, watches a log follow the task, saves
//! screenshots of the task tree and of a module's batch timeline, and opens the `Task info:`
//! link the stock `koji build` prints.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::xmlrpc::{Struct, Value};
use hub::test_clients::{blocking, login};
use hub::test_rpms::build_noarch;
use hub::testing::{TestHub, TestHubOptions};
use kiln_tests::cluster::{Builder, BuilderOptions, assert_clean, eventually, new_marker};
use kiln_tests::modules;
use kiln_tests::webdriver::Browser;
use kiln_tests::{KojiCli, Output};

/// Stored where the hub allows free text: run, it would set `window.kilnPwned`.
const MARKUP: &str = "<script>window.kilnPwned=1</script><img src=x onerror=\"window.kilnPwned=1\">";

/// The page types the crawl must reach.
const PAGE_TYPES: &[&str] = &[
    "index",
    "tasks",
    "taskinfo",
    "tasklog",
    "packages",
    "packageinfo",
    "tags",
    "taginfo",
    "buildtargets",
    "builds",
    "buildinfo",
    "modules",
    "moduleinfo",
    "buildtargetinfo",
    "hosts",
    "hostinfo",
    "channelinfo",
    "users",
    "userinfo",
    "search",
    "login",
];

/// At most this many different URLs of one page type are visited (sorting and paging links
/// multiply quickly).
const PER_TYPE: usize = 5;

/// What the browser saw on one page, read from the page itself.
const INSPECT: &str = r#"
const nav = performance.getEntriesByType('navigation')[0] || {};
const hub = (nav.serverTiming || []).find(t => t.name === 'hub');
return {
  status: nav.responseStatus || 0,
  duration: nav.duration || 0,
  hub_ms: hub ? hub.duration : null,
  scripts: document.scripts.length,
  pwned: window.kilnPwned === 1,
  text: document.body ? document.body.innerText : '',
  links: Array.from(document.querySelectorAll('a[href]')).map(a => a.href),
};
"#;

/// The module MBS's own tests submit: three components in two batches.
const TESTMODULE: &str = include_str!("../../common/src/modulemd/fixtures/mbs-testmodule_v2.yaml");

/// POSTs JSON to the MBS API as `admin`; the answer must be a 201.
fn mbs_post(base: &str, path: &str, body: &serde_json::Value) -> serde_json::Value {
    let (status, answer) = modules::mbs_post(&format!("{base}/module-build-service/1/{path}"), body);
    assert_eq!(status, 201, "POST {path}: {answer}");
    answer
}

/// Cancels a module build as `admin`; returns the status.
fn mbs_patch(base: &str, path: &str) -> u16 {
    let (status, _) = modules::mbs_patch(
        &format!("{base}/module-build-service/1/{path}"),
        &serde_json::json!({ "state": "failed" }),
    );
    status
}

/// Imports the platform module and submits the test module from local git repositories;
/// returns the module build's id.
fn submit_module(base: &str, git_dir: &Path) -> i64 {
    mbs_post(
        base,
        "import-module/",
        &serde_json::json!({ "modulemd": modules::platform("f28-build") }),
    );
    for package in ["perl-List-Compare", "perl-Tangerine", "tangerine"] {
        modules::commit_files(&git_dir.join("rpms").join(package), &[("x.spec", package)]);
    }
    let commit = modules::commit_files(
        &git_dir.join("modules/testmodule"),
        &[("testmodule.yaml", TESTMODULE)],
    );
    let scmurl = format!("git+file://{}/modules/testmodule?#{commit}", git_dir.display());
    let answer = mbs_post(
        base,
        "module-builds/",
        &serde_json::json!({ "scmurl": scmurl, "branch": "master" }),
    );
    answer["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("no module id in {answer}"))
}

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
        .lines()
        .find_map(|l| {
            l.strip_prefix("Created task id ")
                .and_then(|id| id.trim().parse().ok())
        })
        .unwrap_or_else(|| panic!("no task id in {:?}", out.stdout))
}

fn page_type(url: &str) -> String {
    let path = url.split(['?', '#']).next().unwrap_or_default();
    let name = path.rsplit("/koji/").next().unwrap_or_default().trim_matches('/');
    if name.is_empty() {
        "index".into()
    } else {
        name.to_owned()
    }
}

fn screenshots_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("web-screenshots")
}

fn kwargs(pairs: Vec<(&str, Value)>) -> Value {
    let mut members: Struct = pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    members.insert("__starstar".into(), Value::Bool(true));
    Value::Struct(members)
}

/// Opens `url` and checks what every page must satisfy; returns the page's text and links.
fn visit(browser: &Browser, url: &str) -> (String, Vec<String>) {
    browser.goto(url);
    let seen = browser.script(INSPECT);
    let status = seen["status"].as_u64().unwrap_or_default();
    let duration = seen["duration"].as_f64().unwrap_or_default();
    assert!(status > 0 && status < 400, "{url} answered {status}");
    assert!(duration < 1000.0, "{url} took {duration:.0} ms in the browser");
    assert_eq!(
        seen["pwned"],
        serde_json::json!(false),
        "stored markup ran on {url}"
    );
    assert_eq!(
        seen["scripts"],
        serde_json::json!(1),
        "a script element other than kiln.js on {url}"
    );
    let text = seen["text"].as_str().unwrap_or_default().to_owned();
    let links = seen["links"]
        .as_array()
        .map(|l| l.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    (text, links)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_walks_every_page_type_from_the_index() {
    let dir = tempfile::tempdir().unwrap();
    let git_dir = dir.path().join("git");
    let mut mbs = hub::mbs::config::MbsConfig::dev();
    mbs.rpms_default_repository = format!("file://{}/rpms/", git_dir.display());
    // The builder here has no topdir for repository tasks, so the repo loop stays off (the
    // target's build tag would otherwise get a newRepo task nobody can run).
    let hub = TestHub::start_with(TestHubOptions {
        mbs: Some(mbs),
        repos: Some(hub::config::RepoConfig {
            enabled: false,
            ..hub::config::RepoConfig::default()
        }),
        ..TestHubOptions::default()
    })
    .await;
    hub.add_user("admin", "pw", &["admin"]).await;
    let koji = koji_conf(&hub, dir.path());
    let url = hub.url();
    let base = format!("http://{}", hub.addr);
    let files = dir.path().to_path_buf();
    blocking(move || {
        let marker = new_marker();
        let admin_cli = |args: &[&str]| {
            let mut all = vec!["--user", "admin", "--password", "pw"];
            all.extend_from_slice(args);
            koji.run(&all)
        };
        admin_cli(&["add-host", "builder1", "x86_64"]).ok();
        admin_cli(&["edit-host", "builder1", "--description", MARKUP]).ok();
        admin_cli(&["call", "editUser", "builder1", "password=hostpw"]).ok();
        admin_cli(&["add-tag", "f44"]).ok();
        admin_cli(&["add-tag", "f44-build", "--parent", "f44", "--arches", "x86_64"]).ok();
        admin_cli(&["add-target", "f44-candidate", "f44-build", "f44"]).ok();
        admin_cli(&["add-pkg", "--owner", "admin", "f44", "bash", "kernel", "hello"]).ok();
        admin_cli(&["add-tag", "f28-build"]).ok();
        // An imported build, tagged.
        let built = build_noarch(&files.join("fixtures"), "hello", "1.0", "1");
        admin_cli(&[
            "import",
            &built.srpm.display().to_string(),
            &built.rpm.display().to_string(),
        ])
        .ok();
        admin_cli(&["call", "tagBuildBypass", "f44", "hello-1.0-1"]).ok();
        // A module build waiting in its first state, with its components in batches.
        let module_id = submit_module(&base, &git_dir);
        let admin = login(&url, "admin", "pw");
        admin
            .call(
                "editTag2",
                vec![
                    Value::from("f44"),
                    kwargs(vec![(
                        "extra",
                        Value::Struct(Struct::from([("note".to_owned(), Value::from(MARKUP))])),
                    )]),
                ],
            )
            .unwrap();
        admin
            .call(
                "addChannel",
                vec![
                    Value::from("web"),
                    kwargs(vec![("description", Value::from(MARKUP))]),
                ],
            )
            .unwrap();
        admin
            .call(
                "makeTask",
                vec![Value::from(MARKUP), Value::Array(vec![Value::from(MARKUP)])],
            )
            .unwrap();
        let mut builders = vec![Builder::start(
            &url,
            "builder1",
            "hostpw",
            &files.join("builder1"),
            &marker,
            &BuilderOptions::default(),
        )];
        // A parent with children, run to the end by the real builder.
        let parent = task_id_from(&admin_cli(&["make-task", "waittest", "2", "1"]).ok());
        koji.run(&["watch-task", &parent.to_string()]).ok();
        // A long task, left running for the log follower and the cancel button.
        let long = task_id_from(&admin_cli(&["make-task", "sleep", "120"]).ok());
        let followed = task_id_from(&admin_cli(&["make-task", "sleep", "120"]).ok());
        for task in [long, followed] {
            eventually(Duration::from_secs(30), "the long tasks to open", || {
                let info = admin.call("getTaskInfo", vec![Value::Int(task)]).unwrap();
                (info.get("state").and_then(Value::as_i64) == Some(1)).then_some(())
            });
        }
        // The markup task is not a method the builder knows; cancel it so the crawl can see
        // a finished one too.
        let markup_task = admin
            .call(
                "listTasks",
                vec![kwargs(vec![(
                    "opts",
                    Value::Struct(Struct::from([("method".to_owned(), Value::from(MARKUP))])),
                )])],
            )
            .unwrap();
        let markup_task = markup_task.as_array().unwrap()[0]
            .get("id")
            .and_then(Value::as_i64)
            .unwrap();
        admin.call("cancelTask", vec![Value::Int(markup_task)]).unwrap();

        let browser = Browser::start();

        // The crawl: breadth first from the index, following every link under /koji/.
        let mut queue = VecDeque::from([format!("{base}/koji/")]);
        let mut seen_urls = BTreeSet::new();
        let mut per_type: BTreeMap<String, usize> = BTreeMap::new();
        let mut markup_shown = 0;
        while let Some(next) = queue.pop_front() {
            let kind = page_type(&next);
            if seen_urls.contains(&next) || per_type.get(&kind).copied().unwrap_or(0) >= PER_TYPE {
                continue;
            }
            seen_urls.insert(next.clone());
            *per_type.entry(kind).or_default() += 1;
            let (text, links) = visit(&browser, &next);
            if text.contains(MARKUP) {
                markup_shown += 1;
            }
            for link in links {
                let link = link.split('#').next().unwrap_or_default().to_owned();
                let followed = link.starts_with(&format!("{base}/koji/"))
                    && !link.contains("/static/")
                    && !link.contains("/getfile");
                if followed && !seen_urls.contains(&link) {
                    queue.push_back(link);
                }
            }
        }
        let missing: Vec<&&str> = PAGE_TYPES
            .iter()
            .filter(|t| !per_type.contains_key(**t))
            .collect();
        assert!(
            missing.is_empty(),
            "page types never reached from the index: {missing:?} (reached {per_type:?})"
        );
        assert!(
            markup_shown >= 3,
            "the stored markup should show as text on several pages, saw it on {markup_shown}"
        );
        println!("crawled {} pages: {per_type:?}", seen_urls.len());

        // The task tree, as a person sees it.
        let (text, _) = visit(&browser, &format!("{base}/koji/taskinfo?taskID={parent}"));
        assert!(text.contains("waittest") && text.contains("closed"), "{text}");
        let children: Vec<i64> = admin
            .call("getTaskChildren", vec![Value::Int(parent)])
            .unwrap()
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|c| c.get("id").and_then(Value::as_i64))
            .collect();
        assert!(!children.is_empty());
        for child in &children {
            assert!(
                text.contains(&child.to_string()),
                "child {child} in the tree: {text}"
            );
        }
        browser.screenshot(&screenshots_dir().join("taskinfo-tree.png"));
        visit(&browser, &format!("{base}/koji/tasks?state=all&view=tree"));
        browser.screenshot(&screenshots_dir().join("tasks-tree.png"));

        // The link the stock `koji build` prints: "Task info: WEBURL/taskinfo?taskID=N".
        // The builder may already have taken it (and will fail it: the repository does not
        // exist); whatever its state, the page shows the task.
        let out = admin_cli(&[
            "build",
            "--nowait",
            "f44-candidate",
            "git+file:///nonexistent/hello.git#0123abc",
        ])
        .ok();
        let link = out
            .stdout
            .lines()
            .find_map(|l| l.strip_prefix("Task info: "))
            .unwrap_or_else(|| panic!("no Task info line in {:?}", out.stdout))
            .trim()
            .to_owned();
        let build_task: i64 = link.rsplit('=').next().unwrap().parse().unwrap();
        assert_eq!(link, format!("{base}/koji/taskinfo?taskID={build_task}"));
        let (text, _) = visit(&browser, &link);
        assert!(
            text.contains(&format!("Information for task {build_task}")),
            "{text}"
        );
        assert!(text.contains("Method\tbuild"), "{text}");
        assert!(
            ["free", "open", "failed", "canceled"]
                .iter()
                .any(|state| text.contains(&format!("State\t{state}"))),
            "{text}"
        );
        admin_cli(&["cancel", &build_task.to_string()]).ok();
        // The module's batches as a timeline.
        let (text, _) = visit(&browser, &format!("{base}/koji/moduleinfo?moduleID={module_id}"));
        for package in ["perl-List-Compare", "perl-Tangerine", "tangerine"] {
            assert!(text.contains(package), "{package} in the timeline: {text}");
        }
        browser.screenshot(&screenshots_dir().join("moduleinfo-timeline.png"));

        // Log in through the form; the log of the running task follows it live.
        browser.goto(&format!(
            "{base}/koji/login?next=/koji/taskinfo%3FtaskID%3D{long}"
        ));
        browser.type_into("input[name=user]", "admin");
        browser.type_into("input[name=password]", "pw");
        browser.click(".login-form button[type=submit]");
        let wanted = format!("{base}/koji/taskinfo?taskID={long}");
        eventually(
            Duration::from_secs(10),
            "the login to land on the task page",
            || (browser.current_url() == wanted).then_some(()),
        );
        let (text, _) = visit(&browser, &format!("{base}/koji/taskinfo?taskID={long}"));
        assert!(
            text.contains("admin") && text.contains("logout"),
            "logged in: {text}"
        );
        // The log of a running task follows it: the viewer's state changes without a reload
        // when the task is canceled from the command line.
        let log_name = eventually(Duration::from_secs(30), "the running task's log", || {
            let output = admin.call("listTaskOutput", vec![Value::Int(followed)]).unwrap();
            output.as_array().and_then(|files| {
                files
                    .iter()
                    .filter_map(Value::as_str)
                    .find(|n| n.ends_with(".log"))
                    .map(str::to_owned)
            })
        });
        visit(
            &browser,
            &format!("{base}/koji/tasklog?taskID={followed}&name={log_name}"),
        );
        assert_eq!(
            browser.script("return document.getElementById('log').dataset.follow !== undefined;"),
            serde_json::json!(true)
        );
        admin_cli(&["cancel", &followed.to_string()]).ok();
        eventually(
            Duration::from_secs(15),
            "the log viewer to see the cancel",
            || {
                let state = browser.script("return document.getElementById('log-state').textContent;");
                (state == serde_json::json!("canceled")).then_some(())
            },
        );
        browser.screenshot(&screenshots_dir().join("tasklog.png"));
        // Cancel with the task page's button.
        visit(&browser, &format!("{base}/koji/taskinfo?taskID={long}"));
        browser.click("form[action=canceltask] button");
        assert_eq!(
            browser.current_url(),
            format!("{base}/koji/taskinfo?taskID={long}")
        );
        let (text, _) = visit(&browser, &format!("{base}/koji/taskinfo?taskID={long}"));
        assert!(text.contains("canceled"), "{text}");
        let state = admin.call("getTaskInfo", vec![Value::Int(long)]).unwrap();
        assert_eq!(state.get("state").and_then(Value::as_i64), Some(3));
        drop(browser);
        // The module (its components are not real packages) is canceled if it still builds.
        let cancel = mbs_patch(&base, &format!("module-builds/{module_id}"));
        assert!(cancel == 200 || cancel == 400, "cancel answered {cancel}");
        eventually(Duration::from_secs(60), "every task to end", || {
            kiln_tests::cluster::unfinished_tasks(&admin)
                .is_empty()
                .then_some(())
        });
        assert_clean(&admin, &mut builders, &marker);
    })
    .await;
}
