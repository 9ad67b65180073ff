//! Kiln's opt-in `buildorder: auto` (`xmd: {kiln: {buildorder: auto}}`): batches come from the
//! components' specs (what each BuildRequires and provides) instead of `buildorder`; a cycle
//! and a missing spec are refused with nothing stored.

#[expect(dead_code, reason = "the MBS tests' helpers, of which these tests use a few")]
mod mbs_support;

use mbs_support::*;
use serde_json::json;

fn auto_module(components: &[&str]) -> String {
    let mut text = String::from(
        "document: modulemd\nversion: 2\ndata:\n  summary: Auto\n  description: Auto order.\n\
         \x20 license:\n    module: [MIT]\n  xmd:\n    kiln:\n      buildorder: auto\n\
         \x20 dependencies:\n  - buildrequires:\n      platform: [f28]\n    requires:\n      platform: [f28]\n\
         \x20 components:\n    rpms:\n",
    );
    for name in components {
        text.push_str(&format!(
            "      {name}:\n        rationale: Needed.\n        ref: master\n"
        ));
    }
    text
}

fn spec_repo(hub: &MbsHub, name: &str, spec: &str) {
    commit(
        &hub.rpms().join(name),
        "master",
        "2017-08-01T00:00:00Z",
        &[(&format!("{name}.spec"), spec)],
    );
}

async fn submit_auto(hub: &MbsHub, components: &[&str]) -> Answer {
    let module_commit = commit(
        &hub.module_repo("automod"),
        "master",
        "2017-08-16T08:08:15Z",
        &[("automod.yaml", &auto_module(components))],
    );
    let body = json!({ "scmurl": hub.scmurl("automod", &module_commit), "branch": "master" });
    call(
        "POST",
        format!("{}module-builds/", hub.api(1)),
        Some(body),
        Auth::Basic(OWNER),
    )
    .await
}

fn batches(answer: &Answer) -> Vec<(String, i64)> {
    let mut found: Vec<(String, i64)> = answer.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["package"].as_str().unwrap().to_owned(),
                c["batch"].as_i64().unwrap(),
            )
        })
        .collect();
    found.sort();
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_follow_build_requires_and_provides() {
    let hub = MbsHub::start().await;
    assert_eq!(import_platform(&hub).await.status, 201);
    spec_repo(&hub, "libfoo", "Name: libfoo\n%package devel\nSummary: headers\n");
    spec_repo(
        &hub,
        "foo-tool",
        "Name: foo-tool\nBuildRequires: libfoo-devel >= 1.0\n",
    );
    spec_repo(&hub, "foo-app", "Name: foo-app\nBuildRequires: foo-tool, gcc\n");
    spec_repo(&hub, "docs", "Name: docs\nBuildRequires: pandoc\n");
    let answer = submit_auto(&hub, &["foo-app", "foo-tool", "libfoo", "docs"]).await;
    assert_eq!(answer.status, 201, "{answer:?}");
    let module_id = answer.body["id"].as_i64().unwrap();
    let components = call(
        "GET",
        format!(
            "{}component-builds/?module_build={module_id}&verbose=1",
            hub.api(1)
        ),
        None,
        Auth::Anonymous,
    )
    .await;
    assert_eq!(
        batches(&components),
        [
            ("docs".to_owned(), 2),
            ("foo-app".to_owned(), 4),
            ("foo-tool".to_owned(), 3),
            ("libfoo".to_owned(), 2),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_build_requires_cycle_and_a_missing_spec_are_refused() {
    let hub = MbsHub::start().await;
    assert_eq!(import_platform(&hub).await.status, 201);
    let before = stored(&hub).await;
    spec_repo(&hub, "chicken", "Name: chicken\nBuildRequires: egg\n");
    spec_repo(&hub, "egg", "Name: egg\nBuildRequires: chicken\n");
    let answer = submit_auto(&hub, &["chicken", "egg"]).await;
    assert_eq!(answer.status, 400, "{answer:?}");
    let message = answer.body["message"].as_str().unwrap();
    assert!(
        message.contains("chicken") && message.contains("egg"),
        "{message}"
    );
    assert_eq!(stored(&hub).await, before);

    commit(
        &hub.rpms().join("nospec"),
        "master",
        "2017-08-01T00:00:00Z",
        &[("README", "no spec here")],
    );
    let answer = submit_auto(&hub, &["nospec"]).await;
    assert_eq!(answer.status, 422, "{answer:?}");
    let message = answer.body["message"].as_str().unwrap();
    assert!(message.contains("nospec.spec"), "{message}");
    assert_eq!(stored(&hub).await, before);
}
