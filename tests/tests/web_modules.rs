//! The web interface watching a real module build in headless Chromium: while the module
//! builds, its page refreshes itself and shows the running batch; once it is ready the
//! timeline shows every component with its task, NVR and times, and the links lead to the
//! component's task and build pages (every page answering below 400, within a second).

use std::path::PathBuf;
use std::time::Duration;

use common::xmlrpc::Value;
use kiln_tests::cluster::eventually;
use kiln_tests::modules::{ClusterOptions, modulemd, noarch_spec, with_cluster};
use kiln_tests::webdriver::Browser;

/// What the browser saw on a page.
const INSPECT: &str = r#"
const nav = performance.getEntriesByType('navigation')[0] || {};
return {
  status: nav.responseStatus || 0,
  duration: nav.duration || 0,
  refresh: document.body ? (document.body.dataset.refresh || "") : "",
  text: document.body ? document.body.innerText : '',
  links: Array.from(document.querySelectorAll('a[href]')).map(a => a.href),
};
"#;

/// Visits a page; returns its text, its links and its refresh interval.
fn visit(browser: &Browser, url: &str) -> (String, Vec<String>, String) {
    browser.goto(url);
    let seen = browser.script(INSPECT);
    let status = seen["status"].as_u64().unwrap_or_default();
    let duration = seen["duration"].as_f64().unwrap_or_default();
    assert!(status > 0 && status < 400, "{url} answered {status}");
    assert!(duration < 1000.0, "{url} took {duration:.0} ms in the browser");
    let links = seen["links"]
        .as_array()
        .map(|l| l.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    (
        seen["text"].as_str().unwrap_or_default().to_owned(),
        links,
        seen["refresh"].as_str().unwrap_or_default().to_owned(),
    )
}

fn screenshots_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("web-screenshots")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_follows_a_module_build_to_ready() {
    with_cluster(ClusterOptions::default(), |cluster| {
        cluster.component("early", &noarch_spec("early", "", "", ""));
        cluster.component("late", &noarch_spec("late", "", "sleep 8", ""));
        let components = [("early", 0), ("late", 10)];
        let module_id = cluster.submit(&cluster.module_repo("webmod", &modulemd(&components)));
        let base = cluster.url.trim_end_matches("/kojihub").to_owned();
        let page = format!("{base}/koji/moduleinfo?moduleID={module_id}");
        let browser = Browser::start();

        // While the last batch builds, the page refreshes itself and shows it running.
        eventually(Duration::from_secs(600), "the last batch to run", || {
            let module = cluster.module(module_id);
            assert_ne!(module["state_name"], "failed", "{module}");
            (module["batch"].as_i64() == Some(3)).then_some(())
        });
        let (text, _, refresh) = visit(&browser, &page);
        assert!(text.contains("build"), "{text}");
        assert!(
            !refresh.is_empty() && refresh != "0",
            "a building module's page must refresh itself"
        );
        std::fs::create_dir_all(screenshots_dir()).unwrap();
        browser.screenshot(&screenshots_dir().join("moduleinfo-building.png"));

        let module = cluster.wait_state(module_id, &["ready"], Duration::from_secs(600));
        let (text, links, refresh) = visit(&browser, &page);
        assert!(
            refresh.is_empty() || refresh == "0",
            "a ready module's page stops refreshing"
        );
        assert!(text.contains("ready"), "{text}");
        let rpms = module["tasks"]["rpms"].as_object().unwrap();
        for (package, info) in rpms {
            assert!(text.contains(package.as_str()), "{package} on the page: {text}");
            let nvr = info["nvr"].as_str().unwrap();
            assert!(text.contains(nvr), "{nvr} on the page: {text}");
            let task = info["task_id"].as_i64().unwrap();
            let link = format!("{base}/koji/taskinfo?taskID={task}");
            assert!(links.contains(&link), "{link} among {links:?}");
        }
        browser.screenshot(&screenshots_dir().join("moduleinfo-ready.png"));

        // A component's task page, and from it the build it made.
        let late_task = rpms["late"]["task_id"].as_i64().unwrap();
        let (text, links, _) = visit(&browser, &format!("{base}/koji/taskinfo?taskID={late_task}"));
        assert!(text.contains("Method\tbuild"), "{text}");
        let build = cluster
            .admin
            .call(
                "getBuild",
                vec![Value::from(rpms["late"]["nvr"].as_str().unwrap())],
            )
            .unwrap();
        let build_id = build.get("id").and_then(Value::as_i64).unwrap();
        let build_link = format!("{base}/koji/buildinfo?buildID={build_id}");
        assert!(links.contains(&build_link), "{build_link} among {links:?}");
        let (text, _, _) = visit(&browser, &build_link);
        assert!(text.contains(rpms["late"]["nvr"].as_str().unwrap()), "{text}");
        assert!(
            text.contains(module["koji_tag"].as_str().unwrap()),
            "the build's tags: {text}"
        );

        // The module list shows it ready.
        let (text, _, _) = visit(&browser, &format!("{base}/koji/modules"));
        assert!(text.contains("webmod"), "{text}");
        drop(browser);
    })
    .await;
}
