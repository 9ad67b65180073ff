//! Module builds end to end (issue 8's acceptance): a module submitted over MBS's REST API is
//! built by its `moduleBuild` parent task on real builders, batch by batch, with real
//! `rpmbuild` and `createrepo_c`, to `ready`; the throttle across modules; a failing component
//! and the resumed build; cancel; a killed builder and a restarted hub.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::xmlrpc::Value;
use kiln_tests::cluster::{eventually, unfinished_tasks};
use kiln_tests::modules::{
    ClusterOptions, ModuleCluster, mbs_get, mbs_patch, modulemd, noarch_spec, with_cluster,
};

const DEVEL: &str = "%package devel\nSummary: headers\n\n%description devel\nHeaders.\n\n";

/// The eight components of the acceptance module, in three buildorder levels: `foo-tool`
/// (level 2) needs `libfoo-devel` (level 1), `foo-app` (level 3) needs `foo-tool`.
fn eight_components(cluster: &ModuleCluster) -> Vec<(&'static str, i64)> {
    cluster.component("libfoo", &noarch_spec("libfoo", "", "", DEVEL));
    cluster.component("alpha", &noarch_spec("alpha", "", "", ""));
    cluster.component("beta", &noarch_spec("beta", "", "", ""));
    cluster.component(
        "foo-tool",
        &noarch_spec(
            "foo-tool",
            "BuildRequires: libfoo-devel",
            "test -f /usr/include/libfoo.h",
            "",
        ),
    );
    cluster.component("gamma", &noarch_spec("gamma", "", "", ""));
    cluster.component("delta", &noarch_spec("delta", "", "", ""));
    cluster.component(
        "foo-app",
        &noarch_spec(
            "foo-app",
            "BuildRequires: foo-tool",
            "test -f /usr/share/foo-tool/foo-tool.txt",
            "",
        ),
    );
    cluster.component("epsilon", &noarch_spec("epsilon", "", "", ""));
    vec![
        ("libfoo", 0),
        ("alpha", 0),
        ("beta", 0),
        ("foo-tool", 10),
        ("gamma", 10),
        ("delta", 10),
        ("foo-app", 20),
        ("epsilon", 20),
    ]
}

fn task_info(cluster: &ModuleCluster, task_id: i64) -> Value {
    cluster
        .admin
        .call("getTaskInfo", vec![Value::Int(task_id)])
        .unwrap()
}

fn number(task: &Value, key: &str) -> f64 {
    match task.get(key) {
        Some(Value::Double(d)) => *d,
        Some(Value::Int(n)) => *n as f64,
        _ => f64::NAN,
    }
}

/// `(start, end)` of each component's build task, by batch.
fn batch_spans(cluster: &ModuleCluster, module_id: i64) -> BTreeMap<i64, Vec<(f64, f64)>> {
    let mut spans: BTreeMap<i64, Vec<(f64, f64)>> = BTreeMap::new();
    for component in cluster.components(module_id) {
        let task_id = component["task_id"].as_i64().unwrap();
        let task = task_info(cluster, task_id);
        spans
            .entry(component["batch"].as_i64().unwrap())
            .or_default()
            .push((number(&task, "start_ts"), number(&task, "completion_ts")));
    }
    spans
}

fn rpm_query(path: &Path, format: &str) -> String {
    let output = Command::new("rpm")
        .args(["-qp", "--nosignature", "--qf", format])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_module_of_eight_packages_in_three_levels_builds_to_ready() {
    with_cluster(ClusterOptions::default(), |cluster| {
        let components = eight_components(cluster);
        let scmurl = cluster.module_repo("testmodule", &modulemd(&components));
        let module_id = cluster.submit(&scmurl);
        let module = cluster.wait_state(module_id, &["ready"], Duration::from_secs(900));
        let tag = module["koji_tag"].as_str().unwrap().to_owned();
        let nsvc = format!(
            "{}:{}:{}:{}",
            module["name"].as_str().unwrap(),
            module["stream"].as_str().unwrap(),
            module["version"].as_str().unwrap(),
            module["context"].as_str().unwrap()
        );

        // Every component COMPLETE with the module's dist tag; macros in batch 1.
        let rpms = &module["tasks"]["rpms"];
        assert_eq!(rpms.as_object().unwrap().len(), 9, "{rpms}");
        for (package, info) in rpms.as_object().unwrap() {
            assert_eq!(info["state"], 1, "{package}: {info}");
            let nvr = info["nvr"].as_str().unwrap();
            assert!(nvr.contains(".module+f28+"), "{package}: {nvr}");
        }
        let spans = batch_spans(cluster, module_id);
        assert_eq!(spans.keys().copied().collect::<Vec<_>>(), vec![1, 2, 3, 4]);
        // Batches never overlap: each starts after the previous one ended.
        for (batch, next) in spans.keys().zip(spans.keys().skip(1)) {
            let ended = spans[batch].iter().map(|s| s.1).fold(f64::MIN, f64::max);
            let started = spans[next].iter().map(|s| s.0).fold(f64::MAX, f64::min);
            assert!(
                ended <= started,
                "batch {next} started at {started} before batch {batch} ended at {ended}"
            );
        }

        // The RPMs carry the dist tag and the modularity label.
        let nvr = rpms["foo-app"]["nvr"].as_str().unwrap();
        let release = nvr.rsplit('-').next().unwrap();
        let rpm = cluster
            .topdir
            .join(format!("packages/foo-app/1.0/{release}/noarch/{nvr}.noarch.rpm"));
        assert_eq!(
            rpm_query(&rpm, "%{RELEASE} %{MODULARITYLABEL}"),
            format!("{release} {nsvc}")
        );

        // The build tag holds the macros package and every component; the module tag only
        // the components; the target builds from the -build tag into the module tag.
        let tagged = |tag_name: &str| -> Vec<String> {
            let builds = cluster
                .admin
                .call("listTagged", vec![Value::from(tag_name)])
                .unwrap();
            let mut names: Vec<String> = builds
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|b| b.get("package_name").and_then(Value::as_str).map(str::to_owned))
                .collect();
            names.sort();
            names
        };
        let mut expected: Vec<String> = components.iter().map(|(n, _)| (*n).to_owned()).collect();
        expected.sort();
        assert_eq!(tagged(&tag), expected);
        let mut with_macros = expected.clone();
        with_macros.push("module-build-macros".to_owned());
        with_macros.sort();
        let build_tag_builds: Vec<String> = tagged(&format!("{tag}-build"))
            .into_iter()
            .filter(|n| n != "build-tools")
            .collect();
        assert_eq!(build_tag_builds, with_macros);

        // The parent task closes with the module's final state once the module tag's repo is
        // there.
        let parent = cluster.parent_task(module_id);
        eventually(Duration::from_secs(120), "the parent task to close", || {
            let state = task_info(cluster, parent).get("state").and_then(Value::as_i64);
            assert_ne!(state, Some(5), "the moduleBuild task failed");
            (state == Some(2)).then_some(())
        });
        let result = cluster
            .admin
            .call("getTaskResult", vec![Value::Int(parent)])
            .unwrap();
        assert_eq!(result.get("state").and_then(Value::as_str), Some("ready"));

        // The module tag's repo carries modules.yaml listing the RPMs.
        let arch = std::env::consts::ARCH;
        let latest = cluster.topdir.join(format!("repos/{tag}/latest"));
        let modules_yaml = std::fs::read_to_string(latest.join("groups/modules.yaml")).unwrap();
        assert!(
            modules_yaml.contains(&format!("{}.noarch", nvr.replacen("-1.0-", "-0:1.0-", 1))),
            "{modules_yaml}"
        );
        let repomd = std::fs::read_to_string(latest.join(format!("{arch}/repodata/repomd.xml"))).unwrap();
        assert!(repomd.contains("type=\"modules\""), "{repomd}");

        // MBS's final per-arch modulemd, and its answer for an unknown build.
        let (status, finals) = mbs_get(&format!("{}final-modulemd/{module_id}", cluster.api));
        assert_eq!(status, 200, "{finals}");
        let document = finals[arch].as_str().unwrap();
        assert!(document.contains(&format!("arch: {arch}")), "{document}");
        assert!(
            document.contains(&format!("{}.noarch", nvr.replacen("-1.0-", "-0:1.0-", 1))),
            "{document}"
        );
        let (status, missing) = mbs_get(&format!("{}final-modulemd/999999", cluster.api));
        assert_eq!(status, 400, "{missing}");
        assert_eq!(missing["message"], "The module could not be found");

        // The parent task made the nine builds.
        let children = cluster
            .admin
            .call("getTaskChildren", vec![Value::Int(parent)])
            .unwrap();
        assert_eq!(children.as_array().unwrap().len(), 9);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_throttle_holds_two_modules_to_two_builds_at_once() {
    let options = ClusterOptions {
        num_concurrent_builds: 2,
        ..ClusterOptions::default()
    };
    with_cluster(options, |cluster| {
        let mut ids = Vec::new();
        for (module, packages) in [
            ("first", ["one", "two", "three"]),
            ("second", ["four", "five", "six"]),
        ] {
            for package in packages {
                cluster.component(package, &noarch_spec(package, "", "sleep 1", ""));
            }
            let components: Vec<(&str, i64)> = packages.iter().map(|p| (*p, 0)).collect();
            let scmurl = cluster.module_repo(module, &modulemd(&components));
            ids.push(cluster.submit(&scmurl));
        }
        for id in &ids {
            cluster.wait_state(*id, &["ready"], Duration::from_secs(900));
        }
        // Component builds (macros excluded: MBS does not throttle it) never exceed two at
        // any moment, over both modules.
        let mut edges = Vec::new();
        for id in &ids {
            for component in cluster.components(*id) {
                if component["package"] == "module-build-macros" {
                    continue;
                }
                let task = task_info(cluster, component["task_id"].as_i64().unwrap());
                edges.push((number(&task, "create_ts"), 1));
                edges.push((number(&task, "completion_ts"), -1));
            }
        }
        edges.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let mut running = 0;
        let mut most = 0;
        for (_, delta) in edges {
            running += delta;
            most = most.max(running);
        }
        assert!(most <= 2, "{most} component builds ran at once");
        assert_eq!(most, 2, "the two modules should have used both slots");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_component_fails_the_module_and_a_resubmission_resumes_it() {
    with_cluster(ClusterOptions::default(), |cluster| {
        cluster.component("sound", &noarch_spec("sound", "", "", ""));
        cluster.component("broken", &noarch_spec("broken", "", "exit 3", ""));
        cluster.component("slow", &noarch_spec("slow", "", "sleep 4", ""));
        cluster.component("later", &noarch_spec("later", "", "", ""));
        let components = [("sound", 0), ("broken", 10), ("slow", 10), ("later", 20)];
        let scmurl = cluster.module_repo("fragile", &modulemd(&components));
        let module_id = cluster.submit(&scmurl);
        let module = cluster.wait_state(module_id, &["failed"], Duration::from_secs(900));
        assert_eq!(module["state_reason"], "Component(s) broken failed to build.");
        let rpms = &module["tasks"]["rpms"];
        // The batch drained: its slow sibling finished; nothing of the batch was tagged; the
        // next batch never started.
        assert_eq!(rpms["slow"]["state"], 1, "{rpms}");
        assert_eq!(rpms["broken"]["state"], 3, "{rpms}");
        assert_eq!(
            rpms["broken"]["state_reason"],
            "Failed to build artifact broken in Koji"
        );
        assert_eq!(rpms["later"]["state"], 3, "{rpms}");
        assert_eq!(
            rpms["later"]["state_reason"],
            "Component(s) broken failed to build."
        );
        assert!(rpms["later"]["task_id"].is_null(), "{rpms}");
        let tag = module["koji_tag"].as_str().unwrap().to_owned();
        let tagged = cluster
            .admin
            .call("listTagged", vec![Value::from(tag.as_str())])
            .unwrap();
        let names: Vec<&str> = tagged
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|b| b.get("package_name").and_then(Value::as_str))
            .collect();
        assert_eq!(names, vec!["sound"]);
        // The parent task fails right after it failed the module (its own failTask follows).
        let parent = cluster.parent_task(module_id);
        eventually(Duration::from_secs(60), "the parent task to fail", || {
            let state = task_info(cluster, parent).get("state").and_then(Value::as_i64);
            (state == Some(5)).then_some(())
        });
        let sound_task = rpms["sound"]["task_id"].as_i64().unwrap();
        let slow_task = rpms["slow"]["task_id"].as_i64().unwrap();

        // Fix the package and resubmit the same module: it resumes in place.
        cluster.component("broken", &noarch_spec("broken", "", "", ""));
        assert_eq!(cluster.submit(&scmurl), module_id);
        let module = cluster.wait_state(module_id, &["ready"], Duration::from_secs(900));
        let rpms = &module["tasks"]["rpms"];
        assert_eq!(module["koji_tag"], tag.as_str());
        assert_eq!(rpms["sound"]["task_id"], sound_task, "sound was rebuilt");
        assert_eq!(rpms["slow"]["task_id"], slow_task, "slow was rebuilt");
        for package in ["broken", "later"] {
            assert_eq!(rpms[package]["state"], 1, "{package}: {rpms}");
        }
        assert_ne!(cluster.parent_task(module_id), parent);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn canceling_in_batch_two_leaves_no_task_running() {
    with_cluster(ClusterOptions::default(), |cluster| {
        cluster.component("first", &noarch_spec("first", "", "", ""));
        cluster.component("sleepy", &noarch_spec("sleepy", "", "sleep 600", ""));
        cluster.component("last", &noarch_spec("last", "", "", ""));
        let components = [("first", 0), ("sleepy", 10), ("last", 20)];
        let scmurl = cluster.module_repo("cancelme", &modulemd(&components));
        let module_id = cluster.submit(&scmurl);
        eventually(Duration::from_secs(600), "sleepy's build to run", || {
            let module = cluster.module(module_id);
            assert_ne!(module["state_name"], "failed", "{module}");
            module["tasks"]["rpms"]["sleepy"]["task_id"].as_i64()
        });
        std::thread::sleep(Duration::from_secs(2));
        let (status, answer) = mbs_patch(
            &format!("{}module-builds/{module_id}", cluster.api),
            &serde_json::json!({ "state": "failed" }),
        );
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["state_reason"], "Canceled by admin.");
        eventually(Duration::from_secs(60), "every task to end", || {
            unfinished_tasks(&cluster.admin).is_empty().then_some(())
        });
        let module = cluster.module(module_id);
        assert_eq!(module["state_name"], "failed");
        assert_eq!(module["tasks"]["rpms"]["sleepy"]["state"], 3);
        assert_eq!(module["tasks"]["rpms"]["last"]["state"], 3);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_builder_and_a_restarted_hub_do_not_stop_a_module() {
    let options = ClusterOptions {
        host_timeout_seconds: 5.0,
        ..ClusterOptions::default()
    };
    with_cluster(options, |cluster| {
        for package in ["ant", "bee", "cat", "dog"] {
            cluster.component(package, &noarch_spec(package, "", "sleep 2", ""));
        }
        let components = [("ant", 0), ("bee", 0), ("cat", 10), ("dog", 20)];
        let scmurl = cluster.module_repo("sturdy", &modulemd(&components));
        let module_id = cluster.submit(&scmurl);
        // Batch 2 running: kill the builder holding the parent task.
        eventually(Duration::from_secs(600), "batch 2 to start", || {
            let module = cluster.module(module_id);
            assert_ne!(module["state_name"], "failed", "{module}");
            (module["batch"].as_i64() >= Some(2)).then_some(())
        });
        let parent = cluster.parent_task(module_id);
        let host_id = task_info(cluster, parent)
            .get("host_id")
            .and_then(Value::as_i64)
            .unwrap();
        let host = cluster.admin.call("getHost", vec![Value::Int(host_id)]).unwrap();
        let host_name = host.get("name").and_then(Value::as_str).unwrap().to_owned();
        let index = cluster.builders.iter().position(|b| b.name == host_name).unwrap();
        cluster.builders[index].sigkill();
        // Then, with batch 3 under way, restart the hub.
        eventually(Duration::from_secs(600), "batch 3 to start", || {
            let module = cluster.module(module_id);
            assert_ne!(module["state_name"], "failed", "{module}");
            (module["batch"].as_i64() >= Some(3)).then_some(())
        });
        cluster.builders[index].restart();
        cluster.hub.sigkill();
        std::thread::sleep(Duration::from_secs(1));
        let url = cluster.url.clone();
        cluster.hub.restart(&url);
        let module = cluster.wait_state(module_id, &["ready"], Duration::from_secs(900));
        for (package, info) in module["tasks"]["rpms"].as_object().unwrap() {
            assert_eq!(info["state"], 1, "{package}: {info}");
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_build_reuses_the_components_before_the_first_change() {
    with_cluster(ClusterOptions::default(), |cluster| {
        for package in ["base", "middle", "top"] {
            cluster.component(package, &noarch_spec(package, "", "", ""));
        }
        let components = [("base", 0), ("middle", 10), ("top", 20)];
        let first = cluster.submit(&cluster.module_repo("reuser", &modulemd(&components)));
        let old = cluster.wait_state(first, &["ready"], Duration::from_secs(900));
        // Change the middle component and build the module again (a new module commit).
        cluster.component("middle", &noarch_spec("middle", "", "echo changed", ""));
        let second = cluster.submit(&cluster.module_repo("reuser", &modulemd(&components)));
        assert_ne!(first, second);
        let new = cluster.wait_state(second, &["ready"], Duration::from_secs(900));
        let (old_rpms, new_rpms) = (&old["tasks"]["rpms"], &new["tasks"]["rpms"]);
        // changed-and-after: base is reused (same build, same task); middle and top are rebuilt.
        assert_eq!(new_rpms["base"]["task_id"], old_rpms["base"]["task_id"]);
        assert_eq!(new_rpms["base"]["nvr"], old_rpms["base"]["nvr"]);
        assert_eq!(
            new_rpms["base"]["state_reason"],
            "Reused component from previous module build"
        );
        for package in ["middle", "top"] {
            assert_ne!(
                new_rpms[package]["task_id"], old_rpms[package]["task_id"],
                "{package}"
            );
            assert_eq!(new_rpms[package]["state"], 1, "{package}");
        }
        assert_eq!(new["reused_module_id"], first);
        // The reused build is tagged into the new module's tag too.
        let tagged = cluster
            .admin
            .call("listTagged", vec![Value::from(new["koji_tag"].as_str().unwrap())])
            .unwrap();
        let names: Vec<&str> = tagged
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|b| b.get("package_name").and_then(Value::as_str))
            .collect();
        assert!(names.contains(&"base"), "{names:?}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scratch_module_is_built_into_scrmod_tags_and_stays_done() {
    with_cluster(ClusterOptions::default(), |cluster| {
        cluster.component("scratchy", &noarch_spec("scratchy", "", "", ""));
        let scmurl = cluster.module_repo("trial", &modulemd(&[("scratchy", 0)]));
        let module_id = cluster.submit_with(&scmurl, true);
        let module = cluster.wait_state(module_id, &["done", "ready"], Duration::from_secs(600));
        assert_eq!(module["state_name"], "done", "{module}");
        assert_eq!(module["scratch"], true);
        let tag = module["koji_tag"].as_str().unwrap();
        assert!(
            tag.starts_with("scrmod-trial-master-") && tag.ends_with(&format!("+{module_id}")),
            "{tag}"
        );
        let nvr = module["tasks"]["rpms"]["scratchy"]["nvr"].as_str().unwrap();
        assert!(nvr.contains(".scrmod+"), "{nvr}");
        // The parent task ends with the module done, and it stays done.
        let parent = cluster.parent_task(module_id);
        eventually(Duration::from_secs(120), "the parent task to close", || {
            let state = task_info(cluster, parent).get("state").and_then(Value::as_i64);
            assert_ne!(state, Some(5), "the moduleBuild task failed");
            (state == Some(2)).then_some(())
        });
        assert_eq!(cluster.module(module_id)["state_name"], "done");
    })
    .await;
}
