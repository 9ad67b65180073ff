//! The module build backend's first steps on a real builder: a module submitted over MBS's
//! REST API gets a `moduleBuild` task, which runs the init and wait steps (`host.moduleInit`)
//! and takes the module to `build` with its tags, target and inheritance in place. (Whole
//! module builds are in `mbs_modules.rs`.)

use std::time::Duration;

use common::xmlrpc::Value;
use hub::test_clients::{blocking, login};
use hub::testing::{TestHub, TestHubOptions};
use kiln_tests::cluster::{Builder, BuilderOptions, assert_clean, eventually, new_marker, unfinished_tasks};
use kiln_tests::modules;

/// The module MBS's own tests submit: three components in two batches.
const TESTMODULE: &str = include_str!("../../common/src/modulemd/fixtures/mbs-testmodule_v2.yaml");

/// POSTs `body` to the MBS API as `admin`, or GETs without one; returns the status and the
/// JSON answer.
fn mbs(url: &str, body: Option<&serde_json::Value>) -> (u16, serde_json::Value) {
    match body {
        Some(body) => modules::mbs_post(url, body),
        None => modules::mbs_get(url),
    }
}

fn cancel(url: &str) {
    let (status, answer) = modules::mbs_patch(url, &serde_json::json!({ "state": "failed" }));
    assert!(status == 200 || status == 400, "{status} {answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_builder_runs_module_build_and_the_module_reaches_build() {
    let dir = tempfile::tempdir().unwrap();
    let git_dir = dir.path().join("git");
    let mut config = hub::mbs::config::MbsConfig::dev();
    config.rpms_default_repository = format!("file://{}/rpms/", git_dir.display());
    let hub = TestHub::start_with(TestHubOptions {
        mbs: Some(config),
        ..TestHubOptions::default()
    })
    .await;
    hub.add_user("admin", "pw", &["admin"]).await;
    let url = hub.url();
    let api = format!("http://{}/module-build-service/1/", hub.addr);
    let files = dir.path().to_path_buf();
    blocking(move || {
        let marker = new_marker();
        let admin = login(&url, "admin", "pw");
        admin
            .call_kw(
                "createTag",
                vec![Value::from("f28-build")],
                vec![("arches", Value::from("x86_64"))],
            )
            .unwrap();
        admin
            .call_kw(
                "addHost",
                vec![Value::from("builder1"), Value::Array(vec![Value::from("x86_64")])],
                vec![("password", Value::from("hostpw"))],
            )
            .unwrap();
        let (status, imported) = mbs(
            &format!("{api}import-module/"),
            Some(&serde_json::json!({ "modulemd": modules::platform("f28-build") })),
        );
        assert_eq!(status, 201, "{imported}");
        for package in ["perl-List-Compare", "perl-Tangerine", "tangerine"] {
            modules::commit_files(&git_dir.join("rpms").join(package), &[("x.spec", package)]);
        }
        let commit = modules::commit_files(
            &git_dir.join("modules/testmodule"),
            &[("testmodule.yaml", TESTMODULE)],
        );
        let scmurl = format!("git+file://{}/modules/testmodule?#{commit}", git_dir.display());
        let (status, submitted) = mbs(
            &format!("{api}module-builds/"),
            Some(&serde_json::json!({ "scmurl": scmurl, "branch": "master" })),
        );
        assert_eq!(status, 201, "{submitted}");
        let module_id = submitted["id"].as_i64().unwrap();
        let tasks = admin
            .call_kw(
                "listTasks",
                vec![],
                vec![("opts", Value::structure([("method", Value::from("moduleBuild"))]))],
            )
            .unwrap();
        let task_id = tasks.as_array().unwrap()[0]
            .get("id")
            .and_then(Value::as_i64)
            .unwrap();

        let mut builders = vec![Builder::start(
            &url,
            "builder1",
            "hostpw",
            &files.join("builder1"),
            &marker,
            &BuilderOptions::default(),
        )];
        let module = eventually(Duration::from_secs(60), "the module to reach build", || {
            let (status, module) = mbs(&format!("{api}module-builds/{module_id}?verbose=1"), None);
            assert_eq!(status, 200, "{module}");
            let states: Vec<&str> = module["state_trace"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|t| t["state_name"].as_str())
                .collect();
            states.contains(&"build").then_some(module)
        });
        let koji_tag = module["koji_tag"].as_str().unwrap().to_owned();
        assert!(koji_tag.starts_with("module-testmodule-master-"), "{module}");
        let target = admin
            .call("getBuildTarget", vec![Value::from(koji_tag.as_str())])
            .unwrap();
        assert_eq!(
            target.get("build_tag_name").and_then(Value::as_str),
            Some(format!("{koji_tag}-build").as_str())
        );
        let parents = admin
            .call(
                "getInheritanceData",
                vec![Value::from(format!("{koji_tag}-build").as_str())],
            )
            .unwrap();
        assert_eq!(
            parents.as_array().unwrap()[0].get("name").and_then(Value::as_str),
            Some("f28-build")
        );
        // The components are not real packages: the module fails in batch 2 (or is canceled
        // first); either way the tree ends.
        let (_, module) = mbs(&format!("{api}module-builds/{module_id}"), None);
        if module["state_name"] == "build" {
            cancel(&format!("{api}module-builds/{module_id}"));
        }
        eventually(Duration::from_secs(120), "every task to end", || {
            unfinished_tasks(&admin).is_empty().then_some(())
        });
        let parent = admin.call("getTaskInfo", vec![Value::Int(task_id)]).unwrap();
        let state = parent.get("state").and_then(Value::as_i64);
        assert!(
            matches!(state, Some(3 | 5)),
            "the moduleBuild task ended {parent:?}"
        );
        assert_clean(&admin, &mut builders, &marker);
    })
    .await;
}
